/**
 * Pixel data -> real values (HU for CT, Gy for dose), PS3.3 C.7.6.3 (Image Pixel module) and
 * PS3.5 section 8 (native and encapsulated pixel data).
 *
 * Input: a parsed dataset with greyscale pixel data (SamplesPerPixel 1), native in any of the
 * uncompressed transfer syntaxes (little or big endian) or RLE Lossless.
 * Output: value = stored * slope + intercept, written into a Float32Array, frame after frame, each
 * frame row after row (column index fastest), which is the x-fastest order of the grid.
 * Stored values honour PixelRepresentation (two's complement when 1) and BitsStored (the bits above
 * are masked off; signed values are sign-extended from bit BitsStored - 1).
 * Compressed syntaxes other than RLE (JPEG, JPEG-LS, JPEG 2000, ...) are refused with a DicomError
 * naming the syntax.
 */

import { DicomError } from '../../../core/errors.js';
import { align8, checkDoseChunk, kernels, reserveKernelMemory } from '../../../core/wasm-kernels.js';
import { tagLabel } from '../tags.js';
import { TRANSFER_SYNTAX, describeTransferSyntax } from '../uid.js';
import type { ParsedDicom } from './parse.js';
import { decodeRleFrame } from './rle.js';
import { datasetEncoding } from './transfer-syntax.js';
import type { DicomView } from './view.js';

export interface PixelLayout {
  readonly rows: number;
  readonly columns: number;
  readonly frames: number;
  readonly bitsAllocated: 8 | 16 | 32;
  readonly bitsStored: number;
  readonly signed: boolean;
}

/** Stored pixel bytes of every frame, native order, ready for conversion. */
export interface StoredPixels {
  readonly layout: PixelLayout;
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
}

/** Largest number of values one object may hold (guards against corrupt Rows/Columns/frames). */
const MAX_VALUES = 2 ** 30;

/** Read and check the Image Pixel module attributes. `frames` comes from the caller's IOD rules. */
export function readPixelLayout(ds: DicomView, frames: number, allowedBits: readonly number[] = [8, 16, 32]): PixelLayout {
  const samples = ds.integer('SamplesPerPixel') ?? 1;
  if (samples !== 1) throw ds.error(`expected 1 sample per pixel (greyscale), found ${samples}`, 'SamplesPerPixel');
  const rows = ds.requireInteger('Rows');
  const columns = ds.requireInteger('Columns');
  if (rows < 1) throw ds.error(`expected a positive number of rows, found ${rows}`, 'Rows');
  if (columns < 1) throw ds.error(`expected a positive number of columns, found ${columns}`, 'Columns');
  if (rows * columns * frames > MAX_VALUES) {
    throw ds.error(`${rows} x ${columns} x ${frames} values is more than lattice-rt reads (${MAX_VALUES}): corrupt header?`, 'Rows');
  }
  const bitsAllocated = ds.requireInteger('BitsAllocated');
  if (!allowedBits.includes(bitsAllocated) || (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32)) {
    throw ds.error(`expected BitsAllocated ${allowedBits.join(' or ')}, found ${bitsAllocated}`, 'BitsAllocated');
  }
  const bitsStored = ds.integer('BitsStored') ?? bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    throw ds.error(`expected BitsStored between 1 and BitsAllocated (${bitsAllocated}), found ${bitsStored}`, 'BitsStored');
  }
  const representation = ds.requireInteger('PixelRepresentation');
  if (representation !== 0 && representation !== 1) {
    throw ds.error(`expected 0 (unsigned) or 1 (signed), found ${representation}`, 'PixelRepresentation');
  }
  return { rows, columns, frames, bitsAllocated, bitsStored, signed: representation === 1 };
}

const pixelError = (parsed: ParsedDicom, message: string): DicomError =>
  new DicomError(message, { file: parsed.file, tag: tagLabel('PixelData') });

/**
 * The frames of encapsulated pixel data (PS3.5 A.4): with a Basic Offset Table, frame f is made of
 * the fragments starting at or after offset f and before offset f + 1 (offsets count from the first
 * fragment's item tag); without one, one fragment per frame, or all fragments for a single frame.
 */
function encapsulatedFrames(parsed: ParsedDicom, offsetTable: Uint8Array, fragments: readonly Uint8Array[], frames: number): Uint8Array[] {
  if (offsetTable.length === 0) {
    if (fragments.length === frames) return [...fragments];
    if (frames === 1) return [concat(fragments, fragments.reduce((s, f) => s + f.length, 0))];
    throw pixelError(parsed, `${fragments.length} pixel data fragments for ${frames} frames and no offset table: cannot tell the frames apart`);
  }
  if (offsetTable.length !== 4 * frames) {
    throw pixelError(parsed, `the Basic Offset Table lists ${Math.floor(offsetTable.length / 4)} frames, expected ${frames}: corrupt file`);
  }
  const dv = new DataView(offsetTable.buffer, offsetTable.byteOffset, offsetTable.byteLength);
  const starts = Array.from({ length: frames }, (_, f) => dv.getUint32(4 * f, true));
  const out: Uint8Array[][] = starts.map(() => []);
  let position = 0;
  for (const fragment of fragments) {
    let f = -1;
    for (let k = 0; k < frames; k++) if (starts[k]! <= position) f = k;
    if (f < 0) throw pixelError(parsed, `pixel data fragment at offset ${position} precedes the first frame's offset: corrupt file`);
    out[f]!.push(fragment);
    position += 8 + fragment.length;
  }
  return out.map((parts, f) => {
    if (parts.length === 0) throw pixelError(parsed, `frame ${f} has no pixel data fragment: corrupt offset table`);
    return parts.length === 1 ? parts[0]! : concat(parts, parts.reduce((s, p) => s + p.length, 0));
  });
}

/** The pixel data of every frame: one buffer (native) or one per frame (encapsulated). */
function pixelBuffers(parsed: ParsedDicom, frames: number): Uint8Array[] {
  const located = parsed.pixelData;
  if (located !== undefined) {
    return located.encapsulated ? encapsulatedFrames(parsed, located.offsetTable, located.fragments, frames) : [located.bytes];
  }
  // Deflated datasets cannot be walked: dcmjs parsed the pixel data (one buffer per frame when encapsulated).
  const el = parsed.dataset.element('PixelData');
  if (el === undefined || !Array.isArray(el.Value) || el.Value.length === 0) {
    throw pixelError(parsed, 'missing required attribute');
  }
  return el.Value.map((v) => {
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (Array.isArray(v) && v.every((f) => f instanceof ArrayBuffer)) {
      const parts = v as ArrayBuffer[];
      const joined = new Uint8Array(parts.reduce((s, f) => s + f.byteLength, 0));
      let p = 0;
      for (const f of parts) {
        joined.set(new Uint8Array(f), p);
        p += f.byteLength;
      }
      return joined;
    }
    throw pixelError(parsed, 'pixel data is not binary data: corrupt file');
  });
}

function unsupported(parsed: ParsedDicom): DicomError {
  return pixelError(
    parsed,
    `pixel data is compressed with transfer syntax ${describeTransferSyntax(parsed.transferSyntaxUid)}, which ` +
      'lattice-rt cannot decode (it reads uncompressed and RLE pixel data): convert the file first, e.g. with ' +
      'dcmtk "dcmdjpeg" / "dcmconv +te" or gdcm "gdcmconv --raw"',
  );
}

/** Throws the unsupported-transfer-syntax DicomError early, before other checks, for compressed pixel data. */
export function assertDecodable(parsed: ParsedDicom): void {
  if (!datasetEncoding(parsed.transferSyntaxUid).nativePixels && parsed.transferSyntaxUid !== TRANSFER_SYNTAX.rleLossless) {
    throw unsupported(parsed);
  }
}

/** Validate and, for RLE, decode the stored pixel bytes. */
export function storedPixels(parsed: ParsedDicom, layout: PixelLayout): StoredPixels {
  const { rows, columns, frames, bitsAllocated } = layout;
  const bytesPerValue = bitsAllocated / 8;
  const frameValues = rows * columns;
  const expected = frameValues * frames * bytesPerValue;
  const ts = parsed.transferSyntaxUid;
  const encoding = datasetEncoding(ts);
  const buffers = pixelBuffers(parsed, frames);
  if (encoding.nativePixels) {
    const total = buffers.reduce((s, b) => s + b.length, 0);
    if (total < expected) {
      throw pixelError(
        parsed,
        `pixel data holds ${total} bytes, expected ${rows} rows x ${columns} columns x ${frames} frame(s) x ` +
          `${bytesPerValue} bytes = ${expected}: truncated or corrupt`,
      );
    }
    const bytes = buffers.length === 1 ? buffers[0]! : concat(buffers, total);
    return { layout, bytes: bytes.subarray(0, expected), littleEndian: encoding.littleEndian };
  }
  if (ts === TRANSFER_SYNTAX.rleLossless) {
    if (buffers.length !== frames) {
      throw pixelError(parsed, `RLE pixel data holds ${buffers.length} frame(s), expected ${frames}: corrupt file`);
    }
    // PackBits expands at most 128 bytes from 2: a frame too small for its size is corrupt (and must
    // not make us allocate the size a corrupt header claims).
    buffers.forEach((frame, f) => {
      if (frameValues * bytesPerValue > 64 * frame.length) {
        throw pixelError(parsed, `RLE frame ${f} of ${frame.length} bytes cannot hold ${rows} x ${columns} values: corrupt file`);
      }
    });
    const bytes = new Uint8Array(expected);
    buffers.forEach((frame, f) => {
      bytes.set(decodeRleFrame(frame, frameValues, bytesPerValue, parsed.file, f), f * frameValues * bytesPerValue);
    });
    return { layout, bytes, littleEndian: true };
  }
  throw unsupported(parsed);
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let p = 0;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/** Whether this machine stores multi-byte numbers little-endian (typed arrays use its order). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Values convertStored converts a call of the kernel (its words and float32 values: 0.5 MiB at most). */
const CONVERT_CHUNK = 1 << 16;

interface ConvertExports {
  convertWords(src: number, n: number, bits: number, signed: number, shift: number, mask: number, whole: number, slope: number, intercept: number, dst: number): void;
}

/**
 * out[offset + n] = stored_n * slope + intercept for every value n of the stored pixels.
 * Hot loop: no allocation per value.
 * `check`: the values checked as a dose (checkDoseChunk, the kernel of src/evaluate/plan.ts
 * checkDoseVolume, run on each chunk while it is in the kernels' memory: no pass of its own);
 * returns their maximum when every value is finite and non-negative, else undefined, and undefined
 * where the values are not converted by the kernel (not checked). Without `check`, undefined.
 */
export function convertStored(stored: StoredPixels, slope: number, intercept: number, out: Float32Array, offset = 0, check = false): number | undefined {
  const { bitsAllocated, bitsStored, signed, rows, columns, frames } = stored.layout;
  const count = rows * columns * frames;
  if (offset + count > out.length) {
    throw new DicomError(`internal: ${count} values do not fit at offset ${offset} of ${out.length}`);
  }
  const b = stored.bytes;
  const le = stored.littleEndian;
  const shift = 32 - bitsStored;
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  if (le && HOST_LITTLE_ENDIAN && (bitsAllocated === 16 || bitsAllocated === 32)) {
    // Little-endian words on a little-endian host (whose typed arrays read the kernels' little-endian
    // memory as it is): the WebAssembly kernel (assembly/convert.ts, the arithmetic below), a chunk at a
    // time through the kernels' memory. out may be the stored bytes themselves (convertStoredInPlace):
    // each chunk is read before its values are written.
    const k = kernels<ConvertExports>();
    const bytesPer = bitsAllocated / 8;
    const chunk = Math.min(count, CONVERT_CHUNK);
    const valuesAt = align8(chunk * bytesPer);
    reserveKernelMemory(valuesAt + 4 * chunk);
    const memory = new Uint8Array(k.memory.buffer);
    const values = new Float32Array(k.memory.buffer, valuesAt, chunk);
    let checked = check;
    let max = 0;
    for (let n0 = 0; n0 < count; n0 += chunk) {
      const m = Math.min(chunk, count - n0);
      memory.set(b.subarray(n0 * bytesPer, (n0 + m) * bytesPer));
      k.convertWords(0, m, bitsAllocated, signed ? 1 : 0, shift, mask, bitsStored >= 32 ? 1 : 0, slope, intercept, valuesAt);
      if (checked) {
        const c = checkDoseChunk(valuesAt, m, max);
        checked = c.bad < 0;
        max = c.max;
      }
      out.set(m === chunk ? values : values.subarray(0, m), offset + n0);
    }
    return checked ? max : undefined;
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let n = 0; n < count; n++) {
    let raw: number;
    if (bitsAllocated === 16) raw = dv.getUint16(2 * n, le);
    else if (bitsAllocated === 32) raw = dv.getUint32(4 * n, le);
    else raw = b[n]!;
    let v: number;
    if (signed) v = shift === 0 ? raw | 0 : (raw << shift) >> shift;
    else v = bitsStored >= 32 ? raw : raw & mask;
    out[offset + n] = v * slope + intercept;
  }
  return undefined;
}

/**
 * convertStored into the stored bytes' own memory, for 32-bit little-endian values (a Float32 takes
 * the place of the word it is made from), returning the values (and convertStored's check); undefined
 * for other layouts. Only for
 * bytes the reader owns (read from a file here): it overwrites them, and up to 3 bytes before them
 * (the pixel element's header) when it moves them onto a 4-byte boundary. Saves a second array as
 * large as the pixel data (an RT Dose of millions of values): memory, and the time of touching it.
 */
export function convertStoredInPlace(
  stored: StoredPixels, slope: number, intercept: number, check = false,
): { readonly values: Float32Array; readonly checkedMax: number | undefined } | undefined {
  const { bitsAllocated, rows, columns, frames } = stored.layout;
  if (bitsAllocated !== 32 || !stored.littleEndian || !HOST_LITTLE_ENDIAN) return undefined;
  const count = rows * columns * frames;
  const b = stored.bytes;
  const misaligned = b.byteOffset % 4;
  if (misaligned > b.byteOffset) return undefined;
  const start = b.byteOffset - misaligned;
  if (misaligned !== 0) new Uint8Array(b.buffer).copyWithin(start, b.byteOffset, b.byteOffset + 4 * count);
  const aligned: StoredPixels = { ...stored, bytes: new Uint8Array(b.buffer, start, 4 * count) };
  const out = new Float32Array(b.buffer, start, count);
  // value n is read before it is written, at the same place
  const checkedMax = convertStored(aligned, slope, intercept, out, 0, check);
  return { values: out, checkedMax };
}

/** Largest value of a Float32Array (-Infinity when empty). */
export function maxOf(values: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  return m;
}
