/**
 * Progress for long backtests: a redrawn bar on a terminal, plain lines
 * otherwise (logs and CI keep every step readable).
 */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface Progress {
  update(phase: string, done: number, total: number, detail: string): void;
  /** Ends the bar's line (no-op for plain lines). */
  finish(): void;
}

const BAR_WIDTH = 28;

export function createProgress(stream: ProgressStream): Progress {
  const tty = stream.isTTY === true;
  let drawn = false;
  return {
    update(phase, done, total, detail) {
      if (tty) {
        const filled = total > 0 ? Math.round((done / total) * BAR_WIDTH) : 0;
        const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
        stream.write(`\r\x1b[2K${phase.padEnd(8)} ${bar} ${done}/${total} ${detail}`);
        drawn = true;
      } else {
        stream.write(`${phase} ${done}/${total} ${detail}\n`);
      }
    },
    finish() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}
