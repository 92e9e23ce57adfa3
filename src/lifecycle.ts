/**
 * The process's life around the app (issue 11, item 8): what a port that is
 * taken says, and how a signal drains the service. src/server.ts wires them;
 * they live here so they can be tested without a process.
 */
import { isLoopback, type Config } from './config/schema.js';
import { PrescientError } from './errors.js';

/** Which listener failed to bind: its port and the environment variable that sets it. */
export interface Listener {
  readonly what: 'HTTP' | 'gRPC';
  readonly host: string;
  readonly port: number;
  readonly variable: 'PORT' | 'GRPC_PORT';
}

/** Prometheus's own default port, also Prescient's default gRPC port: the likeliest clash. */
const PROMETHEUS_PORT = 9090;

/**
 * Turns a bind failure into PRESCIENT_ERR_PORT_IN_USE when the port is taken
 * (EADDRINUSE from node:net, or grpc-js's text that wraps it); anything else
 * comes back unchanged.
 */
export function bindError(err: unknown, listener: Listener): unknown {
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err);
  if (!/EADDRINUSE|address already in use/i.test(text)) return err;
  const prometheus = listener.port === PROMETHEUS_PORT ? ` (${PROMETHEUS_PORT} is also Prometheus's default port: is one running here?)` : '';
  return new PrescientError(
    'PRESCIENT_ERR_PORT_IN_USE',
    `the ${listener.what} port ${listener.port} on ${listener.host} is already in use${prometheus}; set ${listener.variable} to a free port`,
    { cause: err, issues: [{ path: listener.variable, message: `port ${listener.port} is in use` }] },
  );
}

/** One line for stderr when the service cannot start: the coded message, never a stack for a known cause. */
export function startFailureLine(err: unknown): string {
  if (err instanceof PrescientError && (err.code === 'PRESCIENT_ERR_CONFIG' || err.code === 'PRESCIENT_ERR_PORT_IN_USE')) {
    return `prescient: ${err.code}: ${err.message}\n`;
  }
  return `prescient: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`;
}

export interface DrainOptions {
  /** Stops accepting, lets what runs finish; resolves when drained. */
  readonly close: () => Promise<void>;
  /** Cuts whatever still runs (called once the grace has passed). */
  readonly force: () => void;
  readonly graceMs: number;
  readonly log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** process.exit in the service; tests pass their own. */
  readonly exit: (code: number) => void;
}

/**
 * Returns the signal handler: the first SIGTERM/SIGINT starts the drain,
 * later ones are ignored (a terminal's Ctrl-C reaches both npm and the
 * server, and npm forwards it again). Exits 0 when drained within the grace,
 * 1 when the grace ran out or closing failed.
 */
export function drainOnSignal(options: DrainOptions): (signal: NodeJS.Signals) => void {
  let draining = false;
  return (signal) => {
    if (draining) {
      options.log.info({ signal }, 'already draining');
      return;
    }
    draining = true;
    const started = Date.now();
    options.log.info({ signal, graceSeconds: options.graceMs / 1000 }, 'draining: no new connections; running requests and calls finish');
    const timer = setTimeout(() => {
      options.log.error({ signal, graceSeconds: options.graceMs / 1000 }, 'drain did not finish within server.shutdownGrace: cutting what still runs');
      options.force();
      options.exit(1);
    }, options.graceMs);
    options.close().then(
      () => {
        clearTimeout(timer);
        options.log.info({ drainedMs: Date.now() - started }, 'drained, exiting');
        options.exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        options.log.error({ err }, 'closing failed');
        options.exit(1);
      },
    );
  };
}

/**
 * What start-up should warn about when the service listens beyond loopback
 * (issue 11, item 9): KEDA's gRPC calls carry no token, so without TLS the
 * scaler answers anyone who reaches the port, in plaintext; HTTP without a
 * token only when explicitly allowed. Empty on loopback, and for a worker
 * replica (`listens` false), which binds nothing.
 */
export function exposureWarnings(server: Pick<Config['server'], 'host' | 'grpcPort' | 'authToken' | 'grpcTls'>, listens = true): string[] {
  if (!listens || isLoopback(server.host)) return [];
  const warnings: string[] = [];
  if (server.authToken === undefined) {
    warnings.push(`HTTP on ${server.host} has no token (server.allowUnauthenticated): anyone who reaches it can run fits and backtests`);
  }
  if (!server.grpcTls) {
    warnings.push(
      `the KEDA scaler (gRPC) on ${server.host}:${server.grpcPort} has no TLS: anyone who reaches it reads forecasts and replica counts in plaintext; ` +
        'set server.grpcTls (with clientCaFile for mutual TLS) or restrict the port with a NetworkPolicy',
    );
  } else if (server.grpcTls.clientCaFile === undefined) {
    warnings.push(`the KEDA scaler (gRPC) on ${server.host}:${server.grpcPort} uses TLS without client certificates: anyone who reaches it may call; set server.grpcTls.clientCaFile for mutual TLS`);
  }
  return warnings;
}
