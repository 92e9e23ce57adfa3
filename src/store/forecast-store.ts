import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TargetConfig } from '../config/schema.js';
import { parsePersisted, toPersisted, type ForecastPersistence, type Persisted, type PersistedFeedback, type PersistedSelection } from '../engine/persisted.js';
import type { TargetForecast, TargetState } from '../engine/target-state.js';
import { removeStrayTemporaries, writeFileAtomic } from '../atomic-file.js';
import { PrescientError } from '../errors.js';

export interface ForecastStoreOptions {
  /**
   * Temporaries modified before this (ms since epoch) are a killed writer's
   * and are removed on first use; default: when this process started.
   */
  readonly startedAtMs?: number;
}

/**
 * Forecasts, model scores and `auto`'s selection on disk, one JSON file per
 * target under `modelsDir`, so a restart serves at once without refitting and
 * does not choose the model again. Writes are atomic and durable
 * (src/atomic-file.ts: fsynced temporary, rename, fsynced directory), so a
 * crash never leaves half a file; the temporaries a crash leaves are removed
 * the first time the store is used.
 */
export class ForecastStore implements ForecastPersistence {
  private swept: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly options: ForecastStoreOptions = {},
  ) {}

  private path(target: string): string {
    return join(this.dir, `${target}.forecast.json`);
  }

  /** Once per store, before its first read or write. Never fails a read or write: a temporary it cannot remove is retried next start. */
  private sweep(): Promise<void> {
    this.swept ??= removeStrayTemporaries(this.dir, (name) => name.endsWith('.forecast.json'), this.options.startedAtMs).then(
      () => undefined,
      () => undefined,
    );
    return this.swept;
  }

  /** @throws PrescientError PRESCIENT_ERR_PERSISTENCE */
  async save(target: TargetConfig, forecast: TargetForecast, scores: TargetState['scores'], selection?: PersistedSelection, feedback?: PersistedFeedback): Promise<void> {
    const body = toPersisted(target, forecast, scores, selection, feedback);
    const path = this.path(target.name);
    await this.sweep();
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(path, JSON.stringify(body));
    } catch (cause) {
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot write ${path}: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * Reads a target's persisted forecast. Returns undefined when there is
   * none or it belongs to other target settings.
   * @throws PrescientError PRESCIENT_ERR_PERSISTENCE for a corrupt or foreign file
   */
  async load(target: TargetConfig): Promise<Persisted | undefined> {
    const path = this.path(target.name);
    await this.sweep();
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
    }
    return parsePersisted(text, target, path);
  }
}
