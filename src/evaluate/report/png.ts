/**
 * A minimal PNG encoder for the report's snapshots: 8-bit greyscale or RGB, no interlace, every
 * row filtered with None, the image data deflated by node:zlib. Output: the PNG file as bytes.
 * Reference: PNG specification, 3rd edition (W3C), §5 (datastream) and §11 (chunks); the CRC is
 * the ISO 3309 / ITU-T V.42 CRC-32 of chunk type + data.
 */

import { createRequire } from 'node:module';

/** node:zlib, loaded on the first PNG (a report without snapshots does not load it: 5 ms of a fresh
 * `lattice evaluate`). */
const zlib = (): typeof import('node:zlib') => createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** `pixels`: width x height samples, row by row from the top, `channels` (1 grey, 3 RGB) bytes each. */
export function encodePng(width: number, height: number, pixels: Uint8Array, channels: 1 | 3 = 1): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`PNG: expected a positive integer size, found ${width} x ${height}`);
  }
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`PNG: expected ${width * height * channels} bytes for ${width} x ${height} x ${channels}, found ${pixels.length}`);
  }
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1); // filter byte 0: None
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // colour type: greyscale / truecolour
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib().deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
