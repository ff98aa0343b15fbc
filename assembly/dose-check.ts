/**
 * The check of a planned dose grid for src/evaluate/plan.ts checkDoseVolume: every value finite and
 * non-negative, and their maximum. Why here: the loop runs once per evaluation over millions of values
 * (2.4 M for a 220 x 180 x 61 grid), and V8 ran its JavaScript unoptimised for most of them (some 10 ms
 * on the 2-vCPU test machine); WebAssembly is compiled before it runs. The caller copies the values in a
 * chunk at a time and carries the maximum from chunk to chunk.
 */

let maximum: f32 = 0;

/**
 * The n float32 values at src, after a maximum `max` of the values before them: returns the index of
 * the first value that is negative, NaN or +Infinity, or -1 when none, and then checkedDoseMaximum()
 * gives the largest of `max` and the values (the JavaScript's `!(v >= 0) || v === Infinity` and
 * `v > max`, in float32, which holds each value exactly).
 */
export function checkDoseValues(src: usize, n: i32, max: f32): i32 {
  // Read as bits, four values an instruction (WebAssembly SIMD). A float32 that is not negative and
  // finite has bits below 0x7f800000, ordered as the values are, so the greatest bits are the greatest
  // value's (a -0, bits 0x80000000, counts as +0 with its sign cleared: as `v > max`, which a zero never
  // passes); a NaN, +Infinity or negative value has bits from 0x7f800000 up, other than -0's. A block
  // of four with a bad value is read again one value at a time below, which returns the first.
  const inf = i32x4.splat(0x7f800000);
  const negativeZero = i32x4.splat(0x80000000);
  const magnitude = i32x4.splat(0x7fffffff);
  let most = i32x4.splat(reinterpret<u32>(max) & 0x7fffffff);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src + (<usize>i << 2));
    if (v128.any_true(v128.andnot(i32x4.ge_u(v, inf), i32x4.eq(v, negativeZero)))) break;
    most = i32x4.max_u(most, v128.and(v, magnitude));
  }
  let m: u32 = <u32>i32x4.extract_lane(most, 0);
  const m1 = <u32>i32x4.extract_lane(most, 1), m2 = <u32>i32x4.extract_lane(most, 2), m3 = <u32>i32x4.extract_lane(most, 3);
  if (m1 > m) m = m1;
  if (m2 > m) m = m2;
  if (m3 > m) m = m3;
  for (; i < n; i++) {
    const v = load<u32>(src + (<usize>i << 2));
    if (bad(v)) return i;
    const v1 = v & 0x7fffffff;
    if (v1 > m) m = v1;
  }
  maximum = reinterpret<f32>(m);
  return -1;
}

/** A float32's bits that are not a finite value >= 0 (the JavaScript's `!(v >= 0) || v === Infinity`): NaN, +-Infinity, or negative but -0. */
@inline function bad(bits: u32): bool {
  return bits >= 0x7f800000 && bits != 0x80000000;
}

/** The maximum of the last checkDoseValues that found no bad value. */
export function checkedDoseMaximum(): f64 {
  return <f64>maximum;
}
