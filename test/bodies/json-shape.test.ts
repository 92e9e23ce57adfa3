import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { JsonShapeScanner, valueEnd, type JsonShapeLimits } from '../../src/bodies/json-shape.js';
import { SeriesValuesScan } from '../../src/bodies/series-values-scan.js';

/** The scanner on its own, across chunk boundaries (over real HTTP: test/api/json-body.test.ts). */
describe('JsonShapeScanner', () => {
  const text = Buffer.from('{"a\\"[":[1,[2,"\\\\"]],"é,{x":"\\u00e9[[[","long":123456789012}');
  // This text: depth 3, 4 commas outside strings, longest value 12 bytes (the number).
  const exact: JsonShapeLimits = { maxDepth: 3, maxElements: 4, maxValueBytes: 12 };
  const scanSplit = (limits: JsonShapeLimits, cuts: number[]) => {
    const scanner = new JsonShapeScanner(limits);
    const bounds = [0, ...cuts, text.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const refusal = scanner.scan(text.subarray(bounds[i], bounds[i + 1]));
      if (refusal) return refusal.code;
    }
    return undefined;
  };

  it('reads the same shape wherever the chunks are cut (escapes, strings, numbers split across chunks)', () => {
    for (let cut = 1; cut < text.length; cut++) {
      expect(scanSplit(exact, [cut]), `cut at ${cut}`).toBeUndefined();
      expect(scanSplit({ ...exact, maxDepth: 2 }, [cut]), `cut at ${cut}`).toBe('PRESCIENT_ERR_BODY_TOO_COMPLEX');
      expect(scanSplit({ ...exact, maxElements: 3 }, [cut]), `cut at ${cut}`).toBe('PRESCIENT_ERR_BODY_TOO_COMPLEX');
      expect(scanSplit({ ...exact, maxValueBytes: 11 }, [cut]), `cut at ${cut}`).toBe('PRESCIENT_ERR_BODY_VALUE_TOO_LONG');
    }
    const byteByByte = Array.from({ length: text.length - 1 }, (_, i) => i + 1);
    expect(scanSplit(exact, byteByByte)).toBeUndefined();
    expect(scanSplit({ ...exact, maxValueBytes: 11 }, byteByByte)).toBe('PRESCIENT_ERR_BODY_VALUE_TOO_LONG');
  });

  it('counts strings, keys included, when told to', () => {
    expect(scanSplit({ ...exact, maxStrings: 5 }, [7])).toBeUndefined();
    expect(scanSplit({ ...exact, maxStrings: 4 }, [7])).toBe('PRESCIENT_ERR_BODY_TOO_COMPLEX');
  });

  it('refuses exactly what a plain byte-by-byte reading of its rules refuses, however the text is cut (seeded)', () => {
    // The rules, one byte at a time, with nothing skipped: the scanner's jumps (native searches in strings,
    // a tight loop over a number's bytes) must find the same first limit passed.
    const reference = (bytes: Uint8Array, limits: Required<JsonShapeLimits>): string | undefined => {
      let depth = 0, elements = 0, strings = 0, valueBytes = 0, inString = false, escaped = false;
      for (const c of bytes) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) {
            inString = false;
            continue;
          }
          if (++valueBytes > limits.maxValueBytes) return 'PRESCIENT_ERR_BODY_VALUE_TOO_LONG';
          continue;
        }
        const ch = String.fromCharCode(c);
        if (ch === '"') {
          if (++strings > limits.maxStrings) return 'PRESCIENT_ERR_BODY_TOO_COMPLEX';
          inString = true;
        } else if ('[{'.includes(ch)) {
          if (++depth > limits.maxDepth) return 'PRESCIENT_ERR_BODY_TOO_COMPLEX';
        } else if (']}'.includes(ch)) depth--;
        else if (ch === ',') {
          if (++elements > limits.maxElements) return 'PRESCIENT_ERR_BODY_TOO_COMPLEX';
        } else if (!': \n\r\t'.includes(ch)) {
          if (++valueBytes > limits.maxValueBytes) return 'PRESCIENT_ERR_BODY_VALUE_TOO_LONG';
          continue;
        }
        valueBytes = 0;
      }
      return undefined;
    };
    const piece = fc.constantFrom('[', ']', '{', '}', ',', ':', ' ', '\n', '"', '\\', '\\"', '1', '-2.5e+3', '123456', 'null', 'é', 'x', ', ', '1,2,3', '1e16,-0.5,');
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 120 }).map((parts) => Buffer.from(parts.join(''))),
        fc.record({ maxDepth: fc.integer({ min: 1, max: 6 }), maxElements: fc.integer({ min: 1, max: 30 }), maxValueBytes: fc.integer({ min: 1, max: 20 }), maxStrings: fc.integer({ min: 1, max: 20 }) }),
        fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 6 }),
        (bytes, limits, cuts) => {
          const scanner = new JsonShapeScanner(limits);
          const bounds = [0, ...[...new Set(cuts)].filter((c) => c < bytes.length).sort((a, b) => a - b), bytes.length];
          let code: string | undefined;
          for (let i = 0; i + 1 < bounds.length && code === undefined; i++) code = scanner.scan(bytes.subarray(bounds[i], bounds[i + 1]))?.code;
          expect(code).toBe(reference(bytes, limits));
          // With the values scan reading the numbers (the bodies lane's way: one whole text), in and out of a series' values.
          for (const text of [bytes, Buffer.concat([Buffer.from('{"values":['), bytes])]) {
            expect(new JsonShapeScanner(limits, new SeriesValuesScan(['values'], 'body.values')).scan(text)?.code).toBe(reference(text, limits));
          }
        },
      ),
      { seed: 11, numRuns: 3000 },
    );
  });

  it('counts a string of escapes by its bytes', () => {
    const escapes = Buffer.from(JSON.stringify({ s: '\\'.repeat(50_000) }));
    expect(new JsonShapeScanner({ ...exact, maxValueBytes: 100_000 }).scan(escapes)).toBeUndefined();
    expect(new JsonShapeScanner({ ...exact, maxValueBytes: 99_999 }).scan(escapes)?.code).toBe('PRESCIENT_ERR_BODY_VALUE_TOO_LONG');
  });

  it("searches bytes in shared memory with Buffer's native search, not the typed array's own (an atomic load a byte there), and reads them alike", () => {
    // A series body as the bodies lane's thread gets it: a view of a shared buffer (src/api/body-arenas.ts).
    const shared = new Uint8Array(new SharedArrayBuffer(text.length + 8)).subarray(4, 4 + text.length);
    shared.set(text);
    const events = (bytes: Uint8Array) => {
      const seen: string[] = [];
      const listener = {
        open: (isArray: boolean) => seen.push(isArray ? '[' : '{'),
        close: (isArray: boolean) => seen.push(isArray ? ']' : '}'),
        comma: () => seen.push(','),
        colon: () => seen.push(':'),
        end: (inString: boolean) => seen.push(`end:${inString}`),
        string: (b: Uint8Array, start: number, end: number, escaped: boolean) => seen.push(`s:${Buffer.from(b.subarray(start, end)).toString()}:${escaped}`),
        value: (b: Uint8Array, start: number, limit: number) => {
          const end = valueEnd(b, start, limit);
          seen.push(`v:${Buffer.from(b.subarray(start, end)).toString()}`);
          return end;
        },
      };
      const refusal = new JsonShapeScanner({ maxDepth: 8, maxElements: 100, maxValueBytes: 100 }, listener).scan(bytes);
      return { refusal, seen };
    };
    const indexOf = vi.spyOn(Uint8Array.prototype, 'indexOf');
    try {
      const fromShared = events(shared);
      // 1.06 MB without a backslash cost the typed array's search 2.2 ms, Buffer's 0.02 ms.
      expect(indexOf).not.toHaveBeenCalled();
      expect(fromShared).toEqual(events(Buffer.from(text)));
      expect(fromShared.seen).toContain('s:a\\"[:true');
      expect(fromShared.seen.filter((e) => e.startsWith('v:'))).toEqual(['v:1', 'v:2', 'v:123456789012']);
    } finally {
      indexOf.mockRestore();
    }
  });
});
