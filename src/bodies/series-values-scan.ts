/**
 * A series body's values judged while its shape is scanned, before any
 * `JSON.parse` (issue 11, item 3): a body of many values out of range is
 * refused for the cost of that scan, as ./issues.ts `manyBadValuesError`
 * would refuse it after the parse — same rule (`isSeriesValue`), same
 * threshold (more than MAX_ISSUES bad values), same answer. Parsing the
 * refused 1.06 MB body of parse-cost cost the bodies thread about 12 ms of CPU
 * (decoding and JSON.parse), the scan about 2.
 *
 * It only ever refuses what the parse would refuse with that answer: where it
 * cannot be sure (a token anywhere that is not a JSON number or literal, tokens
 * in an order JSON does not allow (./json-grammar.ts), a string with a bad escape or a raw
 * control character, a `__proto__` or `constructor` key, which secure-json-parse
 * may refuse) it says nothing and the body is parsed as before. Keys are read as JSON.parse reads them (escapes, and
 * the last of duplicate keys counts). It reads the structure events of one
 * JsonShapeScanner (./json-shape.ts) over the whole body in one chunk: it
 * keeps positions, not bytes, so a key or number cut across chunks would be
 * misread (the bodies lane's thread scans whole bodies).
 */
import type { PrescientError } from '../errors.js';
import { JsonGrammar } from './json-grammar.js';
import { isValueByte, valueEnd, type JsonStructureListener } from './json-shape.js';
import { isSeriesValue, REQUEST_BOUNDS } from './fields.js';
import { badValuesError, MAX_ISSUES } from './issues.js';

/** The decimal order of magnitude of REQUEST_BOUNDS.maxAbsValue (1e15 → 15): a number of a lower order is in range, of a higher one out. */
const MAX_ORDER = Math.log10(REQUEST_BOUNDS.maxAbsValue);
// A power of ten where 10^MAX_ORDER + 1 is still a double of its own: judgeToken's rule relies on both.
if (!Number.isInteger(MAX_ORDER) || MAX_ORDER > 15) throw new Error('REQUEST_BOUNDS.maxAbsValue must be a power of ten ≤ 1e15 for the values scan');

const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/**
 * What one token among the values is to `isSeriesValue`, judged from its bytes; `unsure`: not a JSON
 * number or literal (JSON.parse will refuse the body, or read it otherwise), so the scan stays silent.
 */
export const TOKEN_VERDICT = Object.freeze({ inRange: 0, bad: 1, unsure: 2 } as const);
type Verdict = (typeof TOKEN_VERDICT)[keyof typeof TOKEN_VERDICT];
const { inRange: IN_RANGE, bad: BAD, unsure: UNSURE } = TOKEN_VERDICT;

const LITERALS: ReadonlyArray<readonly [Uint8Array, Verdict]> = [
  [Buffer.from('null'), IN_RANGE],
  [Buffer.from('true'), BAD],
  [Buffer.from('false'), BAD],
];

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

/** `null` is a gap, `true` and `false` are bad values, any other word is not JSON. */
function judgeLiteral(bytes: Uint8Array, start: number, end: number): Verdict {
  for (const [literal, verdict] of LITERALS) {
    if (end - start !== literal.length) continue;
    let k = 0;
    while (k < literal.length && bytes[start + k] === literal[k]) k++;
    if (k === literal.length) return verdict;
  }
  return UNSURE;
}

/** First index from `i` (< end) that is not a digit. */
function skipDigits(bytes: Uint8Array, i: number, end: number): number {
  // One unsigned comparison a byte (a byte below '0' wraps to a large number).
  while (i < end && ((bytes[i] as number) - ZERO) >>> 0 <= 9) i++;
  return i;
}

/**
 * A token's verdict under `isSeriesValue`, exactly as JSON.parse then the
 * rule would give it (`unsure` unless the whole of `bytes[start..end)` is one
 * JSON number or literal).
 */
export function judgeToken(bytes: Uint8Array, start: number, end: number): Verdict {
  const read = readToken(bytes, start, end);
  return read >>> 2 === end ? ((read & 3) as Verdict) : UNSURE;
}

/**
 * Reads the number or literal that starts at `start` (JsonShapeScanner met one of its bytes there), once:
 * where it ends (valueEnd's answer) and its verdict under `isSeriesValue`, exactly as JSON.parse then the
 * rule would give it. Its syntax is checked, its order of magnitude read from where its digits, point and
 * exponent are; only a number of the bound's own order has its digits read again (./borderVerdict). It runs
 * once per value of a 60,000-value body, and reads each byte once: the scan used to find the token's end,
 * then judge it, reading its digits twice.
 * @returns end × 4 + verdict, one small integer (bodies are at most 64 MiB: server.bodyLimitBytes)
 */
function readToken(bytes: Uint8Array, start: number, limit: number): number {
  let i = start;
  if (bytes[i] === MINUS) i++;
  const intStart = i;
  const intEnd = (i = skipDigits(bytes, i, limit));
  if (intEnd === intStart) {
    const end = valueEnd(bytes, i, limit);
    return end * 4 + (intStart === start ? judgeLiteral(bytes, start, end) : UNSURE);
  }
  let fracStart = i;
  let fracEnd = i;
  if (i < limit && bytes[i] === DOT) {
    fracStart = i + 1;
    fracEnd = i = skipDigits(bytes, fracStart, limit);
    if (fracEnd === fracStart) return valueEnd(bytes, i, limit) * 4 + UNSURE;
  }
  let exponent = 0;
  if (i < limit && (bytes[i] === LOWER_E || bytes[i] === UPPER_E)) {
    i++;
    const negative = i < limit && bytes[i] === MINUS;
    if (negative || (i < limit && bytes[i] === PLUS)) i++;
    const expStart = i;
    // Capped: an exponent this large already puts the number far out of range (or at 0) whatever its digits.
    for (; i < limit && isDigit(bytes[i] as number); i++) exponent = Math.min(exponent * 10 + (bytes[i] as number) - ZERO, 1e6);
    if (i === expStart) return valueEnd(bytes, i, limit) * 4 + UNSURE;
    if (negative) exponent = -exponent;
  }
  // More bytes of the same token (`1.2.3`, `1x`): not a JSON number.
  if (i < limit && isValueByte(bytes[i] as number)) return valueEnd(bytes, i, limit) * 4 + UNSURE;
  const intZero = bytes[intStart] === ZERO;
  if (intZero && intEnd - intStart > 1) return i * 4 + UNSURE; // a leading zero: not JSON
  return i * 4 + judgeNumber(bytes, start, i, intStart, intEnd, intZero, fracStart, fracEnd, exponent);
}

/**
 * readToken's answer for the commonest value, a plain number (`-?digits(.digits)?`, no leading zero, not within a
 * factor 2 above the bound), small enough to be inlined where each value is read; -1 for anything else (readToken's to read).
 */
function readPlainNumber(bytes: Uint8Array, start: number, limit: number): number {
  let i = bytes[start] === MINUS ? start + 1 : start;
  const intStart = i;
  while (i < limit && ((bytes[i] as number) - ZERO) >>> 0 <= 9) i++;
  const order = i - intStart - 1;
  if (order < 0 || (order > 0 && bytes[intStart] === ZERO)) return -1;
  // Of the bound's own order, 2·10^MAX_ORDER or more is out of range however it goes on; from 1 how it rounds decides.
  if (order === MAX_ORDER && bytes[intStart] === ONE) return -1;
  if (i < limit && bytes[i] === DOT) {
    const fracStart = ++i;
    while (i < limit && ((bytes[i] as number) - ZERO) >>> 0 <= 9) i++;
    if (i === fracStart) return -1;
  }
  if (i < limit && isValueByte(bytes[i] as number)) return -1;
  return i * 4 + (order < MAX_ORDER ? IN_RANGE : BAD);
}

/** A JSON number's verdict, from where its digits are: it is in [10^order, 10^(order+1)). */
function judgeNumber(bytes: Uint8Array, start: number, end: number, intStart: number, intEnd: number, intZero: boolean, fracStart: number, fracEnd: number, exponent: number): Verdict {
  let order: number;
  if (!intZero) order = intEnd - intStart - 1 + exponent;
  else {
    // Below 10^exponent: in range unless the exponent is above the bound's.
    if (exponent <= MAX_ORDER) return IN_RANGE;
    let k = fracStart;
    while (k < fracEnd && bytes[k] === ZERO) k++;
    if (k === fracEnd) return IN_RANGE; // zero
    order = exponent - (k - fracStart) - 1;
  }
  if (order !== MAX_ORDER) return order < MAX_ORDER ? IN_RANGE : BAD;
  return borderVerdict(bytes, start, end, intZero ? fracStart : intStart, intZero ? fracStart : intEnd, fracStart, fracEnd);
}

/**
 * A number of the bound's own order, [10^MAX_ORDER, 10^(MAX_ORDER+1)): at least 2·10^MAX_ORDER, or
 * 10^MAX_ORDER + 1 (a digit of weight ≥ 1 is not zero), is beyond the bound once parsed too; only
 * 10^MAX_ORDER and a fraction is converted, since how it rounds decides.
 */
function borderVerdict(bytes: Uint8Array, start: number, end: number, intStart: number, intEnd: number, fracStart: number, fracEnd: number): Verdict {
  const afterInt = leadingDigits(bytes, intStart, intEnd, 0);
  if (afterInt < 0 || leadingDigits(bytes, fracStart, fracEnd, afterInt) < 0) return BAD;
  return isSeriesValue(Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'))) ? IN_RANGE : BAD;
}

const OFF_PATH = -1;

/** Whether a string's bytes hold a character JSON requires escaped (below U+0020): JSON.parse refuses it raw. */
function hasControlByte(bytes: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if ((bytes[k] as number) < 0x20) return true;
  return false;
}

/**
 * Reads digits [from, to) as the next significant digits of a number of the bound's order, after
 * `significant` of them: -1 when the first is above 1 or one of the next MAX_ORDER is not 0 (beyond the bound), else how many so far.
 */
function leadingDigits(bytes: Uint8Array, from: number, to: number, significant: number): number {
  for (let k = from; k < to && significant <= MAX_ORDER; k++) {
    const digit = (bytes[k] as number) - ZERO;
    if (significant === 0 && digit === 0) continue;
    if (significant === 0 ? digit > 1 : digit !== 0) return -1;
    significant++;
  }
  return significant;
}

/**
 * Follows one JSON text's structure (JsonShapeScanner's events) to the
 * array at `path` (`['values']`, `['series', 'values']`) and judges its
 * elements; duplicate keys are read as JSON.parse reads them (the last one
 * counts).
 */
export class SeriesValuesScan implements JsonStructureListener {
  private readonly path: readonly Uint8Array[];
  private readonly keys: readonly string[];
  /** Per open container, outermost first: is it an array, and how many segments of `path` lead to it (OFF_PATH: none). */
  private readonly isArray: boolean[] = [];
  private readonly matched: number[] = [];
  /** The innermost container is the values array. */
  private inValues = false;
  /** Whether the tokens come in an order JSON allows: the parse fails on a body where they do not. */
  private readonly grammar = new JsonGrammar();
  /** After a key on the path: the segments its value would have matched. */
  private pendingMatch = OFF_PATH;
  private unsure = false;
  private values = 0;
  private bad = 0;
  private readonly firstBad: number[] = [];

  /** @param path the values' keys from the body's top; `issuePath` names them in answers (`body.values`). */
  constructor(path: readonly string[], private readonly issuePath: string) {
    this.keys = [...path];
    this.path = path.map((key) => Buffer.from(key));
  }

  /**
   * PRESCIENT_ERR_VALIDATION (manyBadValuesError's answer) when the values hold more than MAX_ISSUES bad ones and the scan was sure
   * (the whole text is JSON that secure-json-parse reads); else undefined. Called once the whole text was scanned.
   */
  refusal(): PrescientError | undefined {
    return !this.unsure && this.grammar.complete() && this.bad > MAX_ISSUES ? badValuesError(this.firstBad, this.bad, this.values, this.issuePath) : undefined;
  }

  open(isArray: boolean): void {
    this.grammar.open(isArray);
    const top = this.isArray.length === 0;
    const match = top ? 0 : this.valueStarts();
    if (match === this.path.length + 1) this.element(BAD); // an array or object among the values
    // The body's top object leads to the path; an object reached by its keys leads on; the values must be an array.
    let matched = OFF_PATH;
    if (match === this.path.length) matched = isArray ? match : OFF_PATH;
    else if (match !== OFF_PATH && match < this.path.length) matched = isArray ? OFF_PATH : match;
    this.isArray.push(isArray);
    this.matched.push(matched);
    this.inValues = isArray && matched === this.path.length;
  }

  close(isArray: boolean): void {
    this.grammar.close(isArray);
    this.isArray.pop();
    this.matched.pop();
    this.inValues = this.isArray.at(-1) === true && this.matched.at(-1) === this.path.length;
    this.pendingMatch = OFF_PATH;
  }

  comma(): void {
    this.grammar.comma();
  }

  colon(): void {
    this.grammar.colon();
  }

  end(inString: boolean): void {
    if (inString) this.unsure = true;
  }

  string(bytes: Uint8Array, start: number, end: number, escaped: boolean): void {
    if (!this.grammar.expectsKey) {
      this.grammar.value();
      if (this.valueStarts() === this.path.length + 1) this.element(BAD);
      // The parse refuses a string with a bad escape or a raw control character.
      if (escaped ? this.unescaped(bytes, start, end) === undefined : hasControlByte(bytes, start, end)) this.unsure = true;
      return;
    }
    this.grammar.key();
    const key = escaped ? this.unescaped(bytes, start, end) : hasControlByte(bytes, start, end) ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
    // secure-json-parse refuses `__proto__` keys, and `constructor` ones holding a `prototype`: the parse's answer, not ours.
    if (key === undefined || key === '__proto__' || key === 'constructor') {
      this.unsure = true;
      return;
    }
    const depth = this.matched.length - 1;
    const matched = this.matched[depth] ?? OFF_PATH;
    if (matched === OFF_PATH || matched >= this.path.length) return;
    if (key === this.keys[matched]) {
      this.pendingMatch = matched + 1;
      // A later occurrence of a key on the path replaces the earlier one's value, as in JSON.parse.
      this.values = 0;
      this.bad = 0;
      this.firstBad.length = 0;
    }
  }

  value(bytes: Uint8Array, start: number, limit: number): number {
    // The commonest event of all (every number of the body): read once, checked as JSON, judged when among the values.
    this.grammar.value();
    const plain = readPlainNumber(bytes, start, limit);
    const read = plain >= 0 ? plain : readToken(bytes, start, limit);
    const verdict = (read & 3) as Verdict;
    if (this.pendingMatch !== OFF_PATH) this.pendingMatch = OFF_PATH;
    else if (this.inValues) {
      this.element(verdict);
      return read >>> 2;
    }
    if (verdict === UNSURE) this.unsure = true;
    return read >>> 2;
  }

  /**
   * A value starts in the innermost container: how many segments of the path lead to it —
   * path.length for the values array itself (a key's value), path.length + 1 for one of its
   * elements, OFF_PATH otherwise.
   */
  private valueStarts(): number {
    const pending = this.pendingMatch;
    this.pendingMatch = OFF_PATH;
    if (pending !== OFF_PATH) return pending;
    return this.inValues ? this.path.length + 1 : OFF_PATH;
  }

  /** A key written with escapes, as JSON.parse reads it (it may be one of the path's); undefined, and the scan unsure, if it is not JSON. */
  private unescaped(bytes: Uint8Array, start: number, end: number): string | undefined {
    try {
      return JSON.parse(`"${Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8')}"`) as string;
    } catch {
      this.unsure = true;
      return undefined;
    }
  }

  private element(verdict: Verdict): void {
    if (verdict === UNSURE) {
      this.unsure = true;
      return;
    }
    const index = this.values++;
    if (verdict === BAD && ++this.bad <= MAX_ISSUES) this.firstBad.push(index);
  }
}
