/**
 * Bytes -> parsed dataset, for every file the readers open.
 *
 * Input: the bytes of a DICOM file: a Part 10 file (128-byte preamble, "DICM", file meta group), a
 * file meta group without preamble, or a bare dataset with no meta at all (as old ACR-NEMA style
 * files and pydicom's rtstruct.dcm / no_meta.dcm are), in implicit VR LE, explicit VR LE or BE.
 * Output: the transfer syntax, the file meta and the dataset as DicomViews.
 *
 * decode.ts decodes the elements of a plain dataset (decodeDataset: the values DicomView reads, as dcmjs
 * gives them); dcmjs decodes any other. dcmjs needs a well-formed Part 10 header and it silently
 * shortens values that run past the end of the buffer. So before handing the bytes over, this file
 * (1) reads the meta group itself, finds or infers the transfer syntax (PS3.5 section 10: a bare
 * dataset is explicit VR when bytes 4-5 hold a VR, big endian when the first group reads 0x0008
 * byte-swapped) and rebuilds a minimal meta header when needed, and (2) walks the element
 * structure (tags, lengths, nested items, PS3.5 section 7) to prove every value lies inside the
 * file and, for a header read, to cut the bytes before a given tag (e.g. PixelData) so that a
 * partial read of a large file is enough. Anything dcmjs throws becomes a DicomError naming the file.
 */

import { DicomError } from '../../../core/errors.js';
import { dcmjsParse } from '../dcmjs.js';
import { LONG_LENGTH_VRS, SHORT_LENGTH_VRS, TAGS, formatTag, tagHex, tagLabel } from '../tags.js';
import { TRANSFER_SYNTAX } from '../uid.js';
import { decodeDataset, decodeSequence } from './decode.js';
import type { DicomBytes } from './source.js';
import { datasetEncoding } from './transfer-syntax.js';
import { DicomView } from './view.js';

/**
 * Where the top-level PixelData value lies in the input bytes (views, not copies): native bytes,
 * or the items of encapsulated pixel data (the Basic Offset Table, then the fragments).
 */
export type PixelDataBytes =
  | { readonly encapsulated: false; readonly bytes: Uint8Array }
  | { readonly encapsulated: true; readonly offsetTable: Uint8Array; readonly fragments: readonly Uint8Array[] };

export interface ParsedDicom {
  /** File (or buffer) name, for messages. */
  readonly file: string;
  /** From the file meta, or inferred from the dataset bytes when the meta lacks it. */
  readonly transferSyntaxUid: string;
  /** Whether the file has the Part 10 preamble and "DICM" marker. */
  readonly hasPreamble: boolean;
  /** File meta group (empty when the file has none). */
  readonly meta: DicomView;
  readonly dataset: DicomView;
  /** True when top-level elements from ParseOptions.stopAtTag on were not read. */
  readonly partial: boolean;
  /**
   * The PixelData value, located by the structure walk (dcmjs is not given the pixel data, nor any
   * element after it). Undefined when absent, not read (stopAtTag) or deflated (then dcmjs has it).
   */
  readonly pixelData?: PixelDataBytes;
  /** Which decoder read the elements: decode.ts's decodeDataset, or dcmjs (with decodeSequence's sequences). */
  readonly decodedBy: 'decode.ts' | 'dcmjs';
}

export interface ParseOptions {
  /** Read only the top-level elements whose tag is below this one (e.g. TAGS.PixelData). */
  readonly stopAtTag?: number;
  /**
   * Top-level sequences decoded by decode.ts rather than dcmjs (faster; the same values as DicomView
   * reads them), e.g. an RTSTRUCT's ROIContourSequence.
   */
  readonly decodeHere?: readonly number[];
  /** Decode every element with dcmjs, never with decodeDataset (the reference tests compare it with). */
  readonly dcmjsOnly?: boolean;
}

/** A top-level element the walk set aside for decode.ts: its bytes [start, end) and its value. */
interface SetAside {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
  readonly valueStart: number;
  readonly length: number;
}

/** Thrown (as a DicomError) when the bytes end inside an element: a truncated file or prefix. */
export class TruncatedDicomError extends DicomError {}

const PREAMBLE_BYTES = 128;
const MAX_NESTING = 64;
const UNDEFINED_LENGTH = 0xffffffff;

/** Every VR of PS3.5 table 6.2-1: bytes 4-5 of an explicit-VR element hold one of these. */
const KNOWN_VRS: ReadonlySet<string> = new Set([...SHORT_LENGTH_VRS, ...LONG_LENGTH_VRS]);

const isUpper = (b: number): boolean => b >= 0x41 && b <= 0x5a;

interface MetaElement {
  readonly element: number;
  readonly bytes: Uint8Array;
}

interface MetaScan {
  readonly hasPreamble: boolean;
  readonly elements: readonly MetaElement[];
  readonly transferSyntaxUid: string | undefined;
  /** The stored (0002,0000) group length, if any. */
  readonly groupLength: number | undefined;
  /** Offset of the first dataset element. */
  readonly dataStart: number;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

const u16le = (b: Uint8Array, p: number): number => b[p]! | (b[p + 1]! << 8);
const u16be = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32le = (b: Uint8Array, p: number): number => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
const u32be = (b: Uint8Array, p: number): number => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

/** Read the file meta group (always explicit VR little endian, PS3.10 7.1). */
function scanMeta(bytes: Uint8Array, file: string): MetaScan {
  const n = bytes.length;
  const hasPreamble = n >= PREAMBLE_BYTES + 4 && ascii(bytes, PREAMBLE_BYTES, 4) === 'DICM';
  let pos = hasPreamble ? PREAMBLE_BYTES + 4 : 0;
  const elements: MetaElement[] = [];
  let transferSyntaxUid: string | undefined;
  let groupLength: number | undefined;
  while (pos + 8 <= n && u16le(bytes, pos) === 0x0002) {
    const element = u16le(bytes, pos + 2);
    const tag = 0x00020000 | element;
    if (!isUpper(bytes[pos + 4]!) || !isUpper(bytes[pos + 5]!)) {
      throw new DicomError('file meta information is not encoded as explicit VR little endian', {
        file,
        tag: tagLabel(tag),
      });
    }
    const vr = ascii(bytes, pos + 4, 2);
    let header = 8;
    let length: number;
    if (LONG_LENGTH_VRS.has(vr)) {
      if (pos + 12 > n) throw new TruncatedDicomError('file ends inside the file meta information', { file, tag: tagLabel(tag) });
      length = u32le(bytes, pos + 8);
      header = 12;
    } else {
      length = u16le(bytes, pos + 6);
    }
    if (length === UNDEFINED_LENGTH || pos + header + length > n) {
      throw new TruncatedDicomError('file ends inside the file meta information', { file, tag: tagLabel(tag) });
    }
    if (element === 0x0010) transferSyntaxUid = ascii(bytes, pos + header, length).replace(/[\0\s]+$/u, '').trim();
    if (element === 0x0000 && length === 4) groupLength = u32le(bytes, pos + header);
    elements.push({ element, bytes: bytes.subarray(pos, pos + header + length) });
    pos += header + length;
  }
  return {
    hasPreamble,
    elements,
    transferSyntaxUid: transferSyntaxUid === '' ? undefined : transferSyntaxUid,
    groupLength,
    dataStart: pos,
  };
}

/**
 * Infer the transfer syntax of a dataset from its first element (PS3.5 section 10 / the rules
 * pydicom and dcmtk use for files without meta): every dataset starts with a group 0008 element.
 */
function sniffTransferSyntax(bytes: Uint8Array, pos: number): string | undefined {
  if (pos + 8 > bytes.length) return undefined;
  const vrLike = isUpper(bytes[pos + 4]!) && isUpper(bytes[pos + 5]!) && KNOWN_VRS.has(ascii(bytes, pos + 4, 2));
  if (u16le(bytes, pos) === 0x0008) return vrLike ? TRANSFER_SYNTAX.explicitLittle : TRANSFER_SYNTAX.implicitLittle;
  if (u16be(bytes, pos) === 0x0008 && vrLike) return TRANSFER_SYNTAX.explicitBig;
  return undefined;
}

interface WalkContext {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  readonly file: string;
  readonly stopAtTag: number | undefined;
  /** Top-level tags to set aside (ParseOptions.decodeHere), and those met. */
  readonly decodeHere: readonly number[];
  readonly setAside: SetAside[];
  /** Set when the top-level walk meets PixelData (where it stops). */
  pixelData?: PixelDataBytes;
}

/**
 * Walk data elements from pos until end (or an item delimiter when inItem), checking that every
 * value lies inside the bytes. At depth 0 it stops before the first tag >= stopAtTag and returns
 * that offset. Returns the offset after the last element (after the item delimiter when inItem).
 */
function walkElements(ctx: WalkContext, pos: number, end: number, explicitVr: boolean, depth: number, inItem: boolean): number {
  const { bytes, littleEndian, file } = ctx;
  const u16 = littleEndian ? u16le : u16be;
  const u32 = littleEndian ? u32le : u32be;
  if (depth > MAX_NESTING) throw new DicomError(`sequences nested more than ${MAX_NESTING} deep: corrupt data`, { file });
  while (pos < end) {
    if (pos + 8 > end) {
      throw new TruncatedDicomError(`file ends inside a data element header at byte ${pos}: truncated or corrupt`, { file });
    }
    const group = u16(bytes, pos);
    const element = u16(bytes, pos + 2);
    const tag = ((group << 16) | element) >>> 0;
    if (group === 0xfffe) {
      if (element === 0xe00d && inItem) return pos + 8;
      throw new DicomError(`unexpected delimiter ${formatTag(tag)} at byte ${pos}: corrupt data`, { file });
    }
    if (depth === 0 && ctx.stopAtTag !== undefined && tag >= ctx.stopAtTag) return pos;
    let header = 8;
    let length: number;
    let vr: string | undefined;
    if (explicitVr) {
      vr = ascii(bytes, pos + 4, 2);
      // dcmjs reads an unknown VR as UN (4-byte length); walk it the same way.
      if (LONG_LENGTH_VRS.has(vr) || !KNOWN_VRS.has(vr)) {
        if (pos + 12 > end) throw truncatedAt(tag, pos, file);
        length = u32(bytes, pos + 8);
        header = 12;
      } else {
        length = u16(bytes, pos + 6);
      }
    } else {
      length = u32(bytes, pos + 4);
    }
    const valueStart = pos + header;
    if (depth === 0 && tag === TAGS.PixelData) {
      ctx.pixelData = readPixelData(ctx, valueStart, length, end);
      return pos;
    }
    const start = pos;
    if (length === UNDEFINED_LENGTH) {
      // A sequence or encapsulated pixel data: items until the sequence delimiter. Items of an
      // explicit-VR UN element of undefined length are implicit VR (PS3.5 6.2.2).
      pos = walkItems(ctx, valueStart, end, explicitVr && vr !== 'UN', depth + 1, tag);
      if (depth === 0 && (vr === undefined || vr === 'SQ') && ctx.decodeHere.includes(tag)) ctx.setAside.push({ tag, start, end: pos, valueStart, length });
    } else {
      if (valueStart + length > end) {
        throw new TruncatedDicomError(
          `element value of ${length} bytes runs past the end of the ${inItem || depth > 0 ? 'item' : 'file'} ` +
            `(${Math.max(0, end - valueStart)} bytes left): truncated or corrupt`,
          { file, tag: tagLabel(tag) },
        );
      }
      pos = valueStart + length;
      if (depth === 0 && (vr === undefined || vr === 'SQ') && ctx.decodeHere.includes(tag)) ctx.setAside.push({ tag, start, end: pos, valueStart, length });
    }
  }
  if (inItem) throw new TruncatedDicomError('file ends inside a sequence item (no item delimiter): truncated', { file });
  return pos;
}

function truncatedAt(tag: number, pos: number, file: string): DicomError {
  return new TruncatedDicomError(`file ends inside a data element header at byte ${pos}: truncated or corrupt`, {
    file,
    tag: tagLabel(tag),
  });
}

function walkItems(ctx: WalkContext, pos: number, end: number, explicitVr: boolean, depth: number, seqTag: number): number {
  const { bytes, littleEndian, file } = ctx;
  const u16 = littleEndian ? u16le : u16be;
  const u32 = littleEndian ? u32le : u32be;
  for (;;) {
    if (pos + 8 > end) {
      throw new TruncatedDicomError('file ends inside a sequence (no sequence delimiter): truncated', {
        file,
        tag: tagLabel(seqTag),
      });
    }
    const group = u16(bytes, pos);
    const element = u16(bytes, pos + 2);
    const length = u32(bytes, pos + 4);
    if (group === 0xfffe && element === 0xe0dd) return pos + 8;
    if (group !== 0xfffe || element !== 0xe000) {
      throw new DicomError(
        `expected an item tag (FFFE,E000) in the sequence at byte ${pos}, found ${formatTag(((group << 16) | element) >>> 0)}: corrupt data`,
        { file, tag: tagLabel(seqTag) },
      );
    }
    if (length === UNDEFINED_LENGTH) {
      pos = walkElements(ctx, pos + 8, end, explicitVr, depth + 1, true);
    } else {
      if (pos + 8 + length > end) {
        throw new TruncatedDicomError(`sequence item of ${length} bytes runs past the end of the file: truncated`, {
          file,
          tag: tagLabel(seqTag),
        });
      }
      pos += 8 + length;
    }
  }
}

/** Locate the PixelData value: native bytes, or encapsulated items (PS3.5 A.4). */
function readPixelData(ctx: WalkContext, start: number, length: number, end: number): PixelDataBytes {
  const { bytes, file } = ctx;
  const tag = tagLabel(TAGS.PixelData);
  if (length !== UNDEFINED_LENGTH) {
    if (start + length > end) {
      throw new TruncatedDicomError(
        `pixel data of ${length} bytes runs past the end of the file (${Math.max(0, end - start)} bytes left): truncated`,
        { file, tag },
      );
    }
    return { encapsulated: false, bytes: bytes.subarray(start, start + length) };
  }
  const u16 = ctx.littleEndian ? u16le : u16be;
  const u32 = ctx.littleEndian ? u32le : u32be;
  const items: Uint8Array[] = [];
  let pos = start;
  for (;;) {
    if (pos + 8 > end) throw new TruncatedDicomError('file ends inside encapsulated pixel data: truncated', { file, tag });
    const group = u16(bytes, pos);
    const element = u16(bytes, pos + 2);
    const itemLength = u32(bytes, pos + 4);
    if (group === 0xfffe && element === 0xe0dd) break;
    if (group !== 0xfffe || element !== 0xe000 || itemLength === UNDEFINED_LENGTH) {
      throw new DicomError(`expected a pixel data item (FFFE,E000) of defined length at byte ${pos}: corrupt data`, { file, tag });
    }
    if (pos + 8 + itemLength > end) {
      throw new TruncatedDicomError(`pixel data fragment of ${itemLength} bytes runs past the end of the file: truncated`, { file, tag });
    }
    items.push(bytes.subarray(pos + 8, pos + 8 + itemLength));
    pos += 8 + itemLength;
  }
  if (items.length === 0) throw new DicomError('encapsulated pixel data without a Basic Offset Table item: corrupt data', { file, tag });
  return { encapsulated: true, offsetTable: items[0]!, fragments: items.slice(1) };
}

/** Encode one explicit VR LE meta element with a short (2-byte) length. */
function metaElement(element: number, vr: string, value: Uint8Array): MetaElement {
  const out = new Uint8Array(8 + value.length);
  out[0] = 0x02;
  out[2] = element & 0xff;
  out[3] = element >> 8;
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  out[6] = value.length & 0xff;
  out[7] = value.length >> 8;
  out.set(value, 8);
  return { element, bytes: out };
}

function uidBytes(uid: string): Uint8Array {
  const n = uid.length + (uid.length % 2);
  const out = new Uint8Array(n);
  for (let i = 0; i < uid.length; i++) out[i] = uid.charCodeAt(i) & 0x7f;
  return out;
}

/** Preamble + "DICM" + meta group (with a correct group length and the transfer syntax) + dataset. */
function part10Buffer(scan: MetaScan, transferSyntaxUid: string, dataset: Uint8Array): ArrayBuffer {
  const elements = scan.elements
    .filter((e) => e.element !== 0x0000 && e.element !== 0x0010)
    .concat([metaElement(0x0010, 'UI', uidBytes(transferSyntaxUid))])
    .sort((a, b) => a.element - b.element);
  const metaLength = elements.reduce((s, e) => s + e.bytes.length, 0);
  const out = new Uint8Array(PREAMBLE_BYTES + 4 + 12 + metaLength + dataset.length);
  out.set([0x44, 0x49, 0x43, 0x4d], PREAMBLE_BYTES);
  let p = PREAMBLE_BYTES + 4;
  out.set([0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00], p);
  new DataView(out.buffer).setUint32(p + 8, metaLength, true);
  p += 12;
  for (const e of elements) {
    out.set(e.bytes, p);
    p += e.bytes.length;
  }
  out.set(dataset, p);
  return out.buffer;
}

function causeText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 200 ? `${m.slice(0, 200)}...` : m;
}

/** Parse DICOM bytes. Throws DicomError (TruncatedDicomError when the bytes end inside an element). */
export function parseDicom(input: DicomBytes, options: ParseOptions = {}): ParsedDicom {
  const { name: file, bytes } = input;
  try {
    const scan = scanMeta(bytes, file);
    if (!scan.hasPreamble && scan.elements.length === 0 && sniffTransferSyntax(bytes, 0) === undefined) {
      throw new DicomError(
        'not a DICOM file: no "DICM" marker at byte 128 and no DICOM data element at the start',
        { file },
      );
    }
    const transferSyntaxUid = scan.transferSyntaxUid ?? sniffTransferSyntax(bytes, scan.dataStart);
    if (transferSyntaxUid === undefined) {
      throw new DicomError(
        'cannot tell how the dataset is encoded: the file meta has no (0002,0010) TransferSyntaxUID and the ' +
          'dataset does not start with a group 0008 element',
        { file },
      );
    }
    const encoding = datasetEncoding(transferSyntaxUid);
    let cut = bytes.length;
    let partial = false;
    const ctx: WalkContext = {
      bytes,
      littleEndian: encoding.littleEndian,
      file,
      stopAtTag: options.stopAtTag,
      decodeHere: options.decodeHere ?? [],
      setAside: [],
    };
    if (!encoding.deflated) {
      cut = walkElements(ctx, scan.dataStart, bytes.length, encoding.explicitVr, 0, false);
      partial = cut < bytes.length && ctx.pixelData === undefined;
    }
    // A plain dataset (every element one decode.ts reads as dcmjs does; lattice-rt's own files and
    // most little-endian ones) and its meta are decoded here, without dcmjs (src/io/dicom/dcmjs.ts
    // then never loads it).
    if (options.dcmjsOnly !== true && !encoding.deflated && scan.transferSyntaxUid !== undefined && scan.elements.length > 0) {
      const metaStart = scan.hasPreamble ? PREAMBLE_BYTES + 4 : 0;
      const meta = decodeDataset(bytes, metaStart, scan.dataStart, true, true);
      delete meta?.['00020000']; // dcmjs leaves the group length out
      const dataset = meta !== undefined ? decodeDataset(bytes, scan.dataStart, cut, encoding.explicitVr, encoding.littleEndian) : undefined;
      if (meta !== undefined && dataset !== undefined) {
        return {
          file,
          transferSyntaxUid,
          hasPreamble: scan.hasPreamble,
          meta: new DicomView(meta, file),
          dataset: new DicomView(dataset, file),
          partial,
          ...(ctx.pixelData !== undefined ? { pixelData: ctx.pixelData } : {}),
          decodedBy: 'decode.ts',
        };
      }
    }
    // Sequences decoded here (decode.ts) are cut out of what dcmjs reads; where decode.ts declines
    // one (an encoding dcmjs would read differently), dcmjs reads it after all.
    const decoded = ctx.setAside
      .map((a) => ({ ...a, items: decodeSequence(bytes, a.valueStart, a.length, encoding.explicitVr, encoding.littleEndian) }))
      .filter((a) => a.items !== undefined);
    let dataset = bytes.subarray(scan.dataStart, cut);
    if (decoded.length > 0) {
      const kept: Uint8Array[] = [];
      let from = scan.dataStart;
      for (const a of decoded) {
        kept.push(bytes.subarray(from, a.start));
        from = a.end;
      }
      kept.push(bytes.subarray(from, cut));
      dataset = new Uint8Array(kept.reduce((n, k) => n + k.length, 0));
      let at = 0;
      for (const k of kept) {
        dataset.set(k, at);
        at += k.length;
      }
    }
    const canonical =
      scan.hasPreamble &&
      scan.transferSyntaxUid !== undefined &&
      scan.elements[0]?.element === 0x0000 &&
      scan.groupLength === scan.elements.slice(1).reduce((s, e) => s + e.bytes.length, 0);
    // Bytes in shared memory (an RT Dose, source.ts loadInputShared) are copied out by part10Buffer:
    // dcmjs's inflation misreads a deflated dataset in a SharedArrayBuffer.
    const buffer =
      canonical && decoded.length === 0 && bytes.buffer instanceof ArrayBuffer
        ? bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + cut)
        : part10Buffer(scan, transferSyntaxUid, dataset);
    const stopAtTag =
      encoding.deflated && options.stopAtTag !== undefined ? { stopAtTag: tagHex(options.stopAtTag) } : {};
    const parsed = dcmjsParse(buffer as ArrayBuffer, stopAtTag);
    for (const a of decoded) parsed.dataset[tagHex(a.tag)] = { vr: 'SQ', Value: a.items! };
    return {
      file,
      transferSyntaxUid,
      hasPreamble: scan.hasPreamble,
      meta: new DicomView(parsed.meta, file),
      dataset: new DicomView(parsed.dataset, file),
      partial: partial || (encoding.deflated && options.stopAtTag !== undefined),
      ...(ctx.pixelData !== undefined ? { pixelData: ctx.pixelData } : {}),
      decodedBy: 'dcmjs',
    };
  } catch (e) {
    if (e instanceof DicomError) throw e;
    const text = causeText(e);
    if (/character set/iu.test(text)) {
      throw new DicomError(`unsupported character set: ${text}`, { file, tag: tagLabel('SpecificCharacterSet') }, { cause: e });
    }
    throw new DicomError(`cannot parse DICOM data (${text}): corrupt or truncated file`, { file }, { cause: e });
  }
}

