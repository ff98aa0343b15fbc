/**
 * A tiny seeded pseudo-random number generator for the phantom generator, so that the same
 * options give the same bytes (docs/conventions.md, "Determinism").
 *
 * Input: a 32-bit integer seed. Output: a generator of uniform numbers in [0, 1) and of standard
 * normal deviates. Reference: mulberry32 (Tommy Ettinger, public domain, 2017), a 32-bit state
 * generator with a full 2^32 period; normals by the Box-Muller transform (Box & Muller, Ann. Math.
 * Statist. 29:610, 1958). Not for cryptography.
 */

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal deviate (mean 0, standard deviation 1). */
  normal(): number;
  /** Writes the next `count` standard normal deviates into out[0 .. count - 1]: the same numbers,
   * in the same order, as `count` calls of normal(). */
  normals(out: Float64Array, count: number): void;
}

/** A mulberry32 generator started from `seed` (any number; only its low 32 bits are used). */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  let spare = 0;
  let hasSpare = false;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const theta = 2 * Math.PI * next();
    spare = r * Math.sin(theta);
    hasSpare = true;
    return r * Math.cos(theta);
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal,
    normals: (out, count) => {
      let n = 0;
      if (count > 0 && hasSpare) {
        hasSpare = false;
        out[n++] = spare;
      }
      // Whole pairs, with the generator inlined (the same arithmetic as next() and normal()).
      let s = state;
      for (; n + 1 < count; n += 2) {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        const u1 = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        s = (s + 0x6d2b79f5) >>> 0;
        t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        const u2 = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        const r = Math.sqrt(-2 * Math.log(1 - u1));
        const theta = 2 * Math.PI * u2;
        out[n] = r * Math.cos(theta);
        out[n + 1] = r * Math.sin(theta);
      }
      state = s;
      if (n < count) out[n] = normal();
    },
  };
}
