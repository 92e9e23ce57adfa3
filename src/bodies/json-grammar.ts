/**
 * Whether a JSON text's tokens, as JsonShapeScanner reports them (./json-shape.ts), come in an order
 * JSON allows: values and keys where they may stand, a colon after each key, commas between members,
 * brackets that match, one value in all. The values scan (./series-values-scan.ts) refuses a body before
 * it is parsed only when the parse would refuse it with the same answer, so it must know the parse would
 * not fail first: `[1e16 1e16]` or a missing brace is INVALID_JSON_BODY after the parse, never "30 of 30
 * values out of range". Tokens' own syntax (numbers, literals, strings) is the caller's to check.
 */

/** What may come next. */
const VALUE = 0;
const VALUE_OR_CLOSE = 1;
const KEY = 2;
const KEY_OR_CLOSE = 3;
const COLON = 4;
const COMMA_OR_CLOSE = 5;
const END = 6;

export class JsonGrammar {
  private expected = VALUE;
  /** Per open container, outermost first: is it an array. */
  private readonly arrays: boolean[] = [];
  private inArray = false;
  /** A token came where JSON allows none: the text is not JSON. */
  private broken = false;

  /** A string now is an object's key. */
  get expectsKey(): boolean {
    return this.expected === KEY || this.expected === KEY_OR_CLOSE;
  }

  /** The whole text was one JSON value, its tokens in an order JSON allows (checked once the text has ended). */
  complete(): boolean {
    return !this.broken && this.expected === END;
  }

  open(isArray: boolean): void {
    if (this.expected !== VALUE && this.expected !== VALUE_OR_CLOSE) this.broken = true;
    this.arrays.push(isArray);
    this.inArray = isArray;
    this.expected = isArray ? VALUE_OR_CLOSE : KEY_OR_CLOSE;
  }

  close(isArray: boolean): void {
    const empty = isArray ? VALUE_OR_CLOSE : KEY_OR_CLOSE;
    if (this.arrays.length === 0 || this.inArray !== isArray || (this.expected !== COMMA_OR_CLOSE && this.expected !== empty)) this.broken = true;
    this.arrays.pop();
    this.inArray = this.arrays.at(-1) === true;
    this.afterValue();
  }

  comma(): void {
    if (this.expected !== COMMA_OR_CLOSE) this.broken = true;
    this.expected = this.inArray ? VALUE : KEY;
  }

  colon(): void {
    if (this.expected !== COLON) this.broken = true;
    this.expected = VALUE;
  }

  /** A string where expectsKey said a key goes. */
  key(): void {
    this.expected = COLON;
  }

  /** A string, number or literal that is not a key. */
  value(): void {
    if (this.expected !== VALUE && this.expected !== VALUE_OR_CLOSE) this.broken = true;
    this.afterValue();
  }

  private afterValue(): void {
    this.expected = this.arrays.length === 0 ? END : COMMA_OR_CLOSE;
  }
}
