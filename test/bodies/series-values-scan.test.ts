import fc from 'fast-check';
import secureJson from 'secure-json-parse';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSeriesValue } from '../../src/bodies/fields.js';
import { manyBadValuesError } from '../../src/bodies/issues.js';
import { JsonShapeScanner } from '../../src/bodies/json-shape.js';
import { judgeToken, SeriesValuesScan, TOKEN_VERDICT } from '../../src/bodies/series-values-scan.js';
import { runBodyTask } from '../../src/engine/body-task.js';

/**
 * A series body's values judged by the shape scan, before any JSON.parse (src/bodies/series-values-scan.ts):
 * it must refuse exactly what manyBadValuesError refuses after the parse, with the same answer, and
 * never a body the parse would read otherwise.
 */

const SHAPE = { maxDepth: 64, maxElements: 1_000_000, maxValueBytes: 4096, maxStrings: 1_000 };

/** What the scan says of a whole body: the refusal's JSON, or undefined. */
function scan(text: string, keys: readonly string[] = ['values'], path = 'body.values') {
  const values = new SeriesValuesScan(keys, path);
  const bytes = Buffer.from(text);
  expect(new JsonShapeScanner(SHAPE, values).scan(bytes)).toBeUndefined();
  return values.refusal()?.toJSON();
}

/** What the parse says: manyBadValuesError on the values the parse finds there (undefined if it throws). */
function afterParse(text: string, keys: readonly string[] = ['values'], path = 'body.values') {
  let body: unknown;
  try {
    // As src/bodies/parse-body.ts parses a body.
    body = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    return undefined;
  }
  const list = keys.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), body);
  return manyBadValuesError(list, path)?.toJSON();
}

/** Numbers (and not-quite numbers) at and around the values' bound, ±1e15, however written. */
const EDGES = [
  '1000000000000000', '-1000000000000000', '1000000000000001', '1000000000000000.0625', '1000000000000000.0624',
  '1000000000000000.5', '999999999999999.99999', '1e15', '1E+15', '10e14', '0.1e16', '0.10000000000000001e16', '1.000000000000001e15',
  '2e15', '9999999999999999', '1e16', '1e400', '-1e400', '1e-400', '0', '-0', '0.0', '0e99', '5e-324', '123.456', '-99.5e3',
  'null', 'true', 'false', 'nul', 'truex', '01', '-', '1.', '.5', '+1', '1e', '1e+', '--1', '1.2.3', 'NaN', 'Infinity', '0x10',
  '2000000000000000', '-2000000000000000', '1999999999999999.5', '1500000000000000', '-9999999999999999.9', '999999999999999', '100000000000000.5',
];

const verdictOf = (token: string) => judgeToken(Buffer.from(token), 0, Buffer.byteLength(token));

describe('judgeToken', () => {
  const expected = (token: string) => {
    try {
      const value: unknown = JSON.parse(token);
      return isSeriesValue(value) ? TOKEN_VERDICT.inRange : TOKEN_VERDICT.bad;
    } catch {
      return TOKEN_VERDICT.unsure;
    }
  };

  it('judges the edges of ±1e15 as JSON.parse and isSeriesValue do', () => {
    for (const token of EDGES) expect(verdictOf(token), token).toBe(expected(token));
  });

  it("judges them alike among a body's values, where the commonest numbers take a shorter way", () => {
    for (const token of EDGES) {
      const text = `{"values":[${Array.from({ length: 21 }, () => token).join(',')}],"step":60}`;
      expect(scan(text), token).toEqual(afterParse(text));
    }
  });

  it('judges any number however it is written, and any run of number bytes, as the parse would (seeded)', () => {
    const written = fc.tuple(
      fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ min: 9e14, max: 2e15 }), fc.constantFrom(1e15, -1e15, 1e15 + 0.125, 1e15 - 0.125)),
      fc.constantFrom<(x: number) => string>(String, (x) => x.toExponential(), (x) => x.toPrecision(17), (x) => x.toExponential(20).replace('e', 'E'), (x) => x.toFixed(3)),
    ).map(([x, format]) => format(x));
    const runs = fc.stringMatching(/^[-+.0-9eE]{1,24}$/);
    fc.assert(fc.property(fc.oneof(written, runs), (token) => verdictOf(token) === expected(token)), { seed: 20261207, numRuns: 20_000 });
  });
});

describe('SeriesValuesScan', () => {
  const many = (n: number, value: string) => Array.from({ length: n }, () => value).join(',');

  it('refuses more than 20 bad values with the answer the parse gives, and leaves 20 to the parse', () => {
    const text = `{"step":60,"values":[1,${many(21, '1e16')},null,true,"x",[1],{"a":1}],"horizon":60}`;
    expect(scan(text)).toEqual(afterParse(text));
    expect(scan(text)?.message).toBe('25 of 27 values in body.values are not numbers within ±1000000000000000 or null');
    const twenty = `{"values":[${many(20, '1e16')},1],"step":60}`;
    expect(afterParse(twenty)).toBeUndefined();
    expect(scan(twenty)).toBeUndefined();
  });

  it('follows the path to a backtest series, and reads duplicate keys as JSON.parse does (the last one counts)', () => {
    const keys = ['series', 'values'];
    const path = 'body.series.values';
    const bad = `[${many(30, '-2e15')}]`;
    for (const text of [
      `{"series":{"step":60,"values":${bad}},"horizon":60}`,
      `{"series":{"values":[1,2]},"series":{"values":${bad}}}`,
      `{"series":{"values":${bad}},"series":{"values":[1,2]}}`,
      `{"series":{"values":${bad}},"series":5}`,
      `{"series":{"values":${bad},"values":{"a":1}}}`,
      `{"values":${bad},"series":{"values":[1]}}`,
      `{"replay":{"series":{"values":${bad}}}}`,
      `[{"series":{"values":${bad}}}]`,
    ]) {
      expect(scan(text, keys, path), text).toEqual(afterParse(text, keys, path));
    }
    expect(scan(`{"series":{"values":${bad}}}`, keys, path)?.issues?.[0]?.path).toBe('body.series.values.0');
  });

  it('reads escaped keys as JSON.parse does, and stays silent on a token that is not JSON', () => {
    const bad = `[${many(30, '1e16')}]`;
    // JSON.parse reads "\u0076alues" as "values", and the later key counts.
    for (const text of [`{"values":${bad},"\\u0076alues":[1,2]}`, `{"\\u0076alues":${bad}}`, `{"no\\"te":"\\"","values":${bad}}`]) {
      expect(scan(text), text).toEqual(afterParse(text));
    }
    expect(scan(`{"\\u0076alues":${bad}}`)).toBeDefined();
    // A number JSON does not allow: the parse refuses the body as invalid JSON, so the scan says nothing.
    expect(scan(`{"values":[${many(30, '1e16')},01]}`)).toBeUndefined();
    expect(scan(`{"x\\q":1,"values":${bad}}`)).toBeUndefined();
  });

  it('stays silent on a body the parse cannot read, however many of its values are out of range', () => {
    const bad = many(30, '1e16');
    for (const text of [
      `{"values":[${Array.from({ length: 30 }, () => '1e16').join(' ')}],"step":60}`, // no commas between the values
      `{"values":[${bad}]}"`, // a string never closed
      `{"values":[${bad}],,"step":60}`,
      `{"values":[${bad}]]`,
      `{"values":[${bad}],"step":60`, // cut short
      `{"values" [${bad}]}`,
      `{"values":[${bad}],}`,
      `{"values":[${bad}}`,
      `{"values":[${bad}]} x`,
      `{"values":[${bad}]}{}`,
      `{"step":6x0,"values":[${bad}]}`,
      `{"step":tru,"values":[${bad}]}`,
      `{"model":"a\u0001b","values":[${bad}]}`, // a raw control character inside a string
      `{"model":"a\\qb","values":[${bad}]}`, // an escape JSON does not have
      `{"model":"a	b","values":[${bad}]}`, // a raw tab inside a string
      `{"values":[${bad}],"step":60:1}`,
      `{"values":[${bad}],"step"}`,
      `{"values":[${bad}],60:"step"}`,
      `{"__proto__":{},"values":[${bad}]}`, // secure-json-parse refuses it
      `{"constructor":{"prototype":{}},"values":[${bad}]}`,
    ]) {
      let parsed = true;
      try {
        secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
      } catch {
        parsed = false;
      }
      expect(parsed, text).toBe(false);
      expect(scan(text), text).toBeUndefined();
    }
    expect(scan(`{"values":[${bad}],"step":60}`)).toBeDefined();
  });

  it('refuses only what the parse refuses the same way, for any small change to a body of bad values (seeded)', () => {
    const body = `{"step":60,"values":[${many(25, '2e15')},1,null],"model":"snaive","levels":[0.9]}`;
    const inserted = fc.constantFrom('[', ']', '{', '}', ',', ':', '"', ' ', '1', '-', '.', 'e', 'x', '\\', '\n', '\u0001', 'null');
    const change = fc.tuple(fc.integer({ min: 0, max: body.length }), fc.integer({ min: 0, max: 2 }), fc.option(inserted, { nil: '' }));
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 3 }), (changes) => {
        let text = body;
        for (const [at, cut, insert] of changes) text = text.slice(0, at) + insert + text.slice(Math.min(text.length, at + cut));
        const refusal = scan(text);
        if (refusal !== undefined) expect(refusal, text).toEqual(afterParse(text));
      }),
      { seed: 20261207, numRuns: 5_000 },
    );
  });

  it('agrees with the parse on any body of numbers, literals, strings and nested values (seeded)', () => {
    const number = fc.tuple(
      fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ min: -2e15, max: 2e15 }), fc.integer()),
      fc.constantFrom<(x: number) => string>(String, (x) => x.toExponential(), (x) => x.toPrecision(17)),
    ).map(([x, format]) => format(x));
    const element = fc.oneof(
      { weight: 8, arbitrary: number },
      fc.constantFrom('null', 'true', 'false', '"x"', '[1e300]', '{"values":[1e300]}', '[]'),
    );
    const values = fc.array(element, { maxLength: 60 }).map((xs) => `[${xs.join(', ')}]`);
    const member = fc.oneof(
      values.map((v) => `"values":${v}`),
      fc.constantFrom('"step":60', '"values":7', '"other":{"values":[1e300,1e300]}', '"va\\"lues":[1]'),
    );
    const body = fc.array(member, { minLength: 1, maxLength: 4 }).map((ms) => `{${ms.join(',')}}`);
    fc.assert(fc.property(body, (text) => {
      expect(scan(text)).toEqual(afterParse(text));
    }), { seed: 20261207, numRuns: 3_000 });
  });
});

describe('runBodyTask', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const limits = { maxPoints: 60_000, maxHorizonSteps: 10_000 };
  const shape = { ...SHAPE, maxElements: 61_000 };

  it('refuses 60,000 values out of range without parsing the body, with the answer the parse gave', async () => {
    const text = JSON.stringify({ values: Array.from({ length: 60_000 }, (_, i) => 1e16 + i * 1e3), step: 60, horizon: 3600 });
    const parse = vi.spyOn(JSON, 'parse');
    const outcome = await runBodyTask({ route: 'forecast', raw: Buffer.from(text), shape, nowMs: 0, limits });
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    expect(outcome).toEqual({ ok: false, error: manyBadValuesError(JSON.parse(text).values, 'body.values')?.toJSON() });
  });

  it('still parses a body of a few bad values, where the schema names every field at fault', async () => {
    const text = JSON.stringify({ values: [1e16, ...Array.from({ length: 19 }, () => 1), 1e16], step: 0.5, horizon: 3600 });
    const parse = vi.spyOn(JSON, 'parse');
    const outcome = await runBodyTask({ route: 'forecast', raw: Buffer.from(text), shape, nowMs: 0, limits });
    expect(parse).toHaveBeenCalled();
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error.issues?.map((i) => i.path)).toContain('body.step');
  });
});
