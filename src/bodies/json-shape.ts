/**
 * The shape of a JSON text, checked byte by byte before it is parsed (issue
 * 11, item 3): nesting depth, values, strings and the length of each string
 * or number. On the event loop it runs on each chunk of a body as it arrives
 * (src/api/json-body.ts); a series body is checked by the bodies lane's
 * thread instead, on the whole body, before it parses it (src/engine/body-task.ts).
 */
import { PrescientError } from '../errors.js';

/** What a JSON text may hold, besides its size. */
export interface JsonShapeLimits {
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
  /** Most values (array elements and object members, at any depth; counted by their commas). */
  readonly maxElements: number;
  /** Longest string or number, in bytes. */
  readonly maxValueBytes: number;
  /** Most strings (object keys included); unbounded when absent (maxElements bounds them). */
  readonly maxStrings?: number;
}

/**
 * What a reader of a JSON text's structure is told by JsonShapeScanner, in
 * the text's order: containers opened and closed (by which bracket), commas, colons, each string once
 * it ends (its bytes are `bytes[start..end)`, between the quotes; `escaped`
 * when it holds a backslash) and each number or literal. Positions are in
 * the chunk being scanned: a listener that reads them needs the whole text
 * in one `scan` (./series-values-scan.ts).
 */
export interface JsonStructureListener {
  open(isArray: boolean): void;
  close(isArray: boolean): void;
  comma(): void;
  colon(): void;
  string(bytes: Uint8Array, start: number, end: number, escaped: boolean): void;
  /**
   * A number or literal starts at `start`: the listener reads it and returns where it ends, `valueEnd(bytes, start, limit)`.
   * The listener finds the end itself so that a value it judges (most of a series body) is read once, not once here and once there.
   */
  value(bytes: Uint8Array, start: number, limit: number): number;
  /** The text ended (its one `scan` did, within every limit); `inString`: inside a string never closed. */
  end(inString: boolean): void;
}

const QUOTE = 0x22;
const COMMA_BYTE = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const BACKSLASH = 0x5c;

/** What each byte is to JsonShapeScanner outside a string. */
const VALUE = 0;
const STRING = 1;
const OPEN = 2;
const CLOSE = 3;
const COMMA = 4;
const SEPARATOR = 5;
const COLON = 6;
/**
 * Every byte's kind, looked up once per byte: a table and one comparison cost
 * the event loop a third of the per-byte switch it replaces (parse-cost's
 * accepted 1.09 MB body). VALUE: a number's or literal's byte (true, false,
 * null), or a stray byte JSON.parse will refuse.
 */
const BYTE_KIND = new Uint8Array(256);
BYTE_KIND[QUOTE] = STRING;
for (const c of '[{') BYTE_KIND[c.charCodeAt(0)] = OPEN;
for (const c of ']}') BYTE_KIND[c.charCodeAt(0)] = CLOSE;
BYTE_KIND[COMMA_BYTE] = COMMA;
BYTE_KIND[0x3a] = COLON;
for (const c of ' \n\r\t') BYTE_KIND[c.charCodeAt(0)] = SEPARATOR;

/** Whether JsonShapeScanner reads the byte as part of a number or literal (or a stray byte JSON.parse will refuse). */
export function isValueByte(byte: number): boolean {
  return BYTE_KIND[byte] === VALUE;
}

/**
 * Where the number or literal that goes on at `from` ends: the first index from `from` (< limit) whose byte is not
 * a value byte (isValueByte), or `limit`.
 */
export function valueEnd(bytes: Uint8Array, from: number, limit: number): number {
  const kinds = BYTE_KIND;
  let end = from;
  while (end < limit && kinds[bytes[end] as number] === VALUE) end++;
  return end;
}

/**
 * Follows a JSON text's structure byte by byte, chunk by chunk, as it
 * arrives: nesting depth, values (commas) and the length of each string or
 * number. A body past a limit is refused for the cost of reading it up to
 * that point (about a millisecond per MB), never after `JSON.parse` and the
 * schema have built and walked millions of values on the event loop. It
 * works on bytes: every byte of a multi-byte UTF-8 character is ≥ 0x80, so
 * none is taken for a quote or a bracket. It does not validate JSON
 * (`JSON.parse` does, once the body passed).
 */
export class JsonShapeScanner {
  private depth = 0;
  private elements = 0;
  private strings = 0;
  private inString = false;
  private escaped = false;
  /** Bytes of the string or number being read. */
  private valueBytes = 0;
  private scanned = false;

  /** @param listener told the text's structure as it is read; it needs the whole text in one `scan` (a second one throws) */
  constructor(
    private readonly limits: JsonShapeLimits,
    private readonly listener?: JsonStructureListener,
  ) {}

  /**
   * Reads the next bytes of the body.
   * @returns PRESCIENT_ERR_BODY_TOO_COMPLEX (depth, values) or
   *   PRESCIENT_ERR_BODY_VALUE_TOO_LONG as soon as a limit is passed; undefined while within them.
   */
  scan(chunk: Uint8Array): PrescientError | undefined {
    const { maxDepth, maxElements, maxValueBytes } = this.limits;
    const listener = this.listener;
    if (listener && this.scanned) throw new Error('a JsonShapeScanner with a structure listener reads one whole text, in one scan');
    this.scanned = true;
    /** Where the string being read started (after its quote), and whether it holds an escape: for the listener. */
    let stringStart = 0;
    let stringEscaped = false;
    const maxStrings = this.limits.maxStrings ?? Infinity;
    let { depth, elements, strings, inString, escaped, valueBytes } = this;
    const n = chunk.length;
    const bytes = searchable(chunk);
    // Where this chunk's next quote and backslash are, found once each: a string of many escapes stays linear.
    let nextQuote = -1;
    let nextSlash = -1;
    const kinds = BYTE_KIND;
    let i = 0;
    while (i < n) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          valueBytes++;
        } else {
          // Jump to the string's next quote or backslash (a native search): long strings cost little per byte.
          if (nextQuote < i) nextQuote = indexOrEnd(bytes, QUOTE, i);
          if (nextSlash < i) nextSlash = indexOrEnd(bytes, BACKSLASH, i);
          if (nextSlash < nextQuote) {
            valueBytes += nextSlash - i + 1;
            escaped = true;
            stringEscaped = true;
            i = nextSlash + 1;
          } else {
            valueBytes += nextQuote - i;
            inString = nextQuote === n;
            if (listener && !inString) listener.string(chunk, stringStart, nextQuote, stringEscaped);
            i = nextQuote + 1;
          }
        }
        if (valueBytes > maxValueBytes) return this.valueTooLong();
        continue;
      }
      const kind = kinds[chunk[i] as number] as number;
      if (kind === VALUE) {
        // A number or literal: skip to its end in one tight loop (most of a series body is digits), or have the listener read it.
        let end = listener ? listener.value(chunk, i, n) : valueEnd(chunk, i + 1, n);
        valueBytes += end - i;
        if (valueBytes > maxValueBytes) return this.valueTooLong();
        // Then the values that follow it, each after a comma and any whitespace (`1,2`, `1, 2`), in this inner loop:
        // a series body is one such run, and this loop's dispatch per byte was as much as the reading of its values.
        while (end < n && chunk[end] === COMMA_BYTE) {
          let next = end + 1;
          while (next < n && kinds[chunk[next] as number] === SEPARATOR) next++;
          if (next === n || kinds[chunk[next] as number] !== VALUE) break;
          listener?.comma();
          if (++elements > maxElements) return this.tooManyElements();
          end = listener ? listener.value(chunk, next, n) : valueEnd(chunk, next + 1, n);
          valueBytes = end - next;
          if (valueBytes > maxValueBytes) return this.valueTooLong();
        }
        i = end;
        continue;
      }
      i++;
      switch (kind) {
        case STRING:
          if (++strings > maxStrings) {
            return new PrescientError('PRESCIENT_ERR_BODY_TOO_COMPLEX', `the JSON body holds more than ${maxStrings} strings`, {
              issues: [{ path: 'body', message: `at most ${maxStrings} strings (keys included) on this route: a series' values are numbers or null` }],
            });
          }
          inString = true;
          stringStart = i;
          stringEscaped = false;
          break;
        case OPEN:
          listener?.open(chunk[i - 1] === OPEN_ARRAY);
          if (++depth > maxDepth) {
            return new PrescientError('PRESCIENT_ERR_BODY_TOO_COMPLEX', `the JSON body nests deeper than ${maxDepth} levels`, {
              issues: [{ path: 'body', message: `at most ${maxDepth} levels of nesting (server.maxJsonDepth)` }],
            });
          }
          break;
        case CLOSE:
          listener?.close(chunk[i - 1] === CLOSE_ARRAY);
          depth--;
          break;
        case COMMA:
          listener?.comma();
          if (++elements > maxElements) return this.tooManyElements();
          break;
        case COLON:
          listener?.colon();
          break;
        default:
        // SEPARATOR (whitespace): it only ends a value.
      }
      valueBytes = 0;
    }
    Object.assign(this, { depth, elements, strings, inString, escaped, valueBytes });
    listener?.end(inString);
    return undefined;
  }

  private tooManyElements(): PrescientError {
    const max = this.limits.maxElements;
    return new PrescientError('PRESCIENT_ERR_BODY_TOO_COMPLEX', `the JSON body holds more than ${max} values`, {
      issues: [{ path: 'body', message: `at most ${max} values in all on this route` }],
    });
  }

  private valueTooLong(): PrescientError {
    const max = this.limits.maxValueBytes;
    return new PrescientError('PRESCIENT_ERR_BODY_VALUE_TOO_LONG', `a string or number in the JSON body is longer than ${max} bytes`, {
      issues: [{ path: 'body', message: `at most ${max} bytes per string or number (server.maxJsonValueBytes)` }],
    });
  }
}

/**
 * The same bytes as a Buffer, whose `indexOf` is native memchr. A typed array's own `indexOf` compares
 * byte by byte, and on shared memory (a series body in the bodies lane's thread: src/api/body-arenas.ts)
 * with an atomic load each: 2.2 ms to search a 1.06 MB body without a backslash to its end (as the first
 * string does), against 0.02 ms for Buffer's (measured on this machine); that was most of the scan's cost.
 */
function searchable(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function indexOrEnd(chunk: Buffer, byte: number, from: number): number {
  const at = chunk.indexOf(byte, from);
  return at < 0 ? chunk.length : at;
}
