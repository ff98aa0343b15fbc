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
  for (let i = 0; i < n; i++) {
    const w: u32 = bits == 16 ? <u32>load<u16>(src + (<usize>i << 1)) : load<u32>(src + (<usize>i << 2));
    let v: f64;
    if (signed) v = <f64>((<i32>(w << shift)) >> shift);
    else if (whole) v = <f64>w;
    else v = <f64>(<i32>(w & mask));
    store<f32>(dst + (<usize>i << 2), <f32>(v * slope + intercept));
  }
}
