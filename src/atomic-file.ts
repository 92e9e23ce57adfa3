/**
 * Durable, atomic file replacement: the one way Prescient persists a file
 * (forecasts, events, LSTM weights). A leaf module, like errors.ts, so every
 * folder of src/ may use it without an import circle.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Suffix of every temporary this module writes: `<target file>.<pid>.<random>.tmp`. */
const TEMPORARY = /\.\d+\.[0-9a-f]+\.tmp$/;

/**
 * Replaces `path` with `data` so that, after a crash or a power loss at any
 * moment, `path` holds either its old content or the new one, whole:
 * the data is written to a temporary beside it and fsynced, renamed over
 * `path`, then the directory is fsynced so the rename itself is on disk
 * before this resolves (issue 11, item 10). The temporary is removed when a
 * step fails.
 * @throws the file system's error (callers wrap it in their coded error)
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  await syncDirectory(dirname(path));
}

/** fsync of a directory: makes a rename or a new entry in it durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** When this process started, ms since epoch: temporaries older than this belong to no running write of ours. */
export const PROCESS_STARTED_MS = Date.now() - process.uptime() * 1000;

/**
 * Removes the temporaries of `writeFileAtomic` that a killed writer left in
 * `dir` beside the files `owns(name)` accepts: those last modified before
 * `startedAtMs` (this process's start by default), so a write in flight is
 * never touched. A missing directory has none.
 * @returns the names removed
 */
export async function removeStrayTemporaries(dir: string, owns: (name: string) => boolean, startedAtMs = PROCESS_STARTED_MS): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!TEMPORARY.test(name) || !owns(name.replace(TEMPORARY, ''))) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile() || info.mtimeMs >= startedAtMs) continue;
    await rm(path, { force: true });
    removed.push(basename(path));
  }
  return removed;
}
