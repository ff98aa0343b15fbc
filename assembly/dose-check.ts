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
  for (let i = 0; i < n; i++) {
    const v = load<f32>(src + (<usize>i << 2));
    if (!(v >= 0) || v == Infinity) return i;
    if (v > max) max = v;
  }
  maximum = max;
  return -1;
}

/** The maximum of the last checkDoseValues that found no bad value. */
export function checkedDoseMaximum(): f64 {
  return <f64>maximum;
}
