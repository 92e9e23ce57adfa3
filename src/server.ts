/**
 * Starts Prescient: loads the configuration (`--config FILE` or
 * PRESCIENT_CONFIG; the embedded demo when neither is given or PRESCIENT_DEMO=1), builds the app,
 * listens for HTTP and starts the KEDA external scaler (gRPC). A bad
 * configuration exits non-zero with every problem listed.
 */
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { configPath, loadConfig } from './config/load.js';
import { PrescientError } from './errors.js';
import { startKedaServer } from './keda/server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } }, allowPositionals: false });
  const path = configPath(values.config);
  const config = loadConfig(path);
  const app = await buildApp({ config });
  // A worker replica serves nothing: it only takes fit jobs from Redis.
  if (config.cluster.role === 'worker') await app.ready();
  else await app.listen({ host: config.server.host, port: config.server.port });
  const keda = config.cluster.role === 'worker' ? undefined : await startKedaServer({ states: app.prescient.states, config });
  const shutdown = async (signal: string): Promise<void> => {
    app.log.info({ signal }, 'shutting down');
    await keda?.close();
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  app.log.info(
    { targets: config.targets.length, role: config.cluster.role, grpcPort: keda?.port, configured: path !== undefined },
    'prescient ready',
  );
}

main().catch((err: unknown) => {
  if (err instanceof PrescientError && err.code === 'PRESCIENT_ERR_CONFIG') {
    process.stderr.write(`prescient: ${err.message}\n`);
  } else {
    process.stderr.write(`prescient: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
