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
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal: () => {
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
    },
  };
}
