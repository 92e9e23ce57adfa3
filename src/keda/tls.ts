import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Config } from '../config/schema.js';
import { PrescientError } from '../errors.js';

type GrpcTls = NonNullable<Config['server']['grpcTls']>;

function readPem(path: string, key: keyof GrpcTls): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new PrescientError('PRESCIENT_ERR_CONFIG', `server.grpcTls.${key}: cannot read ${path}: ${(cause as Error).message}`, {
      cause,
      issues: [{ path: `server.grpcTls.${key}`, message: (cause as Error).message }],
    });
  }
}

/**
 * The client CA file, which must hold a certificate: createSecureContext
 * skips CA text that is none, and every client would then be refused at its
 * handshake instead of the service refusing to start.
 */
function readClientCa(path: string): Buffer {
  const ca = readPem(path, 'clientCaFile');
  try {
    new X509Certificate(ca);
  } catch (cause) {
    throw new PrescientError('PRESCIENT_ERR_CONFIG', `server.grpcTls.clientCaFile: ${path} holds no usable certificate: ${(cause as Error).message}`, {
      cause,
      issues: [{ path: 'server.grpcTls.clientCaFile', message: `no usable certificate: ${(cause as Error).message}` }],
    });
  }
  return ca;
}

/**
 * The gRPC server's credentials: plaintext without `server.grpcTls`; TLS with
 * it; mutual TLS (a client certificate signed by `clientCaFile` required)
 * when that is set. The PEM files are read and checked here, at start, so a
 * wrong file stops the service with a coded line instead of failing KEDA's
 * first handshake.
 * @throws PrescientError PRESCIENT_ERR_CONFIG naming the key whose file is unreadable or not valid PEM (a client CA without a certificate included)
 */
export function grpcServerCredentials(tls: GrpcTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  const cert = readPem(tls.certFile, 'certFile');
  const key = readPem(tls.keyFile, 'keyFile');
  const ca = tls.clientCaFile === undefined ? null : readClientCa(tls.clientCaFile);
  try {
    // OpenSSL's own check: PEM syntax, the key matching the certificate.
    createSecureContext({ cert, key });
  } catch (cause) {
    throw new PrescientError('PRESCIENT_ERR_CONFIG', `server.grpcTls: the certificate or key is not usable: ${(cause as Error).message}`, {
      cause,
      issues: [{ path: 'server.grpcTls', message: (cause as Error).message }],
    });
  }
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}
