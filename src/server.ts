/**
 * Starts Prescient: loads the configuration (`--config FILE` or
 * PRESCIENT_CONFIG; the embedded demo when neither is given or PRESCIENT_DEMO=1), builds the app,
 * listens for HTTP and starts the KEDA external scaler (gRPC). A bad
 * configuration or a port in use exits 1 with one coded line. SIGTERM/SIGINT
 * drain it (src/lifecycle.ts): this process is the one that serves, under
 * `npm start` (which execs node) and the image's CMD alike.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { warmBodyMemory } from './api/body-memory.js';
import { seriesBodyOptions } from './api/json-body.js';
import { configPath, loadConfig } from './config/load.js';
import { routeGrpcLogs, startKedaServer, type KedaServer } from './keda/server.js';
import { grpcServerCredentials } from './keda/tls.js';
import { bindError, drainOnSignal, exposureWarnings, startFailureLine } from './lifecycle.js';

const USAGE = `usage: prescient [--config FILE]

Serves forecasts and replica recommendations: REST on PORT (default 8080),
the KEDA external scaler (gRPC) on GRPC_PORT (default 9090).

  -c, --config FILE   configuration file (else PRESCIENT_CONFIG; with neither, the embedded demo)
  -h, --help          print this and exit
  -v, --version       print the version and exit

environment
  PORT, GRPC_PORT, HOST          listen addresses (override the file)
  PRESCIENT_CONFIG               configuration file when --config is not given
  PRESCIENT_DEMO=1               serve the embedded demo targets
  PRESCIENT_AUTH_TOKEN           bearer token (needed to bind beyond loopback)
  PRESCIENT_ALLOW_UNAUTHENTICATED=1   bind beyond loopback without a token
  PRESCIENT_MODELS_DIR           where forecasts persist
  LOG_LEVEL                      pino level (default info)

SIGTERM or SIGINT drains: no new connections, running requests finish within
server.shutdownGrace (default 25s), exit 0. Every key: docs/configuration.md.
Backtests: npm run backtest -- --help.
`;

/** The version in package.json (one level above src/ and dist/ alike). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

const OPTIONS = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } } as const;

async function main(): Promise<void> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];
  try {
    ({ values } = parseArgs({ options: OPTIONS, allowPositionals: false }));
  } catch (err) {
    // Bad arguments exit 2, as `prescient backtest` does.
    process.stderr.write(`prescient: ${(err as Error).message} (prescient --help lists the options)\n`);
    process.exit(2);
  }
  if (values.help) return void process.stdout.write(USAGE);
  if (values.version) return void process.stdout.write(`prescient ${version()}\n`);
  const path = configPath(values.config);
  const config = loadConfig(path);
  const { host, port, grpcPort } = config.server;
  const servesGrpc = config.cluster.role !== 'worker';
  // Read and checked before anything binds: a bad certificate stops the start with a coded line.
  const credentials = servesGrpc ? grpcServerCredentials(config.server.grpcTls) : undefined;
  const app = await buildApp({ config });
  routeGrpcLogs(app.log);
  for (const warning of exposureWarnings(config.server, servesGrpc)) app.log.warn({ host }, warning);
  let keda: KedaServer | undefined;
  try {
    // A worker replica serves nothing: it only takes fit jobs from Redis.
    if (!servesGrpc) await app.ready();
    else {
      // Before the first request can arrive: the memory its body will be written into, touched now (src/api/body-memory.ts).
      if (config.server.bodyWarmUpBytes > 0) app.log.info(warmBodyMemory(config.server.bodyWarmUpBytes, seriesBodyOptions(config).bodyLimit), 'body memory warmed');
      await app.listen({ host, port }).catch((err: unknown) => {
        throw bindError(err, { what: 'HTTP', host, port, variable: 'PORT' });
      });
      keda = await startKedaServer({ states: app.prescient.states, config, log: app.log, ...(credentials ? { credentials } : {}) }).catch((err: unknown) => {
        throw bindError(err, { what: 'gRPC', host, port: grpcPort, variable: 'GRPC_PORT' });
      });
    }
  } catch (err) {
    await app.close();
    throw err;
  }
  const onSignal = drainOnSignal({
    close: async () => {
      await Promise.all([keda?.close(config.server.shutdownGraceSeconds * 1000), app.close()]);
    },
    force: () => app.server.closeAllConnections(),
    graceMs: config.server.shutdownGraceSeconds * 1000,
    log: app.log,
    exit: (code) => process.exit(code),
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  app.log.info(
    { targets: config.targets.length, role: config.cluster.role, grpcPort: keda?.port, configured: path !== undefined, pid: process.pid },
    'prescient ready',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(startFailureLine(err));
  process.exit(1);
});
