/**
 * A top-level sequence decoded here rather than by dcmjs, for the one element where dcmjs is slow:
 * an RTSTRUCT's ROIContourSequence, which holds every contour point as decimal strings (a clinical
 * structure set has 10^5 - 10^6 of them; dcmjs cleans each with a regular expression, about 0.7 µs a
 * number, a tenth of a second per structure set).
 *
 * Input: the bytes of the sequence's value (PS3.5 7.5: items of defined or undefined length, nested
 * sequences), its encoding, and whether its length was undefined. The bytes have already been
 * walked by parse.ts, which proved every length lies inside them.
 * Output: the items as dcmjs datasets ({ vr, Value } keyed by 8-digit hex tag), so that DicomView
 * reads them exactly as it reads what dcmjs decodes:
 * - SQ: items; DS and IS: numbers as dcmjs gives them (each value trimmed, characters other than
 *   0-9 . + - e E dropped, empty as null), read straight from the bytes where the text is a plain
 *   decimal (decodeNumbers: 137 MB of contours in 0.4 s instead of 2.3 s through strings);
 * - AE AS CS DA DT TM UI (ASCII only): strings split at '\', CS trimmed as dcmjs does;
 * - any other VR (text that may need the character set, binary numbers, bytes): the bytes, as an
 *   ArrayBuffer (lattice-rt reads none of those inside this sequence).
 * Implicit VR takes the VR from tags.ts's dictionary. Where dcmjs would decode differently (an
 * element whose VR is UN or differs from the dictionary's for a known tag, an unknown tag of
 * undefined length in implicit VR), `decodeSequence` returns undefined and the caller hands the
 * sequence to dcmjs instead.
 */

import type { RawDataset, RawElement } from '../dcmjs.js';
import { DICTIONARY, LONG_LENGTH_VRS, SHORT_LENGTH_VRS, keywordOfTag, tagHex } from '../tags.js';

const UNDEFINED_LENGTH = 0xffffffff;
const ASCII_VRS: ReadonlySet<string> = new Set(['AE', 'AS', 'CS', 'DA', 'DT', 'TM', 'UI']);
const KNOWN_VRS: ReadonlySet<string> = new Set([...SHORT_LENGTH_VRS, ...LONG_LENGTH_VRS]);
/** A DS / IS value that dcmjs's cleaning leaves as it is (so Number() of it is dcmjs's value). */
const PLAIN_NUMBER = /^[0-9.+\-eE]+$/;

class Unsupported extends Error {}

interface Ctx {
  readonly bytes: Uint8Array;
  readonly explicitVr: boolean;
  readonly u16: (p: number) => number;
  readonly u32: (p: number) => number;
}

/** Latin-1 text of bytes[start, end) (a byte per character, as dcmjs reads ASCII strings). */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let p = start; p < end; p += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(p, Math.min(end, p + 8192)) as unknown as number[]);
  }
  return s;
}

/** dcmjs's DS / IS value: trimmed, characters other than 0-9 . \ - + e E dropped, '' as null. */
function numericValue(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (PLAIN_NUMBER.test(t)) return Number(t);
  const cleaned = t.replace(/[^0-9.\\\-+e]/gi, '');
  return cleaned === '' ? null : Number(cleaned);
}

/** Exact powers of ten as doubles (10^22 is the largest). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MAX_EXACT = 2 ** 53;

/**
 * The DS / IS values of bytes[start, end), as numericValue reads each: straight from the bytes, with
 * no string made, for the plain form (spaces, sign, digits, '.', exponent) whose digits fit a double
 * exactly and whose decimal exponent is within +-22: then m * 10^e (or m / 10^-e) is one correctly
 * rounded operation on exact operands, the same double as Number() of the text (Clinger's fast
 * path). Any other value goes through numericValue.
 */
export function decodeNumbers(bytes: Uint8Array, start: number, end: number): (number | null)[] {
  const out: (number | null)[] = [];
  let p = start;
  for (;;) {
    let q = p;
    while (q < end && bytes[q] !== 0x5c) q++;
    const plain = plainNumber(bytes, p, q);
    out.push(plain !== undefined ? plain : numericValue(latin1(bytes, p, q)));
    if (q >= end) return out;
    p = q + 1;
  }
}

/** The number of a plain DS / IS text in bytes[p, q) (null when blank), or undefined when not plain. */
function plainNumber(bytes: Uint8Array, p: number, q: number): number | null | undefined {
  while (p < q && bytes[p] === 0x20) p++;
  while (q > p && bytes[q - 1] === 0x20) q--;
  if (p === q) return null;
  let negative = false;
  let c = bytes[p]!;
  if (c === 0x2d || c === 0x2b) {
    negative = c === 0x2d;
    p++;
  }
  let mantissa = 0;
  let digits = 0;
  let exponent = 0;
  for (; p < q; p++) {
    c = bytes[p]! - 0x30;
    if (c < 0 || c > 9) break;
    mantissa = mantissa * 10 + c;
    digits++;
  }
  if (p < q && bytes[p] === 0x2e) {
    for (p++; p < q; p++) {
      c = bytes[p]! - 0x30;
      if (c < 0 || c > 9) break;
      mantissa = mantissa * 10 + c;
      digits++;
      exponent--;
    }
  }
  if (digits === 0 || mantissa >= MAX_EXACT) return undefined;
  if (p < q && (bytes[p] === 0x65 || bytes[p] === 0x45)) {
    p++;
    let expNegative = false;
    if (p < q && (bytes[p] === 0x2d || bytes[p] === 0x2b)) expNegative = bytes[p++] === 0x2d;
    let e = 0;
    let expDigits = 0;
    for (; p < q; p++) {
      c = bytes[p]! - 0x30;
      if (c < 0 || c > 9 || e > 1000) break;
      e = e * 10 + c;
      expDigits++;
    }
    if (expDigits === 0) return undefined;
    exponent += expNegative ? -e : e;
  }
  if (p !== q || exponent < -22 || exponent > 22) return undefined;
  const magnitude = exponent < 0 ? mantissa / POW10[-exponent]! : mantissa * POW10[exponent]!;
  return negative ? -magnitude : magnitude;
}

function decodeValue(ctx: Ctx, vr: string, start: number, end: number): unknown[] {
  if (start === end) return [];
  if (vr === 'DS' || vr === 'IS') return decodeNumbers(ctx.bytes, start, end);
  if (ASCII_VRS.has(vr)) {
    const parts = latin1(ctx.bytes, start, end).split('\\');
    return vr === 'CS' ? parts.map((s) => s.trim()) : parts;
  }
  return [new Uint8Array(ctx.bytes.subarray(start, end)).buffer];
}

/** Elements from pos up to end, or to an item delimiter (then `inItem`); returns the dataset and where it stopped. */
function readElements(ctx: Ctx, pos: number, end: number, inItem: boolean): { dataset: RawDataset; next: number } {
  const { bytes, u16, u32 } = ctx;
  const dataset: RawDataset = {};
  while (pos < end) {
    const group = u16(pos);
    const element = u16(pos + 2);
    const tag = ((group << 16) | element) >>> 0;
    if (group === 0xfffe) {
      if (element === 0xe00d && inItem) return { dataset, next: pos + 8 };
      throw new Unsupported();
    }
    const keyword = keywordOfTag(tag);
    const dictVr: string | undefined = keyword !== undefined ? DICTIONARY[keyword][1] : undefined;
    let vr: string;
    let length: number;
    let header: number;
    if (ctx.explicitVr) {
      vr = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!);
      // dcmjs re-reads a known tag stored as UN by its dictionary VR, and an unknown VR as UN.
      if (!KNOWN_VRS.has(vr) || (dictVr !== undefined && vr !== dictVr)) throw new Unsupported();
      if (LONG_LENGTH_VRS.has(vr)) {
        length = u32(pos + 8);
        header = 12;
      } else {
        length = u16(pos + 6);
        header = 8;
      }
    } else {
      length = u32(pos + 4);
      header = 8;
      if (dictVr === undefined && length === UNDEFINED_LENGTH) throw new Unsupported();
      vr = dictVr ?? 'UN';
    }
    const valueStart = pos + header;
    let el: RawElement;
    if (vr === 'SQ') {
      const items = readItems(ctx, valueStart, length === UNDEFINED_LENGTH ? bytes.length : valueStart + length, length === UNDEFINED_LENGTH);
      el = { vr, Value: items.items };
      pos = items.next;
    } else {
      if (length === UNDEFINED_LENGTH) throw new Unsupported();
      el = { vr, Value: decodeValue(ctx, vr, valueStart, valueStart + length) };
      pos = valueStart + length;
    }
    dataset[tagHex(tag)] = el;
  }
  if (inItem) throw new Unsupported();
  return { dataset, next: pos };
}

/** Items of a sequence value from pos: up to end (defined length) or the sequence delimiter. */
function readItems(ctx: Ctx, pos: number, end: number, undefinedLength: boolean): { items: RawDataset[]; next: number } {
  const { u16, u32 } = ctx;
  const items: RawDataset[] = [];
  while (undefinedLength || pos < end) {
    const group = u16(pos);
    const element = u16(pos + 2);
    const length = u32(pos + 4);
    if (group === 0xfffe && element === 0xe0dd) return { items, next: pos + 8 };
    if (group !== 0xfffe || element !== 0xe000) throw new Unsupported();
    const item =
      length === UNDEFINED_LENGTH ? readElements(ctx, pos + 8, ctx.bytes.length, true) : readElements(ctx, pos + 8, pos + 8 + length, false);
    items.push(item.dataset);
    pos = item.next;
  }
  return { items, next: pos };
}

/**
 * The items of a top-level sequence whose value starts at `start` (`length` bytes, or undefined
 * length), or undefined where dcmjs is to decode it (see the header).
 */
export function decodeSequence(
  bytes: Uint8Array,
  start: number,
  length: number,
  explicitVr: boolean,
  littleEndian: boolean,
): RawDataset[] | undefined {
  const ctx: Ctx = {
    bytes,
    explicitVr,
    u16: littleEndian ? (p) => bytes[p]! | (bytes[p + 1]! << 8) : (p) => (bytes[p]! << 8) | bytes[p + 1]!,
    u32: littleEndian
      ? (p) => (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0
      : (p) => ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0,
  };
  try {
    const undefinedLength = length === UNDEFINED_LENGTH;
    return readItems(ctx, start, undefinedLength ? bytes.length : start + length, undefinedLength).items;
  } catch (e) {
    if (e instanceof Unsupported || e instanceof RangeError) return undefined;
    throw e;
  }
}
