/**
 * The passes over a DVH's bins in the WebAssembly kernels (src/evaluate/dvh-bins.ts). Expectations
 * from outside the kernels: analytic histograms (a point spread uniformly over an interval puts into
 * each bin its weight times the bin's share of the interval; a uniform histogram's dose at a volume
 * is a straight line), and the plain loops written here, which these passes must equal to the bit
 * (same additions in the same order) on random bins of mixed magnitudes, where another order of the
 * sums would round differently.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kernels, reserveKernelMemory } from '../../src/core/wasm-kernels.js';
import { addRamps, cumulativeBins, dosesAtSortedVolumes, finishHistogram, sumParts } from '../../src/evaluate/dvh-bins.js';

/** Values of mixed magnitudes (sums of them depend on their order). */
const binValues = (n: number): fc.Arbitrary<number[]> =>
  fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e-3, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true })), { minLength: n, maxLength: n });

/** The ramps as a loop here: the volume below edge e w is e w Σc - Σct. */
function rampsHere(diff: Float64Array, sumC: Float64Array, sumCt: Float64Array, nBins: number, w: number): void {
  let pc = 0, pct = 0, below = 0;
  for (let e = 1; e <= nBins; e++) {
    pc += sumC[e]!;
    pct += sumCt[e]!;
    const now = e * w * pc - pct;
    diff[e - 1]! += now - below;
    below = now;
  }
}

/** The prefix-sum entries of one point of weight wt spread over [lo, hi] (bins of width w), as a spread histogram keeps them. */
function addSpreadPoint(sumC: Float64Array, sumCt: Float64Array, lo: number, hi: number, wt: number, w: number): void {
  const c = wt / (hi - lo);
  const ea = Math.floor(lo / w) + 1, eb = Math.floor(hi / w) + 1;
  sumC[ea]! += c;
  sumCt[ea]! += c * lo;
  sumC[eb]! -= c;
  sumCt[eb]! -= c * hi;
}

describe('addRamps', () => {
  it('puts a spread point into each bin in proportion to its overlap with the interval', () => {
    // 2 cc spread over [0.25, 0.85] Gy, bins of 0.1 Gy: 0.05 / 0.6 of it in bin 2, 0.1 / 0.6 in bins
    // 3 .. 7, 0.05 / 0.6 in bin 8
    const w = 0.1, n = 10;
    const diff = new Float64Array(n), sumC = new Float64Array(n + 2), sumCt = new Float64Array(n + 2);
    addSpreadPoint(sumC, sumCt, 0.25, 0.85, 2, w);
    addRamps(diff, sumC, sumCt, n, w);
    const expected = [0, 0, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0].map((x) => (2 * x) / 0.6);
    diff.forEach((v, b) => expect(v).toBeCloseTo(expected[b]!, 12));
    expect(diff.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 12);
  });

  it('equals the loop to the bit on random sums, and leaves the bins above nBins alone', () => {
    fc.assert(
      fc.property(binValues(40), binValues(42), binValues(42), fc.integer({ min: 0, max: 40 }), fc.double({ min: 0.001, max: 1, noNaN: true }), (d, c, ct, nBins, w) => {
        const here = Float64Array.from(d);
        rampsHere(here, Float64Array.from(c), Float64Array.from(ct), nBins, w);
        const there = Float64Array.from(d);
        addRamps(there, Float64Array.from(c), Float64Array.from(ct), nBins, w);
        expect(Array.from(there)).toEqual(Array.from(here));
      }),
      { numRuns: 60, seed: 15 },
    );
  });

  it('refuses sums shorter than the bins need', () => {
    expect(() => addRamps(new Float64Array(4), new Float64Array(5), new Float64Array(6), 4, 0.1)).toThrow(RangeError);
  });
});

describe('finishHistogram', () => {
  it('folds the bins from nb on into bin nb - 1, then adds the ramps, in the kernels memory or out of it', () => {
    fc.assert(
      fc.property(binValues(30), binValues(32), binValues(32), fc.integer({ min: 1, max: 30 }), (d, c, ct, nb) => {
        const w = 0.01;
        const here = Float64Array.from(d);
        for (let b = nb; b < here.length; b++) here[nb - 1]! += here[b]!;
        const expected = here.slice(0, nb);
        rampsHere(expected, Float64Array.from(c), Float64Array.from(ct), nb, w);
        expect(Array.from(finishHistogram(Float64Array.from(d), Float64Array.from(c), Float64Array.from(ct), nb, w))).toEqual(Array.from(expected));
        // the same sums as views of the kernels' memory (where the DVH kernel leaves them), worked on in place
        const k = kernels<object>();
        reserveKernelMemory(8 * 200);
        const at = (o: number, a: number[]): Float64Array => {
          const v = new Float64Array(k.memory.buffer, 8 * o, a.length);
          v.set(a);
          return v;
        };
        const inPlace = finishHistogram(at(0, d), at(40, c), at(80, ct), nb, w);
        expect(Array.from(inPlace)).toEqual(Array.from(expected));
      }),
      { numRuns: 40, seed: 16 },
    );
  });

  it('gives no bins for nb = 0 and refuses more bins than the sums hold', () => {
    expect(finishHistogram(new Float64Array(3), new Float64Array(5), new Float64Array(5), 0, 0.01).length).toBe(0);
    expect(() => finishHistogram(new Float64Array(3), new Float64Array(5), new Float64Array(5), 4, 0.01)).toThrow(RangeError);
  });
});

describe('sumParts', () => {
  it('adds the parts in order, part 0 first, to the bit', () => {
    fc.assert(
      fc.property(fc.array(binValues(25), { minLength: 1, maxLength: 6 }), (parts) => {
        const expected = Float64Array.from(parts[0]!);
        for (const p of parts.slice(1)) p.forEach((v, i) => (expected[i]! += v));
        const got = sumParts(parts.map((p) => Float64Array.from(p)));
        expect(Array.from(got)).toEqual(Array.from(expected));
      }),
      { numRuns: 60, seed: 17 },
    );
  });

  it('adds parts that are views of the kernels memory where the sum is laid out', () => {
    const k = kernels<object>();
    reserveKernelMemory(8 * 64);
    const values = [[1, 2, 3, 4], [10, 20, 30, 40], [100, 200, 300, 400]];
    // the parts at bytes 64, 0 and 32: part 1 where the sum goes, part 2 where each next part is put
    const parts = values.map((v, i) => {
      const view = new Float64Array(k.memory.buffer, 32 * [2, 0, 1][i]!, 4);
      view.set(v);
      return view;
    });
    expect(Array.from(sumParts(parts))).toEqual([111, 222, 333, 444]);
  });

  it('refuses parts of different lengths', () => {
    expect(() => sumParts([new Float64Array(3), new Float64Array(4)])).toThrow(RangeError);
  });
});

describe('cumulativeBins', () => {
  it('gives the volume at and above each bin edge, summed from the top', () => {
    const { doseGy, volumeCc } = cumulativeBins(Float64Array.from([1, 2, 3, 4]), 0.5);
    expect(Array.from(doseGy)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(Array.from(volumeCc)).toEqual([10, 9, 7, 4, 0]);
    fc.assert(
      fc.property(binValues(50), (d) => {
        const expected = new Float64Array(51);
        let run = 0;
        for (let b = 49; b >= 0; b--) expected[b] = run += d[b]!;
        expect(Array.from(cumulativeBins(Float64Array.from(d), 0.01).volumeCc)).toEqual(Array.from(expected));
      }),
      { numRuns: 40, seed: 18 },
    );
  });
});

describe('dosesAtSortedVolumes', () => {
  it('reads a uniform histogram as a straight line and leaves volumes beyond it unanswered', () => {
    // 1 cc in each of 4 bins of 1 Gy: V(D) = 4 - D, so D(v) = 4 - v
    expect(dosesAtSortedVolumes(Float64Array.from([1, 1, 1, 1]), 1, [0.5, 2, 3.25, 4, 4.5])).toEqual([3.5, 2, 0.75, 0, undefined]);
  });

  it('equals a pass down the bins written here, to the bit', () => {
    fc.assert(
      fc.property(binValues(60), fc.array(fc.double({ min: 1e-6, max: 800, noNaN: true }), { minLength: 1, maxLength: 8 }), (d, qs) => {
        const volumes = [...qs].sort((a, b) => a - b);
        const w = 0.01;
        const expected: (number | undefined)[] = volumes.map(() => undefined);
        let next = 0, acc = 0;
        for (let b = d.length - 1; b >= 0 && next < volumes.length; b--) {
          const v = d[b]!;
          for (; v > 0 && next < volumes.length && acc + v >= volumes[next]!; next++) expected[next] = (b + 1 - (volumes[next]! - acc) / v) * w;
          acc += v;
        }
        expect(dosesAtSortedVolumes(Float64Array.from(d), w, volumes)).toEqual(expected);
      }),
      { numRuns: 60, seed: 19 },
    );
  });
});
