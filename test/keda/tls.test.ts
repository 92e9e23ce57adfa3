import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcServerCredentials } from '../../src/keda/tls.js';
import { thrownBy } from '../support/errors.js';

/**
 * src/keda/tls.ts on its own (issue 17: a fast suite Stryker can score it
 * with): the credentials it builds, bound by a real grpc-js server with a
 * one-method service and called by a real grpc-js client over loopback, with
 * certificates openssl makes for this run. tls.slow.test.ts covers the same
 * through the whole KEDA server; this file adds the exact refusals.
 */

const dir = mkdtempSync(join(tmpdir(), 'prescient-tls-unit-'));
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(file(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA (EC P-256, one day) and certificates it signed: the server's for 127.0.0.1, or a client's. */
function makeCa(ca: string, names: Array<{ name: string; san?: string }>): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
  for (const { name, san } of names) {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(file(`${name}.ext`), san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n');
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  }
}

/** One unary method that answers "pong": enough for a handshake and a call, without the scaler behind it. */
const raw = (b: Buffer) => b;
const pingService: grpc.ServiceDefinition = {
  ping: { path: '/test.Ping/Ping', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw, originalName: 'ping' },
};
const PingClient = grpc.makeGenericClientConstructor(pingService, 'Ping');

const servers: grpc.Server[] = [];

/** A real server on a free loopback port with these credentials. */
async function serve(credentials: grpc.ServerCredentials): Promise<number> {
  const server = new grpc.Server();
  server.addService(pingService, {
    ping: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from('pong')),
  });
  servers.push(server);
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))));
}

/** One call with these client credentials: "pong", or the status code it failed with. */
async function call(port: number, credentials: grpc.ChannelCredentials): Promise<string | number> {
  const client = new PingClient(`127.0.0.1:${port}`, credentials);
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest('/test.Ping/Ping', raw, raw, Buffer.from('ping'), { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res?: Buffer) =>
        resolve(err ? err.code : String(res)),
      );
    });
  } finally {
    client.close();
  }
}

beforeAll(() => {
  makeCa('ca', [{ name: 'server', san: 'IP:127.0.0.1' }, { name: 'keda' }]);
  makeCa('stranger', [{ name: 'intruder' }]);
  writeFileSync(file('garbage.pem'), 'not a certificate\n');
}, 60_000);
afterAll(async () => {
  for (const server of servers) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const trustsCa = () => grpc.credentials.createSsl(pem('ca.crt'));
const keda = () => grpc.credentials.createSsl(pem('ca.crt'), pem('keda.key'), pem('keda.crt'));
const intruder = () => grpc.credentials.createSsl(pem('ca.crt'), pem('intruder.key'), pem('intruder.crt'));

describe('grpcServerCredentials: what a real client gets', () => {
  it('without server.grpcTls: plaintext, and a TLS client is refused', async () => {
    const port = await serve(grpcServerCredentials(undefined));
    expect(await call(port, grpc.credentials.createInsecure())).toBe('pong');
    expect(await call(port, trustsCa())).toBe(grpc.status.UNAVAILABLE);
  });

  it('with certFile and keyFile: TLS only, no client certificate asked for', async () => {
    const port = await serve(grpcServerCredentials({ certFile: file('server.crt'), keyFile: file('server.key') }));
    expect(await call(port, trustsCa())).toBe('pong');
    expect(await call(port, keda())).toBe('pong');
    expect(await call(port, grpc.credentials.createInsecure())).toBe(grpc.status.UNAVAILABLE);
    expect(await call(port, grpc.credentials.createSsl(pem('stranger.crt')))).toBe(grpc.status.UNAVAILABLE);
  });

  it('with clientCaFile: mutual TLS, only a client certificate that CA signed is answered', async () => {
    const port = await serve(grpcServerCredentials({ certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: file('ca.crt') }));
    expect(await call(port, keda())).toBe('pong');
    expect(await call(port, trustsCa())).toBe(grpc.status.UNAVAILABLE);
    expect(await call(port, intruder())).toBe(grpc.status.UNAVAILABLE);
  });

  it('with a client CA of another authority: that authority’s clients are answered, ours are not', async () => {
    const port = await serve(grpcServerCredentials({ certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: file('stranger.crt') }));
    expect(await call(port, intruder())).toBe('pong');
    expect(await call(port, keda())).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('grpcServerCredentials: a bad file stops the start with PRESCIENT_ERR_CONFIG naming its key', () => {
  it.each([
    ['certFile', { certFile: file('missing.crt'), keyFile: file('server.key') }, file('missing.crt')],
    ['keyFile', { certFile: file('server.crt'), keyFile: file('missing.key') }, file('missing.key')],
    ['clientCaFile', { certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: file('missing-ca.crt') }, file('missing-ca.crt')],
  ] as const)('an unreadable %s', (key, tls, path) => {
    const error = thrownBy(() => grpcServerCredentials(tls));
    const why = `ENOENT: no such file or directory, open '${path}'`;
    expect(error.code).toBe('PRESCIENT_ERR_CONFIG');
    expect(error.message).toBe(`server.grpcTls.${key}: cannot read ${path}: ${why}`);
    expect(error.issues).toEqual([{ path: `server.grpcTls.${key}`, message: why }]);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('a certificate that is not PEM, and a key that does not match the certificate', () => {
    const garbage = thrownBy(() => grpcServerCredentials({ certFile: file('garbage.pem'), keyFile: file('server.key') }));
    expect(garbage.code).toBe('PRESCIENT_ERR_CONFIG');
    expect(garbage.message).toMatch(/^server\.grpcTls: the certificate or key is not usable: \S/);
    const cause = garbage.cause as Error;
    expect(cause).toBeInstanceOf(Error);
    expect(garbage.issues).toEqual([{ path: 'server.grpcTls', message: cause.message }]);
    expect(garbage.message).toBe(`server.grpcTls: the certificate or key is not usable: ${cause.message}`);

    const mismatch = thrownBy(() => grpcServerCredentials({ certFile: file('server.crt'), keyFile: file('keda.key') }));
    expect(mismatch.code).toBe('PRESCIENT_ERR_CONFIG');
    expect(mismatch.message).toMatch(/^server\.grpcTls: the certificate or key is not usable: .*key values mismatch/);
    expect(mismatch.issues.map((i) => i.path)).toEqual(['server.grpcTls']);
  });

  // OpenSSL's createSecureContext skips CA text that holds no certificate, so this file used to start the
  // service and then refuse every client at its handshake (found by mutation testing, issue 17).
  it('a client CA file without a certificate (text, or a private key)', () => {
    for (const [ca, why] of [
      [file('garbage.pem'), 'no start line'],
      [file('ca.key'), 'no start line'],
    ] as const) {
      const error = thrownBy(() => grpcServerCredentials({ certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: ca }));
      expect(error.code).toBe('PRESCIENT_ERR_CONFIG');
      const cause = error.cause as Error;
      expect(cause.message).toContain(why);
      expect(error.message).toBe(`server.grpcTls.clientCaFile: ${ca} holds no usable certificate: ${cause.message}`);
      expect(error.issues).toEqual([{ path: 'server.grpcTls.clientCaFile', message: `no usable certificate: ${cause.message}` }]);
    }
  });
});
