import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { PrescientError } from '../../src/errors.js';
import { startKedaServer, type KedaServer } from '../../src/keda/server.js';
import { exposureWarnings } from '../../src/lifecycle.js';
import { ExternalScalerClient as ExternalScaler, statesWith, testConfig } from './helpers.js';

/**
 * TLS and mutual TLS on the KEDA external scaler (issue 11, item 9), with
 * certificates made by openssl for this run (a CA, the server's certificate
 * for 127.0.0.1, a client certificate from the CA, and one from a stranger CA)
 * and a real grpc-js client presenting them as KEDA's caCert / tlsClientCert /
 * tlsClientKey would.
 */

const dir = mkdtempSync(join(tmpdir(), 'prescient-tls-'));
const file = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, and `names` certificates signed by it (EC P-256, one day). */
function makeCa(ca: string, names: Array<{ name: string; san?: string }>): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${ca}`, '-keyout', `${ca}.key`, '-out', `${ca}.crt`);
  for (const { name, san } of names) {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    const ext = `${name}.ext`;
    writeFileSync(file(ext), san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n');
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', `${name}.crt`);
  }
}

const pem = (name: string) => readFileSync(file(name));
const ref = { name: 'web-app', namespace: 'shop', scalerMetadata: { target: 'web' } };

/** GetMetricSpec through a client with these credentials: the answer's metric name, or the status code of the failure. */
async function call(port: number, credentials: grpc.ChannelCredentials): Promise<string | number> {
  const client = new ExternalScaler(`127.0.0.1:${port}`, credentials);
  try {
    return await new Promise<string | number>((resolve) => {
      client.GetMetricSpec!(ref, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: { metricSpecs: Array<{ metricName: string }> }) =>
        resolve(err ? err.code : (res.metricSpecs[0]?.metricName ?? 'none')),
      );
    });
  } finally {
    client.close();
  }
}

function configWith(grpcTls: Record<string, string> | undefined): Config {
  const base = testConfig();
  return configSchema.parse({ server: { grpcPort: 0, authToken: base.server.authToken, ...(grpcTls ? { grpcTls } : {}) }, targets: [{ name: 'web', source: { type: 'file', path: 'x.csv' }, scaling: { capacityPerReplica: 100 } }] });
}

async function start(grpcTls: Record<string, string> | undefined): Promise<KedaServer> {
  const config = configWith(grpcTls);
  return startKedaServer({ states: statesWith(config), config, host: '127.0.0.1', port: 0 });
}

beforeAll(() => {
  makeCa('ca', [{ name: 'server', san: 'IP:127.0.0.1,DNS:localhost' }, { name: 'keda' }]);
  makeCa('stranger', [{ name: 'intruder' }]);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TLS (server.grpcTls with certFile and keyFile)', () => {
  let server: KedaServer;
  beforeAll(async () => {
    server = await start({ certFile: file('server.crt'), keyFile: file('server.key') });
  });
  afterAll(() => server.close());

  it('answers a client that trusts the CA (KEDA caCert)', async () => {
    expect(await call(server.port, grpc.credentials.createSsl(pem('ca.crt')))).toBe('prescient-web-replicas');
  });

  it('refuses a plaintext client and one that trusts another CA', async () => {
    expect(await call(server.port, grpc.credentials.createInsecure())).toBe(grpc.status.UNAVAILABLE);
    expect(await call(server.port, grpc.credentials.createSsl(pem('stranger.crt')))).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('mutual TLS (server.grpcTls.clientCaFile)', () => {
  let server: KedaServer;
  beforeAll(async () => {
    server = await start({ certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: file('ca.crt') });
  });
  afterAll(() => server.close());

  it('answers a client presenting a certificate the CA signed (KEDA tlsClientCert / tlsClientKey)', async () => {
    expect(await call(server.port, grpc.credentials.createSsl(pem('ca.crt'), pem('keda.key'), pem('keda.crt')))).toBe('prescient-web-replicas');
  });

  it('refuses a client without a certificate, and one whose certificate another CA signed', async () => {
    expect(await call(server.port, grpc.credentials.createSsl(pem('ca.crt')))).toBe(grpc.status.UNAVAILABLE);
    expect(await call(server.port, grpc.credentials.createSsl(pem('ca.crt'), pem('intruder.key'), pem('intruder.crt')))).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('bad TLS files stop the start with PRESCIENT_ERR_CONFIG naming the key', () => {
  const refusal = async (grpcTls: Record<string, string>): Promise<PrescientError> => {
    const error = await start(grpcTls).then(
      (server) => {
        void server.close();
        throw new Error('started');
      },
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PrescientError);
    expect((error as PrescientError).code).toBe('PRESCIENT_ERR_CONFIG');
    return error as PrescientError;
  };

  it('a missing key file', async () => {
    const error = await refusal({ certFile: file('server.crt'), keyFile: file('missing.key') });
    expect(error.issues[0]?.path).toBe('server.grpcTls.keyFile');
    expect(error.message).toContain('missing.key');
  });

  it('a file that is not PEM, and a key that does not match the certificate', async () => {
    writeFileSync(file('garbage.crt'), 'not a certificate\n');
    expect((await refusal({ certFile: file('garbage.crt'), keyFile: file('server.key') })).issues[0]?.path).toBe('server.grpcTls');
    expect((await refusal({ certFile: file('server.crt'), keyFile: file('keda.key') })).message).toMatch(/not usable/);
  });
});

describe('configuration', () => {
  it('reads TLS file paths relative to the configuration file', () => {
    const path = file('prescient.yaml');
    writeFileSync(path, 'server:\n  grpcTls:\n    certFile: server.crt\n    keyFile: ./server.key\n    clientCaFile: ca.crt\n');
    const tls = loadConfig(path, {}).server.grpcTls;
    expect(tls).toEqual({ certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: file('ca.crt') });
  });

  it('warns at start beyond loopback without TLS (and without client certificates), never on loopback', () => {
    const server = { host: '0.0.0.0', grpcPort: 9090, authToken: 'a-token-of-16-chars' };
    expect(exposureWarnings({ ...server, host: '127.0.0.1' })).toEqual([]);
    expect(exposureWarnings({ ...server, host: '::1' })).toEqual([]);
    const plaintext = exposureWarnings(server);
    expect(plaintext).toHaveLength(1);
    expect(plaintext[0]).toMatch(/gRPC\) on 0\.0\.0\.0:9090 has no TLS/);
    expect(exposureWarnings({ ...server, grpcTls: { certFile: 'c', keyFile: 'k' } })[0]).toMatch(/without client certificates/);
    expect(exposureWarnings({ ...server, grpcTls: { certFile: 'c', keyFile: 'k', clientCaFile: 'ca' } })).toEqual([]);
    const noToken = exposureWarnings({ host: '0.0.0.0', grpcPort: 9090, grpcTls: { certFile: 'c', keyFile: 'k', clientCaFile: 'ca' } });
    expect(noToken).toEqual([expect.stringMatching(/HTTP on 0\.0\.0\.0 has no token/)]);
    // A worker replica binds nothing.
    expect(exposureWarnings(server, false)).toEqual([]);
  });
});
