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
import { align8, kernels, reserveKernelMemory } from '../../../core/wasm-kernels.js';
import { DICTIONARY, LONG_LENGTH_VRS, SHORT_LENGTH_VRS, keywordOfTag, tagHex } from '../tags.js';

const UNDEFINED_LENGTH = 0xffffffff;
const ASCII_VRS: ReadonlySet<string> = new Set(['AE', 'AS', 'CS', 'DA', 'DT', 'TM', 'UI']);
const KNOWN_VRS: ReadonlySet<string> = new Set([...SHORT_LENGTH_VRS, ...LONG_LENGTH_VRS]);
const SPECIFIC_CHARACTER_SET = 0x00080005;
/** Character sets (dcmjs's spelling) in which plain ASCII bytes are those characters: single-byte sets and UTF-8. */
const PLAIN_CHARACTER_SETS: ReadonlySet<string> = new Set(
  ['', '6', '100', '101', '109', '110', '126', '127', '138', '144', '148', '166', '192'].map((n) => (n === '' ? '' : `iso-ir-${n}`)),
);
/** VRs whose value dcmjs (and decodeDataset) gives as its bytes. */
const BYTES_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
/** A DS / IS value that dcmjs's cleaning leaves as it is (so Number() of it is dcmjs's value). */
const PLAIN_NUMBER = /^[0-9.+\-eE]+$/;

/** Text VRs whose characters depend on the character set: decoded in `decodeDataset` when plain ASCII. */
const TEXT_VRS: ReadonlySet<string> = new Set(['LO', 'SH', 'ST', 'LT', 'UT', 'UC', 'UR', 'PN']);
/** Text VRs with one value (a backslash is part of the text). */
const SINGLE_TEXT_VRS: ReadonlySet<string> = new Set(['ST', 'LT', 'UT', 'UR']);
/** Binary number VRs: bytes per value. */
const BINARY_VRS: ReadonlyMap<string, number> = new Map([['US', 2], ['SS', 2], ['UL', 4], ['SL', 4], ['FL', 4], ['FD', 8]]);

class Unsupported extends Error {}

interface Ctx {
  readonly bytes: Uint8Array;
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** Whole-dataset mode (decodeDataset): text and binary numbers decoded too, else refused. */
  readonly full: boolean;
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

/** The decimal kernel (assembly/decimal.ts): statuses per value, as it writes them. */
interface DecimalExports {
  parseDecimals(src: number, len: number, values: number, status: number, starts: number): number;
  nonPlainCount(): number;
}
const PLAIN = 0, BLANK = 1;

/** readDecimals's reading of a DS / IS value. */
interface Decimals {
  /** Per value its number; 0 where it is not plain. */
  readonly values: Float64Array;
  /** When any value is not plain: per value its status and the start of its text (from the value's start). */
  readonly others?: { readonly status: Uint8Array; readonly starts: Int32Array };
}

/**
 * The decimal kernel's reading of bytes[start, end) (assembly/decimal.ts): the plain form (spaces,
 * sign, digits, '.', exponent) whose digits fit a double exactly and whose decimal exponent is within
 * +-22, straight from the bytes (m * 10^e or m / 10^-e: one correctly rounded operation on exact
 * operands, the same double as Number() of the text: Clinger's fast path). The bytes are copied into
 * the kernels' memory (src/core/wasm-kernels.ts) for the call, the results out of it.
 */
function readDecimals(bytes: Uint8Array, start: number, end: number): Decimals {
  const len = end - start;
  const valuesAt = align8(len);
  const startsAt = valuesAt + 8 * (len + 1);
  const statusAt = startsAt + 4 * (len + 1);
  reserveKernelMemory(statusAt + len + 1);
  const k = kernels<DecimalExports>();
  const buffer = k.memory.buffer;
  new Uint8Array(buffer, 0, len).set(bytes.subarray(start, end));
  const n = k.parseDecimals(0, len, valuesAt, statusAt, startsAt);
  const values = new Float64Array(buffer, valuesAt, n).slice();
  if (k.nonPlainCount() === 0) return { values };
  return { values, others: { status: new Uint8Array(buffer, statusAt, n).slice(), starts: new Int32Array(buffer, startsAt, n).slice() } };
}

/** numericValue of value i's text (bytes[start, end) holds the values). */
function otherValue(d: Decimals, i: number, bytes: Uint8Array, start: number, end: number): number | null {
  const { status, starts } = d.others!;
  if (status[i] === BLANK) return null;
  const from = start + starts[i]!;
  const to = i + 1 < starts.length ? start + starts[i + 1]! - 1 : end;
  return numericValue(latin1(bytes, from, to));
}

/** The DS / IS values of bytes[start, end), as numericValue reads each: readDecimals's numbers, and numericValue's reading of the others. */
export function decodeNumbers(bytes: Uint8Array, start: number, end: number): (number | null)[] {
  return numbersOf(readDecimals(bytes, start, end), bytes, start, end);
}

/** decodeNumbers from readDecimals's reading d of bytes[start, end). */
function numbersOf(d: Decimals, bytes: Uint8Array, start: number, end: number): (number | null)[] {
  const out: (number | null)[] = Array.from(d.values);
  if (d.others !== undefined) {
    for (let i = 0; i < out.length; i++) if (d.others.status[i] !== PLAIN) out[i] = otherValue(d, i, bytes, start, end);
  }
  return out;
}

/**
 * A DS / IS element whose values are all finite numbers, held as a Float64Array: DicomView.float64s
 * reads it as it is (a structure set's contours, 10^5 - 10^6 numbers, with no array of numbers made
 * and read again); Value, the array dcmjs would give, is made on first read.
 */
export class NumberElement implements RawElement {
  private array: unknown[] | undefined;
  constructor(
    readonly vr: string,
    readonly numbers: Float64Array,
  ) {}

  get Value(): unknown[] {
    return (this.array ??= Array.from(this.numbers));
  }
}

/** A DS / IS element of bytes[start, end) (not empty): a NumberElement when every value is a finite number. */
function numberElement(vr: string, bytes: Uint8Array, start: number, end: number): RawElement {
  const d = readDecimals(bytes, start, end);
  if (d.others !== undefined) {
    // a few values beyond the fast path (a contour point such as 1.0838124172e-14 is common): read
    // here, the element stays numbers when they are finite
    const { values, others } = d;
    for (let i = 0; i < values.length; i++) {
      if (others.status[i] === PLAIN) continue;
      const v = otherValue(d, i, bytes, start, end);
      if (v === null || !Number.isFinite(v)) return { vr, Value: numbersOf(d, bytes, start, end) };
      values[i] = v;
    }
  }
  return new NumberElement(vr, d.values);
}

function decodeValue(ctx: Ctx, vr: string, start: number, end: number): unknown[] {
  // dcmjs reads an empty fixed-length number as its default, 0, and empty bytes as an empty buffer
  if (start === end) return !ctx.full ? [] : BINARY_VRS.has(vr) || vr === 'AT' ? [0] : BYTES_VRS.has(vr) ? [new ArrayBuffer(0)] : [];
  const bytes = ctx.bytes;
  if (ASCII_VRS.has(vr)) {
    const parts = latin1(bytes, start, end).split('\\');
    return vr === 'CS' ? parts.map((s) => s.trim()) : parts;
  }
  if (ctx.full && TEXT_VRS.has(vr)) {
    // Plain ASCII (no byte >= 0x80, no ISO 2022 escape) reads the same in every character set
    // DICOM allows; anything else is left to dcmjs, which knows them.
    for (let p = start; p < end; p++) if (bytes[p]! >= 0x80 || bytes[p] === 0x1b) throw new Unsupported();
    const text = latin1(bytes, start, end);
    if (SINGLE_TEXT_VRS.has(vr)) return [text.replace(/[\0\s]+$/u, '')];
    const parts = text.split('\\');
    if (vr !== 'PN') return parts.map((t) => t.replace(/\0+$/u, '').trim());
    // dcmjs's person-name objects: the component groups that are present
    return parts.map((t) => {
      const [alphabetic, ideographic, phonetic] = t.replace(/[\0\s]+$/u, '').split('=');
      return { ...(alphabetic ? { Alphabetic: alphabetic } : {}), ...(ideographic ? { Ideographic: ideographic } : {}), ...(phonetic ? { Phonetic: phonetic } : {}) };
    });
  }
  if (ctx.full && vr === 'AT') {
    // dcmjs's attribute tags: (group << 16 | element) per value, unsigned
    if ((end - start) % 4 !== 0) throw new Unsupported();
    const out: number[] = [];
    for (let p = start; p < end; p += 4) out.push(((ctx.u16(p) << 16) | ctx.u16(p + 2)) >>> 0);
    return out;
  }
  const size = ctx.full ? BINARY_VRS.get(vr) : undefined;
  if (size !== undefined) {
    if ((end - start) % size !== 0) throw new Unsupported();
    const view = new DataView(bytes.buffer, bytes.byteOffset + start, end - start);
    const le = ctx.littleEndian;
    const out: number[] = [];
    for (let p = 0; p < end - start; p += size) {
      out.push(
        vr === 'US' ? view.getUint16(p, le)
          : vr === 'SS' ? view.getInt16(p, le)
            : vr === 'UL' ? view.getUint32(p, le)
              : vr === 'SL' ? view.getInt32(p, le)
                : vr === 'FL' ? view.getFloat32(p, le)
                  : view.getFloat64(p, le),
      );
    }
    return out;
  }
  if (ctx.full && !BYTES_VRS.has(vr)) throw new Unsupported();
  return [new Uint8Array(bytes.subarray(start, end)).buffer];
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
      // A standard tag stored as UN that tags.ts does not know: dcmjs may read it by its own dictionary.
      if (ctx.full && vr === 'UN' && (group & 1) === 0) throw new Unsupported();
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
      // A standard tag tags.ts does not know: dcmjs reads it by its own dictionary's VR.
      if (ctx.full && dictVr === undefined && (group & 1) === 0) throw new Unsupported();
      // dcmjs reads a private creator (gggg,0010-00FF) as LO, other private elements as UN.
      const privateCreator = (group & 1) === 1 && element >= 0x10 && element <= 0xff;
      if (ctx.full && (group & 1) === 1 && element < 0x10) throw new Unsupported();
      vr = dictVr ?? (ctx.full && privateCreator ? 'LO' : 'UN');
    }
    const valueStart = pos + header;
    let el: RawElement;
    if (vr === 'SQ') {
      const items = readItems(ctx, valueStart, length === UNDEFINED_LENGTH ? bytes.length : valueStart + length, length === UNDEFINED_LENGTH);
      el = { vr, Value: items.items };
      pos = items.next;
    } else {
      if (length === UNDEFINED_LENGTH) throw new Unsupported();
      el = (vr === 'DS' || vr === 'IS') && length > 0
        ? numberElement(vr, bytes, valueStart, valueStart + length)
        : { vr, Value: decodeValue(ctx, vr, valueStart, valueStart + length) };
      pos = valueStart + length;
    }
    if (ctx.full && tag === SPECIFIC_CHARACTER_SET) {
      // dcmjs decodes text to Unicode and then states UTF-8 (an empty value too: the default set); a
      // set whose ASCII bytes read otherwise (ISO 2022 with escapes, multi-byte sets), or several
      // sets, are left to dcmjs.
      const coding = String(el.Value![0] ?? '').replace(/[_ ]/g, '-').toLowerCase();
      if (el.Value!.length > 1 || !PLAIN_CHARACTER_SETS.has(coding)) throw new Unsupported();
      el = { vr, Value: ['ISO_IR 192'] };
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
  const ctx = context(bytes, explicitVr, littleEndian, false);
  try {
    const undefinedLength = length === UNDEFINED_LENGTH;
    return readItems(ctx, start, undefinedLength ? bytes.length : start + length, undefinedLength).items;
  } catch (e) {
    if (e instanceof Unsupported || e instanceof RangeError) return undefined;
    throw e;
  }
}

function context(bytes: Uint8Array, explicitVr: boolean, littleEndian: boolean, full: boolean): Ctx {
  return {
    bytes,
    explicitVr,
    littleEndian,
    full,
    u16: littleEndian ? (p) => bytes[p]! | (bytes[p + 1]! << 8) : (p) => (bytes[p]! << 8) | bytes[p + 1]!,
    u32: littleEndian
      ? (p) => (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0
      : (p) => ((bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!) >>> 0,
  };
}

/**
 * A whole dataset, bytes[start, end) (top-level elements, already walked by parse.ts), as dcmjs
 * would give it for what lattice-rt reads through DicomView, without loading dcmjs: besides what
 * decodeSequence decodes, text VRs (LO SH ST LT UT UC UR PN) whose bytes are plain ASCII (dcmjs's
 * trimming: multi-valued text trimmed, single-valued text trimmed at the end, person names as
 * { Alphabetic, Ideographic, Phonetic } groups), binary numbers (US SS UL SL FL FD) in the file's
 * byte order and attribute tags (AT) as (group << 16 | element), with dcmjs's readings of empty
 * values (0 for a number, an empty buffer for bytes) and of the character set (stated as UTF-8 once
 * decoded; private creators in implicit VR as LO). Undefined where dcmjs is to decode it: a standard
 * tag tags.ts does not know in implicit VR (or stored as UN), another VR, text that is not plain
 * ASCII or in a character set other than a single-byte one or UTF-8, what decodeSequence declines.
 * test/io/dicom/decode-dataset.test.ts holds it to dcmjs on pydicom's test files and on ours.
 */
export function decodeDataset(bytes: Uint8Array, start: number, end: number, explicitVr: boolean, littleEndian: boolean): RawDataset | undefined {
  try {
    return readElements(context(bytes, explicitVr, littleEndian, true), start, end, false).dataset;
  } catch (e) {
    if (e instanceof Unsupported || e instanceof RangeError) return undefined;
    throw e;
  }
}
