/**
 * Pencil-beam kernel algebra of the lattice-rt photon model: depth components times lateral kernels.
 *
 * The pencil-beam kernel (dose per unit primary fluence at iso-plane offset r and radiological depth z)
 * is a sum over lateral basis kernels j:
 *
 *     K(r, z) = sum_j E_j(z) k_j(r),      E_j(z) = sum_k c_kj D_k(z)
 *     D_k(z)  = beta_k / (beta_k - mu) * (exp(-mu z) - exp(-beta_k z))          (Bortfeld 1993, SVD form)
 *     k_j(r)  = b_j exp(-b_j r) / (2 pi r)                 (Ahnesjo 1992 exponential/r form, unit integral)
 *
 * z in mm (water-equivalent), r in mm, mu, beta_k, b_j in 1/mm. Each k_j integrates to 1 over the plane,
 * so c_kj carries the dose. The "SVD" view K = sum_k D_k(z) K_k(r) with K_k = sum_j c_kj k_j is the same
 * kernel with the sums swapped; the engine convolves once per lateral basis j.
 *
 * Geometric scaling: a voxel at distance l (along the central axis) from the source has f = l / SAD;
 * in iso-plane coordinates its kernel is f^2 k_j(f r) (lateral spread measured in the physical plane),
 * and the primary fluence there falls as f^-2 (inverse square).
 *
 * References: Bortfeld, Schlegel, Rhein, Med Phys 20:311 (1993); Ahnesjo, Saxner, Trepp, Med Phys
 * 19:263 (1992). The formulas are written from the papers; no code or data were copied.
 */

/** Depth component D_k(z) for attenuation mu and build-up beta (1/mm); z in mm (water-equivalent). */
export function depthComponent(zMm: number, muPerMm: number, betaPerMm: number): number {
  if (zMm <= 0) return 0;
  const d = betaPerMm - muPerMm;
  if (Math.abs(d) < 1e-9) return muPerMm * zMm * Math.exp(-muPerMm * zMm); // limit beta -> mu
  return (betaPerMm / d) * (Math.exp(-muPerMm * zMm) - Math.exp(-betaPerMm * zMm));
}

/** Lateral basis kernel k_b(r) = b exp(-b r) / (2 pi r) (1/mm^2); unit integral over the plane. */
export function lateralBasis(rMm: number, bPerMm: number): number {
  return (bPerMm * Math.exp(-bPerMm * rMm)) / (2 * Math.PI * rMm);
}

/** Weight E_j(z) of each lateral basis at depth z, written into out (length J). Allocation-free. */
export function basisDepthWeights(
  zMm: number,
  muPerMm: number,
  betasPerMm: readonly number[],
  coefficients: readonly (readonly number[])[],
  out: Float64Array,
): void {
  out.fill(0);
  for (let k = 0; k < betasPerMm.length; k++) {
    const dk = depthComponent(zMm, muPerMm, betasPerMm[k]!);
    const row = coefficients[k]!;
    for (let j = 0; j < out.length; j++) out[j] = out[j]! + row[j]! * dk;
  }
}

/** Gauss-Legendre nodes/weights on [0, 1], n = 16 (for the angular integrals). */
const GL16 = (() => {
  const n = 16;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Newton on P_n starting from the Chebyshev guess
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = t;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (t * p1 - p0)) / (t * t - 1);
      const dt = p1 / dp;
      t -= dt;
      if (Math.abs(dt) < 1e-15) break;
    }
    x[i] = (1 - t) / 2;
    w[i] = 1 / ((1 - t * t) * dp * dp);
  }
  return { x, w };
})();

/**
 * Integral of the basis kernel over a centred square of half-width h (mm), without off-axis weighting:
 * (4/pi) * int_0^{pi/4} (1 - exp(-b h / cos t)) dt. Used for the central cell of kernel tables.
 */
export function squareIntegralPlain(bPerMm: number, halfWidthMm: number): number {
  let s = 0;
  const seg = 4; // split [0, pi/4] for accuracy with sharp kernels
  for (let q = 0; q < seg; q++) {
    for (let i = 0; i < GL16.x.length; i++) {
      const t = ((q + GL16.x[i]!) / seg) * (Math.PI / 4);
      s += (GL16.w[i]! / seg) * (Math.PI / 4) * (1 - Math.exp((-bPerMm * halfWidthMm) / Math.cos(t)));
    }
  }
  return (4 / Math.PI) * s;
}

/**
 * Central-axis integral of f^2 k_b(f r) over the iso-plane square of half-width h, each point weighted
 * by the off-axis primary fluence psi(r_iso):  = int over square(f h) of psi(|p| / f) k_b(|p|) dp.
 * psi is given as a function of iso-plane radius (mm). With psi == 1 this is squareIntegralPlain(b, f h).
 */
export function squareIntegral(
  bPerMm: number,
  halfWidthMm: number,
  f: number,
  psi: (rIsoMm: number) => number,
  stepMm = 0.25,
): number {
  // cumulative radial integral G(R) = int_0^R psi(r/f) b e^{-b r} dr on a table (physical radius)
  const rMax = f * halfWidthMm * Math.SQRT2 + stepMm;
  const n = Math.ceil(rMax / stepMm) + 1;
  const g = new Float64Array(n);
  let prev = psi(0) * bPerMm;
  for (let i = 1; i < n; i++) {
    const r = i * stepMm;
    const mid = psi((r - stepMm / 2) / f) * bPerMm * Math.exp(-bPerMm * (r - stepMm / 2));
    const cur = psi(r / f) * bPerMm * Math.exp(-bPerMm * r);
    g[i] = g[i - 1]! + (stepMm / 6) * (prev + 4 * mid + cur); // Simpson per step
    prev = cur;
  }
  const cum = (r: number): number => {
    const x = r / stepMm;
    const i = Math.min(Math.floor(x), n - 2);
    const t = x - i;
    return g[i]! * (1 - t) + g[i + 1]! * t;
  };
  let s = 0;
  const seg = 4;
  for (let q = 0; q < seg; q++) {
    for (let i = 0; i < GL16.x.length; i++) {
      const t = ((q + GL16.x[i]!) / seg) * (Math.PI / 4);
      s += (GL16.w[i]! / seg) * (Math.PI / 4) * cum((f * halfWidthMm) / Math.cos(t));
    }
  }
  return (4 / Math.PI) * s;
}

/**
 * Cell-integrated kernel table: T[m, n] = integral of f^2 k_b(f |u|) over the square cell of side
 * cellMm centred at (m, n) * cellMm in the iso plane, for |m| <= halfM, |n| <= halfN. Row-major with m
 * fastest, size (2 halfM + 1) x (2 halfN + 1). The centre cell is integrated exactly; neighbours by
 * sub-cell midpoints (more of them near the centre, where 1/r varies fastest).
 */
export function kernelCellTable(
  bPerMm: number,
  f: number,
  cellMm: number,
  halfM: number,
  halfN: number,
): Float64Array {
  const w = 2 * halfM + 1;
  const h = 2 * halfN + 1;
  const out = new Float64Array(w * h);
  const a = f * cellMm; // physical cell side
  for (let n = -halfN; n <= halfN; n++) {
    for (let m = -halfM; m <= halfM; m++) {
      let v: number;
      if (m === 0 && n === 0) {
        v = squareIntegralPlain(bPerMm, a / 2);
      } else {
        const rc = Math.hypot(m, n); // in cells
        const sub = rc < 1.5 ? 24 : rc < 3 ? 12 : rc < 8 ? 4 : rc < 20 ? 2 : 1;
        let s = 0;
        for (let q = 0; q < sub; q++) {
          const y = (n + (q + 0.5) / sub - 0.5) * a;
          for (let p = 0; p < sub; p++) {
            const x = (m + (p + 0.5) / sub - 0.5) * a;
            s += lateralBasis(Math.hypot(x, y), bPerMm);
          }
        }
        v = (s * a * a) / (sub * sub);
      }
      out[m + halfM + w * (n + halfN)] = v;
    }
  }
  return out;
}
