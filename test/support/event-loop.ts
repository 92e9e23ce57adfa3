/**
 * How many turns of the event loop other work got while `work` ran: a callback that takes every turn it can
 * (setImmediate after setImmediate) until `work` settles. Zero when `work` held the loop from start to end.
 */
export async function turnsWhile<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let finished = false;
  let turns = 0;
  const otherWork = (): void => {
    if (finished) return;
    turns++;
    setImmediate(otherWork);
  };
  setImmediate(otherWork);
  try {
    return { result: await work(), turns };
  } finally {
    finished = true;
  }
}
