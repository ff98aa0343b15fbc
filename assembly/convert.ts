/**
 * Stored pixel words to values for src/io/dicom/read/pixels.ts convertStored (little-endian 16- or
 * 32-bit words): value = word (as the stored bits and sign give it) x slope + intercept, rounded to
 * float32. The JavaScript's arithmetic, operation for operation (test/io/dicom/pixels-wasm.test.ts):
 * a dose grid's or a CT's millions of values, which V8 converted unoptimised for a good part of them
 * in a fresh process.
 */

/**
 * n words of `bits` (16 or 32) at src into float32 at dst. signed with shift (32 - bits stored):
 * sign-extended from the stored bits; unsigned: masked to them (mask), or whole when 32 are stored.
 */
export function convertWords(src: usize, n: i32, bits: i32, signed: bool, shift: i32, mask: u32, whole: bool, slope: f64, intercept: f64, dst: usize): void {
  let i = 0;
  if (bits == 32 && !signed && whole) {
    // whole unsigned 32-bit words (an RT Dose's usual layout), four at a time (WebAssembly SIMD: the
    // same operations lane by lane, IEEE 754 as the scalar ones); the last few in the loop below
    const s2 = f64x2.splat(slope), c2 = f64x2.splat(intercept);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const w = v128.load(src + o);
      const lo = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(w), s2), c2));
      const hi = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(i32x4.shuffle(w, w, 2, 3, 0, 1)), s2), c2));
      v128.store(dst + o, i32x4.shuffle(lo, hi, 0, 1, 4, 5));
    }
  }
  for (; i < n; i++) {
    const w: u32 = bits == 16 ? <u32>load<u16>(src + (<usize>i << 1)) : load<u32>(src + (<usize>i << 2));
    let v: f64;
    if (signed) v = <f64>((<i32>(w << shift)) >> shift);
    else if (whole) v = <f64>w;
    else v = <f64>(<i32>(w & mask));
    store<f32>(dst + (<usize>i << 2), <f32>(v * slope + intercept));
  }
}
