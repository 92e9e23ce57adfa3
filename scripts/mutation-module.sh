#!/usr/bin/env bash
# Mutation score of one module against only the test files that cover it
# (issue 17), so one run takes minutes instead of the hours the whole set takes:
#
#   bash scripts/mutation-module.sh src/scaling/policy.ts test/scaling/policy.test.ts test/scaling/policy.property.test.ts
#
# Runs Stryker (stryker.config.mjs: concurrency 1, TypeScript checker) with
# --mutate <module> and the listed tests (MUTATION_TESTS, read by
# vitest.mutation.config.ts). Each module keeps its own incremental file, so
# re-scoring it after a new test re-runs only the mutants that test may kill,
# and its JSON report: reports/mutation/<module path with / as ->.{incremental,report}.json
# (git-ignored). The scores are recorded in test/mutation/REPORT.md.
# A line range scores part of a module (Stryker's mutate range), with its own
# report: bash scripts/mutation-module.sh src/backtest/replay.ts:341-400 test/backtest/replay-policy.test.ts
# Several modules scored together are one comma-separated argument: src/store/forecast-store.ts,src/engine/persisted.ts
#
# MUTATION_CHECKER=module limits the TypeScript checker to a program of the
# mutated files and the listed tests (tsconfig.mutation.json, written here,
# git-ignored). Much faster where a mutant changes a type many files import
# (a zod schema); the cost: a mutant whose type error shows only in another
# file is run instead of dropped, so it can only lower the score.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash scripts/mutation-module.sh <src file> <test file>..." >&2
  exit 2
fi
module=$1
shift
name=$(echo "$module" | tr '/' '-')
mkdir -p reports/mutation
tests=$(IFS=,; echo "$*")
tsconfig=tsconfig.json
if [ "${MUTATION_CHECKER:-project}" = module ]; then
  tsconfig=tsconfig.mutation.json
  files=$(echo "$module" | tr ',' '\n' | sed 's/:.*$//'; printf '%s\n' "$@")
  node -e 'const files = process.argv[1].split("\n").filter(Boolean);
    require("node:fs").writeFileSync("tsconfig.mutation.json", JSON.stringify({ extends: "./tsconfig.json", include: [], files }, null, 2) + "\n");' "$files"
fi
MUTATION_TSCONFIG=$tsconfig MUTATION_TESTS=$tests npx stryker run \
  --mutate "$module" \
  --incrementalFile "reports/mutation/$name.incremental.json"
cp reports/mutation/mutation.json "reports/mutation/$name.report.json"
