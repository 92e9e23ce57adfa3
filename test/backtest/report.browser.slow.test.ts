/**
 * The backtest report in a real browser (Debian's chromium, driven by
 * playwright-core): what people look at must render, self-contained, with
 * every plot and legend inside its frame.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../data/generate.js';
import { renderReport } from '../../src/backtest/report.js';
import { runBacktest } from '../../src/backtest/run.js';
import { regularize } from '../../src/series/regularize.js';
import { findExecutable } from '../support/prometheus.js';

let browser: Browser;
let dir: string;

beforeAll(async () => {
  const executablePath = findExecutable('chromium');
  if (!executablePath) {
    throw new Error('chromium not found on PATH: the report test needs it. Run `bash scripts/ensure-debian.sh chromium chromium`.');
  }
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  dir = mkdtempSync(join(tmpdir(), 'prescient-report-'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('backtest report in Chromium', () => {
  it('renders every plot, legend and table inside its frame, without fetching anything', { timeout: 120_000 }, async () => {
    // Six days with bursts, gaps and a level shift, gaps filled as the CLI and REST fill them.
    const { series, filledGaps } = regularize(generateSynthetic({ days: 6, stepSeconds: 300, seed: 11 }));
    expect(filledGaps).toBeGreaterThan(0);
    const result = await runBacktest({ series, filledGaps, source: 'synthetic', models: ['snaive', 'mstl'], origins: 2, seasonalPeriodsSeconds: [86_400] });
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(result));

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const url = pathToFileURL(file).href;
    await page.goto(url);

    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);

    // One forecast plot per model, the replica plot and the frontier, each drawn at full size with its lines.
    const plots = await page.$$eval('svg', (svgs) =>
      svgs.map((svg) => {
        const frame = svg.getBoundingClientRect();
        const texts = [...svg.querySelectorAll('text')].map((t) => t.getBoundingClientRect());
        return {
          label: svg.getAttribute('aria-label') ?? '',
          width: frame.width,
          height: frame.height,
          lines: svg.querySelectorAll('polyline, path').length,
          textsOutside: texts.filter((t) => t.right > frame.right + 0.5 || t.left < frame.left - 0.5 || t.bottom > frame.bottom + 0.5).length,
        };
      }),
    );
    expect(plots).toHaveLength(4);
    for (const plot of plots) {
      expect(plot.width).toBeGreaterThan(1000);
      expect(plot.height).toBeGreaterThan(200);
      expect(plot.lines).toBeGreaterThan(0);
      expect(plot.textsOutside, plot.label).toBe(0);
    }
    // The replica plot: the load's need and one line per policy.
    expect(plots[2]?.label).toMatch(/ready replicas of each policy/);
    expect(plots[2]?.lines).toBeGreaterThanOrEqual(6);

    // The frontier: one point per knob setting, the plain HPA as a line through its targets, the served setting ringed.
    expect(plots[3]?.label).toMatch(/the frontier: under-provisioned minutes against replica-hours/);
    const frontier = await page.$$eval('svg:last-of-type', ([svg]) => ({
      points: svg?.querySelectorAll('circle[fill="#1f77b4"]').length ?? 0,
      hpa: svg?.querySelectorAll('circle[fill="#d62728"]').length ?? 0,
      rings: svg?.querySelectorAll('circle[fill="none"]').length ?? 0,
      line: svg?.querySelectorAll('polyline[stroke="#d62728"]').length ?? 0,
    }));
    expect(frontier).toEqual({ points: 21, hpa: 6, rings: 1, line: 1 });
    const rows = await page.$$eval('table:last-of-type tbody tr td:first-child', (cells) => cells.map((c) => c.textContent ?? ''));
    expect(rows).toHaveLength(21 + 6);
    expect(rows.filter((r) => r.startsWith('* '))).toEqual(['* q 0.9, guard 0.975, at 90 %']);
    expect(await page.textContent('body')).toMatch(/The predictive policy (beat|matched|did not beat) the same budget spent as headroom/);

    // The replay table: one row per policy, headroom labelled with the HPA target it ran at.
    const policies = await page.$$eval('table:nth-of-type(2) tbody tr td:first-child', (cells) => cells.map((c) => c.textContent ?? ''));
    expect(policies).toHaveLength(5);
    expect(policies[0]).toBe('reactive');
    expect(policies[4]).toMatch(/^headroom \(HPA at \d+ %\)$/);
    expect(await page.textContent('body')).toMatch(/against the reactive HPA: predictive/);
    await page.close();
  });
});
