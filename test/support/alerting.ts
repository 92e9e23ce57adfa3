/**
 * A real alerting chain for tests: Prometheus evaluating alert rules every
 * second and sending to a real Alertmanager, whose webhook receiver posts to
 * a URL (the app under test) with a bearer token. Both from Debian
 * (`prometheus`, `prometheus-alertmanager`; scripts/test.sh installs them),
 * on free loopback ports, from their own temp dir. A missing binary is an
 * error, never a silent skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './prometheus.js';

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: Record<string, string>;
  readonly summary: string;
}

export interface AlertingStack {
  readonly prometheusUrl: string;
  readonly alertmanagerUrl: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function requireBinary(name: string, pkg: string): string {
  const path = findExecutable(name);
  if (!path) throw new Error(`${name} not found on PATH: run \`bash scripts/ensure-debian.sh ${pkg} ${name}\` (installs Debian's "${pkg}" package).`);
  return path;
}

const q = (s: string) => JSON.stringify(s);

// Children still running when the test process exits are killed: no Alertmanager outlives its test run.
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

/** Starts Alertmanager (webhook to `webhookUrl` with `token`), then Prometheus with `rules`; resolves once both answer /-/ready. */
export async function startAlerting(options: { webhookUrl: string; token: string; rules: readonly AlertRule[] }): Promise<AlertingStack> {
  const alertmanagerBin = requireBinary('prometheus-alertmanager', 'prometheus-alertmanager');
  const prometheusBin = requireBinary('prometheus', 'prometheus');
  const root = await mkdtemp(join(tmpdir(), 'prescient-alerting-'));
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  const close = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(killer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await rm(root, { recursive: true, force: true });
  };
  const launch = (bin: string, args: string[]) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => logs.push(text));
    return child;
  };
  try {
    const amPort = await freePort();
    await writeFile(
      join(root, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: prescient',
        '  group_by: [alertname]',
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: prescient',
        '    webhook_configs:',
        `      - url: ${q(options.webhookUrl)}`,
        '        send_resolved: true',
        '        http_config:',
        `          authorization: { type: Bearer, credentials: ${q(options.token)} }`,
        '',
      ].join('\n'),
    );
    launch(alertmanagerBin, [
      `--config.file=${join(root, 'alertmanager.yml')}`,
      `--storage.path=${join(root, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      // No gossip port: tests run side by side, and one Alertmanager needs no cluster.
      '--cluster.listen-address=',
      '--log.level=warn',
    ]);
    const alertmanagerUrl = `http://127.0.0.1:${amPort}`;
    await waitReady(alertmanagerUrl, logs);

    const promPort = await freePort();
    const rules = [
      'groups:',
      '  - name: prescient-test',
      '    interval: 1s',
      '    rules:',
      ...options.rules.flatMap((r) => [
        `      - alert: ${r.alert}`,
        `        expr: ${q(r.expr)}`,
        '        labels:',
        ...Object.entries(r.labels).map(([k, v]) => `          ${k}: ${q(v)}`),
        '        annotations:',
        `          summary: ${q(r.summary)}`,
      ]),
      '',
    ].join('\n');
    await writeFile(join(root, 'rules.yml'), rules);
    await writeFile(
      join(root, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1h',
        '  evaluation_interval: 1s',
        `rule_files: [${q(join(root, 'rules.yml'))}]`,
        'alerting:',
        '  alertmanagers:',
        `    - static_configs: [{ targets: [${q(`127.0.0.1:${amPort}`)}] }]`,
        'scrape_configs: []',
        '',
      ].join('\n'),
    );
    launch(prometheusBin, [
      `--config.file=${join(root, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(root, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      // Firing alerts are sent again every minute by default: the first send goes before Alertmanager is discovered.
      '--rules.alert.resend-delay=1s',
      '--log.level=warn',
    ]);
    const prometheusUrl = `http://127.0.0.1:${promPort}`;
    await waitReady(prometheusUrl, logs);
    return { prometheusUrl, alertmanagerUrl, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function waitReady(url: string, logs: readonly string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${logs.join('').slice(-2000)}`);
}
