# Prescient service image. Everything comes from the npm registry at build
# time; nothing is downloaded at run time.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY data ./data
RUN mkdir -p models && chown node:node models
USER node
EXPOSE 8080 9090
# PRESCIENT_CONFIG=/config/prescient.yaml selects a mounted configuration; without it the demo targets run.
# Forecasts persist in /app/models; PRESCIENT_MODELS_DIR points elsewhere (a mounted volume).
CMD ["node", "--import", "tsx", "src/server.ts"]
