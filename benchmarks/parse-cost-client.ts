/**
 * Client for benchmarks/parse-cost.ts, run as a separate process so that
 * building and sending bodies never costs the server's process CPU or event
 * loop. Builds the bodies itself (parseCostBodies) and, for each IPC message
 * `{ base, index, copies, healthz, chunked }`, sends `copies` of body `index`
 * concurrently to POST /api/v1/forecast (asking /healthz in a loop meanwhile
 * when `healthz`), then answers `{ statuses, ms, healthzMaxMs, healthzCount }`.
 * `chunked`: without Content-Length, in 64 KiB chunks, so the server learns
 * the body's size only as it arrives (what a client that wants to get past a
 * Content-Length check sends).
 *
 * Usage: spawned by parse-cost.ts with an IPC channel (tsx benchmarks/parse-cost-client.ts).
 */
import { parseCostBodies } from './parse-cost-bodies.js';

interface Ask {
  base: string;
  index: number;
  copies: number;
  healthz: boolean;
  chunked: boolean;
}

const bodies = parseCostBodies();

process.on('message', (ask: Ask) => {
  void handle(ask).then((answer) => process.send?.(answer));
});
process.send?.({ ready: true, sizes: bodies.map((b) => Buffer.byteLength(b.body)) });

async function handle({ base, index, copies, healthz, chunked }: Ask) {
  const body = Buffer.from(bodies[index]!.body);
  const stream = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < body.length; i += 64 * 1024) controller.enqueue(body.subarray(i, i + 64 * 1024));
        controller.close();
      },
    });
  const started = performance.now();
  let done = false;
  let healthzMaxMs = 0;
  let healthzCount = 0;
  const probe = (async () => {
    while (healthz && !done) {
      const t = performance.now();
      await fetch(`${base}/healthz`).then((r) => r.text());
      healthzMaxMs = Math.max(healthzMaxMs, performance.now() - t);
      healthzCount += 1;
    }
  })();
  const statuses = await Promise.all(
    Array.from({ length: copies }, () =>
      fetch(`${base}/api/v1/forecast`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(chunked ? { body: stream(), duplex: 'half' } : { body }),
      } as RequestInit).then(
        async (r) => `${r.status} ${/"code":"([A-Z_]+)"/.exec(await r.text())?.[1] ?? ''}`.trim(),
        (e: Error) => `error ${e.message}`,
      ),
    ),
  );
  done = true;
  await probe;
  return { statuses, ms: performance.now() - started, healthzMaxMs, healthzCount };
}
