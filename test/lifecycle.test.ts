import { describe, expect, it } from 'vitest';
import { PrescientError } from '../src/errors.js';
import { bindError, drainOnSignal, startFailureLine } from '../src/lifecycle.js';

const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9090'), { code: 'EADDRINUSE' });

describe('bindError', () => {
  it('names the port, its variable and, for 9090, Prometheus', () => {
    const error = bindError(inUse, { what: 'gRPC', host: '127.0.0.1', port: 9090, variable: 'GRPC_PORT' });
    expect(error).toBeInstanceOf(PrescientError);
    expect((error as PrescientError).code).toBe('PRESCIENT_ERR_PORT_IN_USE');
    expect(startFailureLine(error)).toBe(
      "prescient: PRESCIENT_ERR_PORT_IN_USE: the gRPC port 9090 on 127.0.0.1 is already in use (9090 is also Prometheus's default port: is one running here?); set GRPC_PORT to a free port\n",
    );
  });

  it('recognises grpc-js wrapping of the same failure, and leaves other failures alone', () => {
    const wrapped = new Error('No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use 0.0.0.0:8080]');
    expect((bindError(wrapped, { what: 'HTTP', host: '0.0.0.0', port: 8080, variable: 'PORT' }) as PrescientError).message).toBe(
      'the HTTP port 8080 on 0.0.0.0 is already in use; set PORT to a free port',
    );
    const denied = Object.assign(new Error('listen EACCES: permission denied 0.0.0.0:80'), { code: 'EACCES' });
    expect(bindError(denied, { what: 'HTTP', host: '0.0.0.0', port: 80, variable: 'PORT' })).toBe(denied);
  });
});

describe('drainOnSignal', () => {
  const quietLog = { info: () => undefined, error: () => undefined };

  it('exits 0 once closed, and ignores a second signal while draining', async () => {
    const exits: number[] = [];
    let closes = 0;
    let finish = (): void => undefined;
    const onSignal = drainOnSignal({
      close: () => {
        closes += 1;
        return new Promise<void>((resolve) => (finish = resolve));
      },
      force: () => expect.fail('forced within the grace'),
      graceMs: 5_000,
      log: quietLog,
      exit: (code) => exits.push(code),
    });
    onSignal('SIGTERM');
    onSignal('SIGINT');
    expect(closes).toBe(1);
    expect(exits).toEqual([]);
    finish();
    await new Promise((r) => setTimeout(r, 0));
    expect(exits).toEqual([0]);
  });

  it('cuts what still runs and exits 1 when the grace runs out', async () => {
    const exits: number[] = [];
    let forced = 0;
    const errors: string[] = [];
    const onSignal = drainOnSignal({
      close: () => new Promise<void>(() => undefined),
      force: () => (forced += 1),
      graceMs: 50,
      log: { info: () => undefined, error: (_obj, msg) => errors.push(msg) },
      exit: (code) => exits.push(code),
    });
    onSignal('SIGTERM');
    await new Promise((r) => setTimeout(r, 120));
    expect(forced).toBe(1);
    expect(exits).toEqual([1]);
    expect(errors[0]).toMatch(/within server.shutdownGrace/);
  });

  it('exits 1 when closing fails', async () => {
    const exits: number[] = [];
    const onSignal = drainOnSignal({ close: () => Promise.reject(new Error('x')), force: () => undefined, graceMs: 5_000, log: quietLog, exit: (code) => exits.push(code) });
    onSignal('SIGTERM');
    await new Promise((r) => setTimeout(r, 0));
    expect(exits).toEqual([1]);
  });
});
