/**
 * DICOM RLE Lossless decoding (transfer syntax 1.2.840.10008.1.2.5), PS3.5 annex G.
 *
 * Input: one frame as stored (a 64-byte header of 16 little-endian uint32: the segment count, then
 * up to 15 segment offsets; then PackBits-coded segments), the pixel count and the bytes per sample.
 * Segment s holds byte (bytesPerSample - 1 - s) of every sample: the most significant byte first.
 * Output: the frame as native little-endian samples (bytesPerSample * pixelCount bytes).
 * Only one sample per pixel (greyscale: CT, dose) is handled.
 */

import { DicomError } from '../../../core/errors.js';
import { tagLabel } from '../tags.js';

const HEADER_BYTES = 64;

export function decodeRleFrame(
  frame: Uint8Array,
  pixelCount: number,
  bytesPerSample: number,
  file: string,
  frameIndex: number,
): Uint8Array {
  const where = `RLE frame ${frameIndex}`;
  const fail = (what: string): DicomError =>
    new DicomError(`${where}: ${what}: corrupt RLE data`, { file, tag: tagLabel('PixelData') });
  if (frame.length < HEADER_BYTES) throw fail(`only ${frame.length} bytes, shorter than the 64-byte RLE header`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = dv.getUint32(0, true);
  if (segments !== bytesPerSample) {
    throw fail(`header lists ${segments} segments, expected ${bytesPerSample} (one per byte of a ${8 * bytesPerSample}-bit sample)`);
  }
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(dv.getUint32(4 + 4 * s, true));
  const out = new Uint8Array(pixelCount * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s]!;
    const end = s + 1 < segments ? offsets[s + 1]! : frame.length;
    if (start < HEADER_BYTES || end > frame.length || end < start) {
      throw fail(`segment ${s} spans bytes ${start}..${end} outside the ${frame.length}-byte frame`);
    }
    const byteInSample = bytesPerSample - 1 - s;
    const produced = unpackBits(frame, start, end, out, byteInSample, bytesPerSample, pixelCount);
    if (produced < pixelCount) throw fail(`segment ${s} decodes to ${produced} bytes, expected ${pixelCount}`);
  }
  return out;
}

/**
 * PackBits (PS3.5 G.3.1): a header byte n in 0..127 copies the next n + 1 bytes, -127..-1 repeats
 * the next byte 1 - n times, -128 is ignored. Writes byte p to out[p * stride + offset] for
 * p < count and returns how many bytes it produced (extra output, e.g. even-length padding, is dropped).
 */
function unpackBits(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  offset: number,
  stride: number,
  count: number,
): number {
  let p = 0;
  let i = start;
  while (i < end && p < count) {
    const h = src[i++]!;
    if (h < 128) {
      const n = Math.min(h + 1, end - i);
      for (let k = 0; k < n && p < count; k++) out[(p++) * stride + offset] = src[i + k]!;
      i += h + 1;
    } else if (h > 128) {
      if (i >= end) break;
      const v = src[i++]!;
      const n = 257 - h;
      for (let k = 0; k < n && p < count; k++) out[(p++) * stride + offset] = v;
    }
  }
  return p;
}
