# Prescient service image. Everything comes from the npm registry at build
# time; nothing is downloaded at run time.
#
#   docker build -t prescient .
#   docker run -v ./prescient.yaml:/config/prescient.yaml:ro -e PRESCIENT_AUTH_TOKEN=… -p 8080:8080 -p 9090:9090 prescient
#   docker run -e PRESCIENT_DEMO=1 -e PRESCIENT_ALLOW_UNAUTHENTICATED=1 -p 8080:8080 prescient   # the demo targets
#
# Node.js 24 is the active LTS line (supported into 2028).

# Stage 1: compile TypeScript to dist/ with the dev dependencies, then drop them.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Stage 2: only what runs — compiled code, production modules, the demo's sample series.
FROM node:24-bookworm-slim
WORKDIR /app
# HOST=0.0.0.0 so the ports are reachable from outside the container: the
# service then refuses to start without PRESCIENT_AUTH_TOKEN (or an explicit
# PRESCIENT_ALLOW_UNAUTHENTICATED=1). The configuration must be mounted at
# /config/prescient.yaml; PRESCIENT_DEMO=1 serves the demo targets instead.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PRESCIENT_CONFIG=/config/prescient.yaml \
    PRESCIENT_MODELS_DIR=/var/lib/prescient/models
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY data ./data
# Forecasts persist here; mount a volume to keep them across restarts.
RUN mkdir -p /var/lib/prescient/models && chown -R node:node /var/lib/prescient
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 9090
# node itself is PID 1 (no npm, no shell), so SIGTERM from the runtime reaches the server's handler.
CMD ["node", "dist/server.js"]
