import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/backtest/progress.js';

function sink(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (text: string) => written.push(text) }, written };
}

describe('progress', () => {
  it('redraws one bar in place on a terminal and ends its line once', () => {
    const { stream, written } = sink(true);
    const progress = createProgress(stream);
    progress.update('accuracy', 1, 4, 'mstl');
    progress.update('accuracy', 4, 4, 'mstl');
    progress.finish();
    expect(written[0]).toBe(`\r\u001b[2Kaccuracy ${'█'.repeat(7)}${'░'.repeat(21)} 1/4 mstl`);
    expect(written[1]).toMatch(/█{28} 4\/4 mstl$/);
    expect(written.slice(2)).toEqual(['\n']);
  });

  it('writes plain lines when not a terminal', () => {
    const { stream, written } = sink(false);
    const progress = createProgress(stream);
    progress.update('replay', 2, 16, 'auto');
    progress.finish();
    expect(written).toEqual(['replay 2/16 auto\n']);
  });
});
