/**
 * Typed, validating access to one parsed dataset (or sequence item). Every accessor names the file,
 * the position in nested sequences ("BeamSequence[0] > ControlPointSequence[2]") and the tag as
 * "(gggg,eeee) Keyword" when a value is missing or malformed.
 *
 * Empty values (a Type 2 element present with zero length) read as absent.
 */

import { DicomError, elideValue, fmt, QUOTED_MAX_CHARS } from '../../../core/errors.js';
import type { RawDataset, RawElement } from '../dcmjs.js';
import { NumberElement } from './decode.js';
import { tagHex, tagLabel, type TagKeyword } from '../tags.js';

export class DicomView {
  constructor(
    /** The dcmjs dataset (keys are 8-digit hex tags). */
    readonly raw: RawDataset,
    /** File (or buffer name) the dataset came from, for messages. */
    readonly file: string,
    /** Position inside nested sequences; '' for the top-level dataset. */
    readonly path: string = '',
  ) {}

  /**
   * A DicomError about this dataset, naming the file, the sequence path and the tag. A value the
   * message quotes is cut when it runs over 80 characters without a blank (elideLongWords); control
   * characters are escaped by the error itself (escapeControl).
   */
  error(message: string, keyword?: TagKeyword): DicomError {
    const text = elideLongWords(message);
    return new DicomError(this.path === '' ? text : `${this.path}: ${text}`, {
      file: this.file,
      ...(keyword !== undefined ? { tag: tagLabel(keyword) } : {}),
    });
  }

  private missing(keyword: TagKeyword): DicomError {
    return this.error('missing required attribute', keyword);
  }

  element(keyword: TagKeyword): RawElement | undefined {
    return this.raw[tagHex(keyword)];
  }

  /** The element's values, or undefined when absent or empty. */
  values(keyword: TagKeyword): readonly unknown[] | undefined {
    const v = this.element(keyword)?.Value;
    if (!Array.isArray(v) || v.length === 0) return undefined;
    if (v.every((x) => x === null || x === undefined || x === '')) return undefined;
    return v;
  }

  has(keyword: TagKeyword): boolean {
    return this.values(keyword) !== undefined;
  }

  /** First value as a trimmed string (PN: the alphabetic form), or undefined. */
  string(keyword: TagKeyword): string | undefined {
    const v = this.values(keyword);
    if (v === undefined) return undefined;
    const s = toText(v[0]);
    if (s === undefined) throw this.error(`expected a text value, found ${describeValue(v[0])}`, keyword);
    return s === '' ? undefined : s;
  }

  requireString(keyword: TagKeyword): string {
    const s = this.string(keyword);
    if (s === undefined) throw this.missing(keyword);
    return s;
  }

  /** All values as trimmed strings. */
  strings(keyword: TagKeyword): string[] {
    const v = this.values(keyword);
    if (v === undefined) return [];
    return v.map((x) => {
      const s = toText(x);
      if (s === undefined) throw this.error(`expected text values, found ${describeValue(x)}`, keyword);
      return s;
    });
  }

  /** First value as a finite number, or undefined when absent. */
  number(keyword: TagKeyword): number | undefined {
    const v = this.values(keyword);
    return v === undefined ? undefined : this.toNumber(v[0], keyword);
  }

  requireNumber(keyword: TagKeyword): number {
    const n = this.number(keyword);
    if (n === undefined) throw this.missing(keyword);
    return n;
  }

  /** First value as an integer, or undefined when absent. */
  integer(keyword: TagKeyword): number | undefined {
    const n = this.number(keyword);
    if (n !== undefined && !Number.isInteger(n)) throw this.error(`expected an integer, found ${fmt(n)}`, keyword);
    return n;
  }

  requireInteger(keyword: TagKeyword): number {
    const n = this.integer(keyword);
    if (n === undefined) throw this.missing(keyword);
    return n;
  }

  /** All values as finite numbers (exactly `count` of them when given), or undefined when absent. */
  numbers(keyword: TagKeyword, count?: number): number[] | undefined {
    const v = this.values(keyword);
    if (v === undefined) return undefined;
    const out = v.map((x) => this.toNumber(x, keyword));
    if (count !== undefined && out.length !== count) {
      throw this.error(`expected ${count} values, found ${out.length}`, keyword);
    }
    return out;
  }

  /** All values as finite numbers in a Float64Array (as numbers(), without the intermediate array), or
   * undefined when absent: for long lists such as ContourData. A decimal string decoded here
   * (decode.ts NumberElement: every value a finite number) is read as it is, not copied. */
  float64s(keyword: TagKeyword): Float64Array | undefined {
    const el = this.element(keyword);
    if (el instanceof NumberElement) return el.numbers;
    const v = this.values(keyword);
    if (v === undefined) return undefined;
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      // a finite number as it is, with no call (a returned number is a heap allocation in V8);
      // anything else through toNumber's checks
      out[i] = typeof x === 'number' && Number.isFinite(x) ? x : this.toNumber(x, keyword);
    }
    return out;
  }

  requireNumbers(keyword: TagKeyword, count?: number): number[] {
    const v = this.numbers(keyword, count);
    if (v === undefined) throw this.missing(keyword);
    return v;
  }

  /** Items of a sequence (empty when absent). */
  sequence(keyword: TagKeyword): DicomView[] {
    const el = this.element(keyword);
    const v = el?.Value;
    if (el === undefined || v === undefined || v.length === 0) return [];
    if (!Array.isArray(v)) throw this.error('expected a sequence', keyword);
    return v.map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item) || item instanceof ArrayBuffer) {
        throw this.error(`expected a sequence of items, found ${describeValue(item)} as item ${i}`, keyword);
      }
      const name = `${keyword}[${i}]`;
      return new DicomView(item as RawDataset, this.file, this.path === '' ? name : `${this.path} > ${name}`);
    });
  }

  /** Items of a sequence that must have at least `minItems` items. */
  requireSequence(keyword: TagKeyword, minItems = 1): DicomView[] {
    const items = this.sequence(keyword);
    if (items.length === 0 && minItems > 0) throw this.missing(keyword);
    if (items.length < minItems) throw this.error(`expected at least ${minItems} items, found ${items.length}`, keyword);
    return items;
  }

  private toNumber(x: unknown, keyword: TagKeyword): number {
    let n: number;
    if (typeof x === 'number') n = x;
    else if (typeof x === 'string' && x.trim() !== '') n = Number(x.trim());
    else throw this.error(`expected a number, found ${describeValue(x)}`, keyword);
    if (!Number.isFinite(n)) throw this.error(`expected a finite number, found ${describeValue(x)}`, keyword);
    return n;
  }
}

/** Text of a string, number or person-name value; undefined for anything else. */
function toText(x: unknown): string | undefined {
  if (typeof x === 'string') return x.replace(/[\0\s]+$/u, '').replace(/^\s+/u, '');
  if (typeof x === 'number') return String(x);
  if (x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof ArrayBuffer)) {
    const pn = x as { Alphabetic?: unknown };
    if (typeof pn.Alphabetic === 'string') return pn.Alphabetic.trim();
    if (Object.keys(x).length === 0) return '';
  }
  return undefined;
}

/**
 * Cut every run of over 80 non-blank characters to its first 64: a corrupted value quoted by a
 * reader (e.g. "found Modality ...") stays short. Quoted values (elideValue, at most 69 characters
 * with their quotes) and UIDs (at most 64) are left whole.
 */
function elideLongWords(message: string): string {
  return message.replace(/\S{81,}/gu, (word) => {
    const chars = [...word];
    return chars.length > 80 ? `${chars.slice(0, QUOTED_MAX_CHARS).join('')}... (${chars.length} characters)` : word;
  });
}

function describeValue(x: unknown): string {
  if (x === null || x === undefined) return 'an empty value';
  if (typeof x === 'string') return elideValue(x);
  if (typeof x === 'number') return fmt(x);
  if (x instanceof ArrayBuffer) return `${x.byteLength} bytes of binary data`;
  if (Array.isArray(x)) return 'a list';
  return typeof x === 'object' ? 'a nested item' : typeof x;
}
