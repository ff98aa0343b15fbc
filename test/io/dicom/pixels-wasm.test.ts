/**
 * convertStored's little-endian path (the WebAssembly kernel, assembly/convert.ts) against the formula
 * it stands in for, written out here: value = word read as its stored bits and sign give it, times
 * slope, plus intercept, rounded to float32. Random words (every bit pattern: high bits beyond the
 * stored ones, signs), 16 and 32 bits allocated, 8 to 32 stored, signed and unsigned, slopes and
 * intercepts off the round numbers, counts across the kernel's chunks, into an offset; whole unsigned
 * 32-bit words (the kernel's four-at-a-time path) at every count's tail; and convertStoredInPlace on
 * bytes that start off a word boundary. Bit for bit.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertStored, convertStoredInPlace, type StoredPixels } from '../../../src/io/dicom/read/pixels.js';

/** The formula, as the JavaScript loops computed it. */
function reference(words: Uint16Array | Uint32Array, bitsStored: number, signed: boolean, slope: number, intercept: number): Float32Array {
  const out = new Float32Array(words.length);
  const shift = 32 - bitsStored;
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  for (let n = 0; n < words.length; n++) {
    const w = words[n]!;
    out[n] = (signed ? (w << shift) >> shift : bitsStored >= 32 ? w : w & mask) * slope + intercept;
  }
  return out;
}

const caseArb = fc
  .record({
    bits: fc.constantFrom(16 as const, 32 as const),
    stored: fc.integer({ min: 8, max: 32 }),
    signed: fc.boolean(),
    slope: fc.double({ min: -5, max: 5, noNaN: true }).map((x) => x + Math.SQRT1_2 / 100),
    intercept: fc.double({ min: -2000, max: 2000, noNaN: true }).map((x) => x + Math.PI),
    count: fc.constantFrom(1, 7, 1000, 65536, 70001),
    seed: fc.integer(),
    offset: fc.constantFrom(0, 3),
  })
  .map((c) => ({ ...c, stored: Math.min(c.stored, c.bits) }));

/** count words of every bit pattern, from a seeded generator. */
function wordsOf(bits: 16 | 32, count: number, seed: number): Uint16Array | Uint32Array {
  let x = seed >>> 0 || 1;
  const words = bits === 16 ? new Uint16Array(count) : new Uint32Array(count);
  for (let n = 0; n < count; n++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[n] = x >>> 0;
  }
  return words;
}

const storedOf = (words: Uint16Array | Uint32Array, bits: 16 | 32, stored: number, signed: boolean, bytes?: Uint8Array): StoredPixels => ({
  layout: { rows: 1, columns: words.length, frames: 1, bitsAllocated: bits, bitsStored: stored, signed },
  bytes: bytes ?? new Uint8Array(words.buffer, words.byteOffset, words.byteLength),
  littleEndian: true,
});

describe('convertStored in WebAssembly: the formula\'s float32 values', () => {
  it('random words, bits, signs, slopes and intercepts, across chunks, into an offset', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const words = wordsOf(c.bits, c.count, c.seed);
        const out = new Float32Array(c.count + c.offset).fill(-7);
        convertStored(storedOf(words, c.bits, c.stored, c.signed), c.slope, c.intercept, out, c.offset);
        expect(out.subarray(0, c.offset).every((v) => v === -7)).toBe(true);
        expect(Buffer.from(out.buffer, 4 * c.offset).equals(Buffer.from(reference(words, c.stored, c.signed, c.slope, c.intercept).buffer))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('whole unsigned 32-bit words (an RT Dose\'s layout, four words at a time): every count\'s tail, slopes small and large', () => {
    fc.assert(
      fc.property(
        fc.record({
          count: fc.integer({ min: 1, max: 70010 }),
          seed: fc.integer(),
          slope: fc.constantFrom(2.5e-6, 1.6e-8, 0.001234, 1, 3.7e30).chain((s) => fc.double({ min: 0.5, max: 1.5, noNaN: true }).map((f) => s * f)),
          intercept: fc.constantFrom(0, -1024.25, Math.PI),
          offset: fc.constantFrom(0, 1),
        }),
        (c) => {
          const words = wordsOf(32, c.count, c.seed) as Uint32Array;
          const out = new Float32Array(c.count + c.offset).fill(-7);
          convertStored(storedOf(words, 32, 32, false), c.slope, c.intercept, out, c.offset);
          expect(out.subarray(0, c.offset).every((v) => v === -7)).toBe(true);
          expect(Buffer.from(out.buffer, 4 * c.offset).equals(Buffer.from(reference(words, 32, false, c.slope, c.intercept).buffer))).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('checked as a dose on request: the maximum of the values when each is finite and >= 0, else none', () => {
    // the check is the values' own: their largest (computed here over the reference values) when none
    // is negative, NaN or infinite, across the kernel's chunks of 65536
    for (const count of [5, 65536, 200001]) {
      const words = wordsOf(32, count, count);
      const ref = reference(words, 31, false, 2.5e-6, 0);
      let max = 0;
      for (const v of ref) if (v > max) max = v;
      const out = new Float32Array(count);
      expect(convertStored(storedOf(words, 32, 31, false), 2.5e-6, 0, out, 0, true)).toBe(max);
      expect(convertStored(storedOf(words, 32, 31, false), 2.5e-6, 0, out)).toBeUndefined();
      // one negative value anywhere (signed words, a word of -1 in the last chunk): not a dose, no maximum
      const bad = Uint32Array.from(words, (w) => w & 0x3fffffff);
      bad[count - 2] = 0xffffffff;
      expect(convertStored(storedOf(bad, 32, 32, true), 2.5e-6, 0, out, 0, true)).toBeUndefined();
      // an infinite one (a slope beyond float32's range)
      expect(convertStored(storedOf(words, 32, 31, false), 1e38, 0, out, 0, true)).toBeUndefined();
    }
    // in place, the same
    const words = wordsOf(32, 1000, 9).map((w) => w >>> 1);
    const ref = reference(words, 32, false, 0.001, 0);
    const inPlace = convertStoredInPlace(storedOf(Uint32Array.from(words), 32, 32, false), 0.001, 0, true);
    expect(inPlace?.checkedMax).toBe(Math.max(...ref));
  });

  it('in place over 32-bit words that start off a word boundary', () => {
    for (const start of [1, 2, 3, 4]) {
      const words = wordsOf(32, 70001, start);
      const file = new Uint8Array(start + words.byteLength);
      file.set(new Uint8Array(words.buffer), start);
      const values = convertStoredInPlace(storedOf(words, 32, 32, true, file.subarray(start)), 0.001234, 0.5)?.values;
      expect(values).toBeDefined();
      expect(Buffer.from(values!.buffer, values!.byteOffset, values!.byteLength).equals(Buffer.from(reference(words, 32, true, 0.001234, 0.5).buffer))).toBe(true);
    }
  });
});
