/**
 * 3-D gamma index (Low et al., Med Phys 25:656, 1998) between a reference and an evaluated dose on
 * any two grids (LPS, mm; dose in Gy).
 *
 * For every reference voxel at or above the low-dose threshold:
 *   gamma = min over offsets r of sqrt(|r|^2 / DTA^2 + (D_eval(x + r) - D_ref(x))^2 / dD^2),
 * with D_eval interpolated trilinearly (0 outside its grid). dD = doseDiffPct % of the normalisation
 * dose (global; default the reference maximum) or of D_ref(x) (local). Search: offsets on a cubic
 * lattice of step `stepMm` (default DTA / 5) inside a sphere of `searchRadiusMm` (default 2 DTA),
 * visited in order of distance and stopped as soon as |r| / DTA exceeds the best gamma found (exact
 * early exit); then a pattern search (steps step/2, step/4, step/8 along each axis) from the best
 * offset and from the offset of closest dose agreement (which matters in steep gradients). Gamma above
 * searchRadius / DTA is reported as that cap. Points below the threshold get NaN.
 */

import { InputError, fmt } from '../core/errors.js';
import { indexToLpsAffine, lpsToIndexAffine } from '../geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../geometry/volume.js';

export interface GammaOptions {
  /** Dose-difference criterion, percent (e.g. 3). */
  readonly doseDiffPct: number;
  /** Distance-to-agreement criterion, mm (e.g. 3). */
  readonly dtaMm: number;
  /** Global (default) or local dose-difference normalisation. */
  readonly local?: boolean;
  /** Points with reference dose below this percent of the normalisation dose are skipped (default 10). */
  readonly lowDoseThresholdPct?: number;
  /** Normalisation dose, Gy (default: the reference maximum). */
  readonly normalisationGy?: number;
  readonly searchRadiusMm?: number;
  readonly stepMm?: number;
}

export interface GammaResult {
  /** Gamma on the reference grid; NaN where not evaluated. */
  readonly gamma: ScalarVolume;
  readonly evaluated: number;
  readonly passed: number;
  /** Percent of evaluated points with gamma <= 1. */
  readonly passRatePct: number;
  readonly meanGamma: number;
  readonly maxGamma: number;
}

export function gamma3d(reference: ScalarVolume, evaluated: ScalarVolume, options: GammaOptions): GammaResult {
  const { doseDiffPct, dtaMm } = options;
  if (!(doseDiffPct > 0) || !(dtaMm > 0)) {
    throw new InputError(`gamma criteria must be positive, found ${fmt(doseDiffPct)} % / ${fmt(dtaMm)} mm`);
  }
  const rd = reference.data;
  let refMax = 0;
  for (let i = 0; i < rd.length; i++) if (rd[i]! > refMax) refMax = rd[i]!;
  const norm = options.normalisationGy ?? refMax;
  if (!(norm > 0)) throw new InputError(`gamma needs a positive normalisation dose, found ${fmt(norm)} Gy`);
  const threshold = ((options.lowDoseThresholdPct ?? 10) / 100) * norm;
  const radius = options.searchRadiusMm ?? 2 * dtaMm;
  const step = options.stepMm ?? dtaMm / 5;
  if (!(radius > 0) || !(step > 0)) throw new InputError('gamma search radius and step must be positive');
  const cap = radius / dtaMm;
  const local = options.local === true;
  const ddGlobal = (doseDiffPct / 100) * norm;

  // offsets sorted by distance, stored as eval continuous-index deltas and |r|^2 / DTA^2
  const toE = lpsToIndexAffine(evaluated.grid);
  const m = Math.floor(radius / step);
  const list: { d2: number; o: [number, number, number]; x: [number, number, number] }[] = [];
  for (let c = -m; c <= m; c++)
    for (let b = -m; b <= m; b++)
      for (let a = -m; a <= m; a++) {
        const x = a * step, y = b * step, z = c * step;
        const r2 = x * x + y * y + z * z;
        if (r2 > radius * radius + 1e-12) continue;
        list.push({
          d2: r2 / (dtaMm * dtaMm),
          o: [toE[0]! * x + toE[1]! * y + toE[2]! * z, toE[4]! * x + toE[5]! * y + toE[6]! * z, toE[8]! * x + toE[9]! * y + toE[10]! * z],
          x: [x, y, z],
        });
      }
  list.sort((p, q) => p.d2 - q.d2);
  const nOff = list.length;
  const oD2 = Float64Array.from(list, (p) => p.d2);
  const oI = Float64Array.from(list, (p) => p.o[0]);
  const oJ = Float64Array.from(list, (p) => p.o[1]);
  const oK = Float64Array.from(list, (p) => p.o[2]);
  const oX = Float64Array.from(list, (p) => p.x[0]);
  const oY = Float64Array.from(list, (p) => p.x[1]);
  const oZ = Float64Array.from(list, (p) => p.x[2]);

  const ed = evaluated.data;
  const [ex, ey, ez] = evaluated.grid.size;
  const exy = ex * ey;
  const sample = (ci: number, cj: number, ck: number): number => {
    // trilinear, clamped within half a voxel of the outer centres, 0 beyond
    if (ci < -0.5 || cj < -0.5 || ck < -0.5 || ci > ex - 0.5 || cj > ey - 0.5 || ck > ez - 0.5) return 0;
    if (ci < 0) ci = 0; else if (ci > ex - 1) ci = ex - 1;
    if (cj < 0) cj = 0; else if (cj > ey - 1) cj = ey - 1;
    if (ck < 0) ck = 0; else if (ck > ez - 1) ck = ez - 1;
    let i = Math.floor(ci), j = Math.floor(cj), k = Math.floor(ck);
    if (i > ex - 2) i = Math.max(0, ex - 2);
    if (j > ey - 2) j = Math.max(0, ey - 2);
    if (k > ez - 2) k = Math.max(0, ez - 2);
    const fx = ci - i, fy = cj - j, fz = ck - k;
    const i1 = ex > 1 ? 1 : 0, j1 = ey > 1 ? ex : 0, k1 = ez > 1 ? exy : 0;
    const p = i + ex * j + exy * k;
    const c00 = ed[p]! + fx * (ed[p + i1]! - ed[p]!);
    const c10 = ed[p + j1]! + fx * (ed[p + j1 + i1]! - ed[p + j1]!);
    const c01 = ed[p + k1]! + fx * (ed[p + k1 + i1]! - ed[p + k1]!);
    const c11 = ed[p + j1 + k1]! + fx * (ed[p + j1 + k1 + i1]! - ed[p + j1 + k1]!);
    const c0 = c00 + fy * (c10 - c00);
    const c1 = c01 + fy * (c11 - c01);
    return c0 + fz * (c1 - c0);
  };

  const invDta2 = 1 / (dtaMm * dtaMm);
  const toL = indexToLpsAffine(reference.grid);
  const [rx, ry, rz] = reference.grid.size;
  const out = new Float32Array(rd.length).fill(Number.NaN);
  let evaluatedCount = 0, passed = 0, sum = 0, maxG = 0;
  let p = 0;
  for (let k = 0; k < rz; k++) {
    for (let j = 0; j < ry; j++) {
      for (let i = 0; i < rx; i++, p++) {
        const dr = rd[p]!;
        if (!(dr >= threshold) || dr <= 0) continue;
        const x = toL[0]! * i + toL[1]! * j + toL[2]! * k + toL[3]!;
        const y = toL[4]! * i + toL[5]! * j + toL[6]! * k + toL[7]!;
        const z = toL[8]! * i + toL[9]! * j + toL[10]! * k + toL[11]!;
        const ci = toE[0]! * x + toE[1]! * y + toE[2]! * z + toE[3]!;
        const cj = toE[4]! * x + toE[5]! * y + toE[6]! * z + toE[7]!;
        const ck = toE[8]! * x + toE[9]! * y + toE[10]! * z + toE[11]!;
        const inv = 1 / (local ? (doseDiffPct / 100) * dr : ddGlobal);
        let best2 = cap * cap;
        let bq = -1;
        let aq = -1;
        let bestDiff = Infinity;
        for (let q = 0; q < nOff; q++) {
          const d2 = oD2[q]!;
          if (d2 >= best2) break;
          const diff = (sample(ci + oI[q]!, cj + oJ[q]!, ck + oK[q]!) - dr) * inv;
          const g2 = d2 + diff * diff;
          if (g2 < best2) { best2 = g2; bq = q; }
          if (diff * diff < bestDiff) { bestDiff = diff * diff; aq = q; }
        }
        // refinement: pattern search (steps step/2, step/4, step/8 along each axis) from the best
        // offset and from the offset of closest dose agreement
        for (let pass = 0; pass < 2 && best2 > 0; pass++) {
          const cq = pass === 0 ? bq : aq;
          if (cq < 0 || (pass === 1 && aq === bq)) continue;
          let bx = oX[cq]!, by = oY[cq]!, bz = oZ[cq]!;
          let cur = Infinity;
          {
            const r2 = bx * bx + by * by + bz * bz;
            const diff = (sample(ci + oI[cq]!, cj + oJ[cq]!, ck + oK[cq]!) - dr) * inv;
            cur = r2 * invDta2 + diff * diff;
          }
          for (let h = step / 2; h >= step / 8 - 1e-12; h /= 2) {
            let mx = bx, my = by, mz = bz;
            for (let t = 0; t < 6; t++) {
              const ox = bx + (t === 0 ? h : t === 1 ? -h : 0);
              const oy = by + (t === 2 ? h : t === 3 ? -h : 0);
              const oz = bz + (t === 4 ? h : t === 5 ? -h : 0);
              const r2 = ox * ox + oy * oy + oz * oz;
              if (r2 > radius * radius) continue;
              const d2 = r2 * invDta2;
              if (d2 >= cur) continue;
              const diff = (sample(
                ci + toE[0]! * ox + toE[1]! * oy + toE[2]! * oz,
                cj + toE[4]! * ox + toE[5]! * oy + toE[6]! * oz,
                ck + toE[8]! * ox + toE[9]! * oy + toE[10]! * oz) - dr) * inv;
              const g2 = d2 + diff * diff;
              if (g2 < cur) { cur = g2; mx = ox; my = oy; mz = oz; }
            }
            bx = mx; by = my; bz = mz;
          }
          if (cur < best2) best2 = cur;
        }
        const g = Math.sqrt(best2);
        out[p] = g;
        evaluatedCount++;
        if (g <= 1) passed++;
        sum += g;
        if (g > maxG) maxG = g;
      }
    }
  }
  return {
    gamma: createScalarVolume(reference.grid, out),
    evaluated: evaluatedCount,
    passed,
    passRatePct: evaluatedCount > 0 ? (100 * passed) / evaluatedCount : Number.NaN,
    meanGamma: evaluatedCount > 0 ? sum / evaluatedCount : Number.NaN,
    maxGamma: maxG,
  };
}
