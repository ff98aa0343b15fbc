/**
 * Passes over a DVH's bins (float64 arrays at byte offsets of the kernels' memory) for
 * src/evaluate/dvh-bins.ts: the ramps of spread points added to a histogram, a structure's histogram
 * folded above its own largest dose, parts' sums added, the cumulative DVH and the doses at volumes.
 * Why here: each runs over every bin of every DVH of a case (10^4 bins of 0.01 Gy for an EQD2 of
 * 100 Gy, a few DVHs per structure), and in a fresh process V8 ran these loops unoptimised and then
 * spent its compiler threads optimising them, on a machine whose two processors the DVH threads
 * already keep busy (bench/README.md, fifteenth session); WebAssembly is compiled before it runs.
 * The arithmetic is the JavaScript's that these replaced, operation for operation in float64, so
 * every figure is the same to the bit.
 */

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

/**
 * A point histogram's ramps (dvh.ts computeDvh): diff[e - 1] += V(e w) - V((e - 1) w) for
 * e = 1 .. nBins, where V(e w) = e w Σc - Σct is the volume below edge e w of the points spread
 * uniformly over their intervals, from the prefix sums of sumC and sumCt (nBins + 2 values each).
 */
export function addRamps(diff: usize, sumC: usize, sumCt: usize, nBins: i32, w: f64): void {
  let pc: f64 = 0, pct: f64 = 0, below: f64 = 0;
  for (let e = 1; e <= nBins; e++) {
    pc += load<f64>(at(sumC, e));
    pct += load<f64>(at(sumCt, e));
    const now = <f64>e * w * pc - pct;
    const d = at(diff, e - 1);
    store<f64>(d, load<f64>(d) + (now - below));
    below = now;
  }
}

/** The bins from nb on of a histogram of `length` bins added, in order, into bin nb - 1 (nb >= 1). */
export function foldAbove(diff: usize, length: i32, nb: i32): void {
  const last = at(diff, nb - 1);
  for (let b = nb; b < length; b++) store<f64>(last, load<f64>(last) + load<f64>(at(diff, b)));
}

/** to[i] += from[i] for i < n. */
export function addInto(to: usize, from: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const t = at(to, i);
    store<f64>(t, load<f64>(t) + load<f64>(at(from, i)));
  }
}

/**
 * The cumulative DVH of a histogram of nb bins of width w at the nb + 1 bin edges: dose[b] = b w,
 * volume[b] = the volume of bins b .. nb - 1, summed from the top.
 */
export function cumulate(diff: usize, nb: i32, w: f64, dose: usize, volume: usize): void {
  let run: f64 = 0;
  for (let b = nb; b >= 0; b--) {
    store<f64>(at(dose, b), <f64>b * w);
    if (b < nb) run += load<f64>(at(diff, b));
    store<f64>(at(volume, b), run);
  }
}

/**
 * metrics.ts dosesAtVolumesCc's pass down the bins: the nq volumes at `volumes` (cc, ascending, all
 * > 0) answered from the top bin down, each at the first bin whose volume above it reaches the query,
 * interpolated within the bin; the answers at `out` in the volumes' order. Returns how many were
 * answered (the rest are left as they were: below the structure's smallest dose).
 */
export function dosesAtVolumes(diff: usize, nb: i32, w: f64, volumes: usize, nq: i32, out: usize): i32 {
  let next = 0;
  let acc: f64 = 0;
  for (let b = nb - 1; b >= 0 && next < nq; b--) {
    const v = load<f64>(at(diff, b));
    for (; v > 0 && next < nq && acc + v >= load<f64>(at(volumes, next)); next++) {
      store<f64>(at(out, next), (<f64>(b + 1) - (load<f64>(at(volumes, next)) - acc) / v) * w);
    }
    acc += v;
  }
  return next;
}
