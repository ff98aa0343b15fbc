/**
 * Pencil-beam dose of fluence maps: forward (fluence -> dose at points) and adjoint (dose gradient ->
 * fluence gradient), matrix-free.
 *
 * Inputs: a relative-electron-density volume (LPS grid), dose points in LPS (mm), beams (IEC geometry)
 * each with a fluence region: a pixel grid in the beam's-eye view at the isocentre plane (collimator
 * frame, pixel side `pixelMm`). Fluence value 1 on a pixel = the primary fluence of 1 MU on the axis of
 * an open field. Output: dose in Gy at the points.
 *
 * Per beam the dose is  D(p) = gyPerMu * sum_j E_j(z_p) / f_p^2 * (Phi (*) G_sigma (*) kappa_{j,f_p})(u_p, v_p):
 * the fluence map convolved with the Gaussian source penumbra and the lateral basis kernel j scaled to
 * the point's plane (f = source distance along the axis / SAD), read bilinearly at the point's
 * iso-plane position, weighted by the depth term at its radiological depth z (Siddon ray trace) and
 * the inverse square. The f dependence is sampled at levels f_l (step `fStep`) and interpolated
 * linearly (bases narrower than a quarter pixel: f = 1 only). Convolutions are exact circular FFT convolutions on a canvas large enough that nothing
 * wraps (no kernel truncation: the whole scatter tail is kept). The adjoint applies the transposed
 * operations (bilinear splat, correlation), so <D phi, g> = <phi, D^T g> to rounding.
 *
 * References: Bortfeld et al., Med Phys 20:311 (1993) (SVD pencil beam as 2-D convolutions);
 * Ahnesjo et al., Med Phys 19:263 (1992); Siddon, Med Phys 12:252 (1985).
 */

import { InputError, PlanError, fmt } from '../core/errors.js';
import { beamFrame, sourceKey, type BeamFrame, type BeamGeometry } from './beam-geometry.js';
import { fft2, fft2Plan, nextPowerOfTwo, type Fft2Plan } from './fft.js';
import { basisDepthWeights, kernelCellTable } from './kernels.js';
import type { PhotonMachine } from './machine.js';
import { bevDepths, type BevDepthOptions } from './bev-depth.js';
import { createRayTracer, radiologicalPath, type RayTracer } from './siddon.js';
import { scratchArray, type ScratchPool } from './scratch.js';
import type { ScalarVolume } from '../geometry/volume.js';

/** A beam's-eye-view pixel grid at the isocentre plane: pixel (a, b) has its centre at
 * (u0Mm + a * pixelMm, v0Mm + b * pixelMm) in the collimator frame. */
export interface FluenceRegion {
  readonly u0Mm: number;
  readonly v0Mm: number;
  readonly nu: number;
  readonly nv: number;
}

export interface BeamSpec {
  readonly geometry: BeamGeometry;
  readonly region: FluenceRegion;
  /** Name for error messages. */
  readonly name?: string;
}

export interface PencilBeamOptions {
  /** Fluence pixel side at the isocentre plane, mm (default 2.5). */
  readonly pixelMm?: number;
  /** Step of the geometric scale levels f = l / SAD (default 0.1). */
  readonly fStep?: number;
  /** Caller-owned cache of kernel spectra, reused when a later call has the same canvas and levels
   * (plan dose computes control points in batches). */
  readonly kernelCache?: KernelCache;
  /** Radiological depths from a beam's-eye-view depth table (bev-depth.ts) instead of one Siddon ray
   * per point (default: per-point rays). */
  readonly bevDepth?: BevDepthOptions;
  /** Caller-owned arrays lent to the preparation: its per-point, per-beam arrays come from here and
   * are reused by the next call with the same pool, so a preparation is valid only until then. */
  readonly scratch?: ScratchPool;
}

/** Kernel spectra by layout key (see preparePencilBeam). */
export type KernelCache = Map<string, { readonly specRe: Float64Array[]; readonly specIm: Float64Array[]; readonly slotBase: Int32Array; readonly slotLevels: Int32Array }>;

/** A lateral basis whose range 1/b is under a quarter pixel lies almost wholly in one pixel: its
 * scaling with f only moves a few percent of it to the neighbouring pixels, so it is convolved at
 * f = 1 only (one level instead of all). */
const LOCAL_BASIS_PIXELS = 4;

/** E_j(z) is tabulated every 0.05 mm up to 600 mm water-equivalent (deeper: computed directly). */
const DEPTH_TABLE_STEP_MM = 0.05;
const DEPTH_TABLE_POINTS = 12000;

interface PreparedBeam {
  readonly frame: BeamFrame;
  readonly region: FluenceRegion;
  /** Canvas index of the lower-left corner of each point's bilinear cell. */
  readonly base: Int32Array;
  readonly fu: Float32Array;
  readonly fv: Float32Array;
  readonly level: Uint8Array;
  readonly wf: Float32Array;
  /** N x J: gyPerMu * E_j(z) / f^2 (0 for points behind the source). */
  readonly coef: Float32Array;
  /** Water-equivalent depth of each point, mm. */
  readonly depthMm: Float32Array;
}

export interface PreparedDose {
  readonly machine: PhotonMachine;
  readonly pixelMm: number;
  readonly nPoints: number;
  readonly nBasis: number;
  readonly fLevels: Float64Array;
  /** Per basis: first slot and number of levels (1 for local bases, else fLevels.length). */
  readonly slotBase: Int32Array;
  readonly slotLevels: Int32Array;
  /** Canvas size (pixels) and the canvas position of fluence pixel (0, 0). */
  readonly canvasU: number;
  readonly canvasV: number;
  readonly offU: number;
  readonly offV: number;
  readonly plan: Fft2Plan;
  /** Spectra of the (j, level) kernels times the source Gaussian; slot s = slotBase[j] + level. */
  readonly specRe: Float64Array[];
  readonly specIm: Float64Array[];
  readonly beams: readonly PreparedBeam[];
  // scratch
  readonly re: Float64Array;
  readonly im: Float64Array;
  readonly accRe: Float64Array;
  readonly accIm: Float64Array;
  readonly planes: Float32Array;
}

/**
 * Ray-trace and lay out every beam for a fixed set of points; build the kernel spectra.
 * pointsLps: 3N coordinates (x, y, z interleaved, mm).
 */
export function preparePencilBeam(
  machine: PhotonMachine,
  density: ScalarVolume,
  pointsLps: Float64Array,
  beams: readonly BeamSpec[],
  options: PencilBeamOptions = {},
): PreparedDose {
  const h = options.pixelMm ?? 2.5;
  const fStep = options.fStep ?? 0.1;
  if (!(h > 0) || !(fStep > 0)) throw new InputError(`pixel size and f step must be positive, found ${fmt(h)} mm and ${fmt(fStep)}`);
  if (pointsLps.length % 3 !== 0) throw new InputError(`dose points must be x, y, z triples, found ${pointsLps.length} numbers`);
  if (beams.length === 0) throw new PlanError('no beams to compute');
  const n = pointsLps.length / 3;
  const J = machine.lateralRatesPerMm.length;
  const tracer = createRayTracer(density);
  const bev = options.bevDepth;
  if (bev !== undefined && !(bev.raySpacingMm > 0 && bev.stepMm > 0)) {
    throw new InputError(`depth table ray spacing and step must be positive, found ${fmt(bev.raySpacingMm)} and ${fmt(bev.stepMm)} mm`);
  }
  // pass 1: beam coordinates and depths (the iso-plane coordinates for the depth table in scratch
  // arrays shared by the beams of this call)
  const pool = options.scratch;
  const iso = bev !== undefined
    ? { u: scratchArray(pool, 'iso.u', Float64Array, n), v: scratchArray(pool, 'iso.v', Float64Array, n), l: scratchArray(pool, 'iso.l', Float64Array, n) }
    : undefined;
  const depthBySource = new Map<string, Float32Array>();
  const tmp = beams.map((b, bi) => {
    const name = b.name ?? `beam ${bi + 1}`;
    if (!(b.region.nu >= 1 && b.region.nv >= 1)) throw new PlanError(`${name}: empty fluence region`);
    if (Math.abs(b.geometry.sadMm - machine.sadMm) > 1e-6) {
      throw new PlanError(`${name}: SAD ${fmt(b.geometry.sadMm)} mm differs from the machine's ${fmt(machine.sadMm)} mm`);
    }
    const frame = beamFrame(b.geometry);
    // a point's depth depends on the source only: beams with the same source (collimator angles
    // apart) share it, and a depth table is laid out in the frame of collimator 0 so that it does
    // not depend on which of them comes first
    const key = sourceKey(b.geometry);
    const shared = depthBySource.get(key);
    const depth = shared ?? scratchArray(pool, `beam ${bi}.depth`, Float32Array, n);
    const tableFrame = bev !== undefined && shared === undefined && b.geometry.collimatorDeg !== 0 ? beamFrame({ ...b.geometry, collimatorDeg: 0 }) : undefined;
    const t = beamPoints(frame, b.region, pointsLps, h, machine.sadMm, pool, `beam ${bi}`, shared !== undefined ? undefined : { depth, tracer, iso, tableFrame });
    if (shared === undefined) {
      if (bev !== undefined) bevDepths(tracer, tableFrame ?? frame, iso!.u, iso!.v, iso!.l, depth, bev, pool);
      depthBySource.set(key, depth);
    }
    return { frame, region: b.region, ...t, depth };
  });
  // common canvas layout: fluence pixel (0,0) at (offU, offV); every point inside with one pixel spare
  let offU = 0, offV = 0, afterU = 0, afterV = 0, maxNu = 0, maxNv = 0;
  let fmin = Infinity, fmax = -Infinity;
  for (const t of tmp) {
    offU = Math.max(offU, Math.ceil(-Math.floor(t.umin)));
    offV = Math.max(offV, Math.ceil(-Math.floor(t.vmin)));
    afterU = Math.max(afterU, Math.floor(t.umax) + 2);
    afterV = Math.max(afterV, Math.floor(t.vmax) + 2);
    maxNu = Math.max(maxNu, t.region.nu);
    maxNv = Math.max(maxNv, t.region.nv);
    for (let p = 0; p < n; p++) {
      const fv = t.f[p]!;
      if (fv === fv) {
        if (fv < fmin) fmin = fv;
        if (fv > fmax) fmax = fv;
      }
    }
  }
  if (!(fmax >= fmin)) { fmin = 1; fmax = 1; }
  if (options.kernelCache !== undefined) {
    // round the layout up so that batches of similar beams share kernel spectra
    const up = (v: number): number => Math.ceil(v / 16) * 16;
    offU = up(offU); offV = up(offV); afterU = up(afterU); afterV = up(afterV);
    maxNu = up(maxNu); maxNv = up(maxNv);
  }
  const canvasU = offU + afterU;
  const canvasV = offV + afterV;
  const LU = nextPowerOfTwo(canvasU + maxNu);
  const LV = nextPowerOfTwo(canvasV + maxNv);
  if (LU * LV > 2 ** 24) throw new InputError(`convolution canvas ${LU} x ${LV} is too large: use fewer/closer points or larger pixels`);
  const f0 = Math.floor(fmin / fStep) * fStep;
  const nLevels = Math.max(2, Math.ceil((fmax - f0) / fStep + 1e-9) + 1);
  if (nLevels > 255) throw new InputError(`points span too large a range of source distances (${nLevels} levels)`);
  const fLevels = new Float64Array(nLevels);
  for (let l = 0; l < nLevels; l++) fLevels[l] = f0 + l * fStep;
  // kernel spectra
  const plan = fft2Plan(LU, LV);
  const rMinU = -offU - maxNu + 1, rMaxU = canvasU - 1 - offU;
  const rMinV = -offV - maxNv + 1, rMaxV = canvasV - 1 - offV;
  const halfU = Math.max(-rMinU, rMaxU), halfV = Math.max(-rMinV, rMaxV);
  const cacheKey = [machine.name, machine.lateralRatesPerMm.join(','), machine.sourceSigmaMm, h, LU, LV, rMinU, rMaxU, rMinV, rMaxV, f0, fStep, nLevels].join('|');
  const cached = options.kernelCache?.get(cacheKey);
  const built = cached ?? buildSpectra();
  if (cached === undefined) options.kernelCache?.set(cacheKey, built);
  const { specRe, specIm, slotBase, slotLevels } = built;
  function buildSpectra(): { specRe: Float64Array[]; specIm: Float64Array[]; slotBase: Int32Array; slotLevels: Int32Array } {
    const sig = machine.sourceSigmaMm;
    const gauss = new Float64Array(LU * LV);
    for (let kv = 0; kv < LV; kv++) {
      const fv = (kv < LV / 2 ? kv : kv - LV) / (LV * h);
      for (let ku = 0; ku < LU; ku++) {
        const fu = (ku < LU / 2 ? ku : ku - LU) / (LU * h);
        gauss[ku + LU * kv] = Math.exp(-2 * Math.PI * Math.PI * sig * sig * (fu * fu + fv * fv));
      }
    }
    const specRe: Float64Array[] = [];
    const specIm: Float64Array[] = [];
    const slotBase = new Int32Array(J);
    const slotLevels = new Int32Array(J);
    for (let j = 0; j < J; j++) {
      const local = machine.lateralRatesPerMm[j]! * h >= LOCAL_BASIS_PIXELS;
      slotBase[j] = specRe.length;
      slotLevels[j] = local ? 1 : nLevels;
      for (let l = 0; l < slotLevels[j]!; l++) {
        const table = kernelCellTable(machine.lateralRatesPerMm[j]!, local ? 1 : fLevels[l]!, h, halfU, halfV);
        const w = 2 * halfU + 1;
        const re = new Float64Array(LU * LV);
        const im = new Float64Array(LU * LV);
        for (let rv = rMinV; rv <= rMaxV; rv++) {
          const iv = ((rv % LV) + LV) % LV;
          for (let ru = rMinU; ru <= rMaxU; ru++) {
            const iu = ((ru % LU) + LU) % LU;
            re[iu + LU * iv] = table[ru + halfU + w * (rv + halfV)]!;
          }
        }
        fft2(plan, re, im, false);
        for (let q = 0; q < re.length; q++) {
          re[q] = re[q]! * gauss[q]!;
          im[q] = im[q]! * gauss[q]!;
        }
        specRe.push(re);
        specIm.push(im);
      }
    }
    return { specRe, specIm, slotBase, slotLevels };
  }
  // pass 2: per-point sampling data
  const e = new Float64Array(J);
  const depthTable = new Float64Array((DEPTH_TABLE_POINTS + 1) * J);
  for (let i = 0; i <= DEPTH_TABLE_POINTS; i++) {
    basisDepthWeights(i * DEPTH_TABLE_STEP_MM, machine.muPerMm, machine.betasPerMm, machine.coefficients, e);
    depthTable.set(e, i * J);
  }
  const layout: SamplingLayout = { offU, offV, canvasU, f0, fStep, nLevels, J, gyPerMu: machine.gyPerMuPerUnit, depthTable };
  const prepared = tmp.map((t, bi) => ({ frame: t.frame, region: t.region, ...samplingData(machine, t.cu, t.cv, t.f, t.depth, layout, pool, `beam ${bi}`), depthMm: t.depth }));
  return {
    machine, pixelMm: h, nPoints: n, nBasis: J, fLevels, slotBase, slotLevels, canvasU, canvasV, offU, offV, plan,
    specRe, specIm, beams: prepared,
    re: new Float64Array(LU * LV), im: new Float64Array(LU * LV),
    accRe: new Float64Array(LU * LV), accIm: new Float64Array(LU * LV),
    planes: new Float32Array(specRe.length * canvasU * canvasV),
  };
}

/** How beamPoints computes the depths: a Siddon ray per point (no `iso`), or the iso-plane
 * coordinates (mm; `tableFrame`'s axes when given, else the beam's) and axis distance (NaN: skip) of
 * every point for a depth table. Points behind the source get depth 0. */
interface DepthWork {
  readonly depth: Float32Array;
  readonly tracer: RayTracer;
  readonly iso: { readonly u: Float64Array; readonly v: Float64Array; readonly l: Float64Array } | undefined;
  readonly tableFrame: BeamFrame | undefined;
}

/** Per point of one beam: iso-plane position in fluence pixels (cu, cv; NaN f: behind the source), f
 * = axis distance / SAD and the extent of the positions; with `work`, what its depths need. */
function beamPoints(
  frame: BeamFrame,
  region: FluenceRegion,
  pointsLps: Float64Array,
  h: number,
  sadMm: number,
  pool: ScratchPool | undefined,
  key: string,
  work: DepthWork | undefined,
): { cu: Float64Array; cv: Float64Array; f: Float64Array; umin: number; umax: number; vmin: number; vmax: number } {
  const n = pointsLps.length / 3;
  const cu = scratchArray(pool, `${key}.cu`, Float64Array, n);
  const cv = scratchArray(pool, `${key}.cv`, Float64Array, n);
  const f = scratchArray(pool, `${key}.f`, Float64Array, n);
  const u0 = region.u0Mm, v0 = region.v0Mm;
  let umin = 0, umax = region.nu - 1, vmin = 0, vmax = region.nv - 1;
  const s = frame.sourceLps;
  const ix = frame.isocenterLps[0], iy = frame.isocenterLps[1], iz = frame.isocenterLps[2];
  const xb0 = frame.xb[0], xb1 = frame.xb[1], xb2 = frame.xb[2];
  const yb0 = frame.yb[0], yb1 = frame.yb[1], yb2 = frame.yb[2];
  const zb0 = frame.zb[0], zb1 = frame.zb[1], zb2 = frame.zb[2];
  const sad = frame.sadMm;
  const depth = work?.depth, tracer = work?.tracer;
  const isoU = work?.iso?.u, isoV = work?.iso?.v, isoL = work?.iso?.l;
  const tf = work?.tableFrame;
  const tx0 = tf?.xb[0] ?? 0, tx1 = tf?.xb[1] ?? 0, tx2 = tf?.xb[2] ?? 0;
  const ty0 = tf?.yb[0] ?? 0, ty1 = tf?.yb[1] ?? 0, ty2 = tf?.yb[2] ?? 0;
  for (let p = 0; p < n; p++) {
    const x = pointsLps[3 * p]!, y = pointsLps[3 * p + 1]!, z = pointsLps[3 * p + 2]!;
    // beamCoordinates (beam-geometry.ts), inline
    const dx = x - ix, dy = y - iy, dz = z - iz;
    const l = sad - (dx * zb0 + dy * zb1 + dz * zb2);
    if (!(l > 1)) {
      // behind the source: no dose (a pooled array is cleared where a fresh one would be 0)
      f[p] = NaN;
      cu[p] = 0;
      cv[p] = 0;
      if (depth !== undefined) depth[p] = 0;
      if (isoL !== undefined) isoL[p] = NaN;
      continue;
    }
    const sc = sad / l;
    const a = ((dx * xb0 + dy * xb1 + dz * xb2) * sc - u0) / h;
    const c = ((dx * yb0 + dy * yb1 + dz * yb2) * sc - v0) / h;
    cu[p] = a;
    cv[p] = c;
    const fp = l / sadMm;
    f[p] = fp;
    if (a < umin) umin = a;
    if (a > umax) umax = a;
    if (c < vmin) vmin = c;
    if (c > vmax) vmax = c;
    if (isoU !== undefined) {
      if (tf === undefined) {
        isoU[p] = a * h + u0;
        isoV![p] = c * h + v0;
      } else {
        isoU[p] = (dx * tx0 + dy * tx1 + dz * tx2) * sc;
        isoV![p] = (dx * ty0 + dy * ty1 + dz * ty2) * sc;
      }
      isoL![p] = fp * sadMm;
    } else if (depth !== undefined) {
      depth[p] = radiologicalPath(tracer!, s[0], s[1], s[2], x, y, z);
    }
  }
  return { cu, cv, f, umin, umax, vmin, vmax };
}

/** What the per-point sampling data of every beam of one preparation share. */
interface SamplingLayout {
  readonly offU: number;
  readonly offV: number;
  readonly canvasU: number;
  readonly f0: number;
  readonly fStep: number;
  readonly nLevels: number;
  readonly J: number;
  readonly gyPerMu: number;
  /** E_j(z) every DEPTH_TABLE_STEP_MM, J per depth. */
  readonly depthTable: Float64Array;
}

/** Per point of one beam: canvas cell and bilinear weights, f level and weight, depth coefficients. */
function samplingData(
  machine: PhotonMachine,
  cu: Float64Array,
  cv: Float64Array,
  fs: Float64Array,
  depth: Float32Array,
  L: SamplingLayout,
  pool: ScratchPool | undefined,
  key: string,
): Omit<PreparedBeam, 'frame' | 'region' | 'depthMm'> {
  const n = fs.length;
  const { offU, offV, canvasU, f0, fStep, nLevels, J, gyPerMu, depthTable } = L;
  const base = scratchArray(pool, `${key}.base`, Int32Array, n);
  const fu = scratchArray(pool, `${key}.fu`, Float32Array, n);
  const fv = scratchArray(pool, `${key}.fv`, Float32Array, n);
  const level = scratchArray(pool, `${key}.level`, Uint8Array, n);
  const wf = scratchArray(pool, `${key}.wf`, Float32Array, n);
  const coef = scratchArray(pool, `${key}.coef`, Float32Array, n * J);
  const e = new Float64Array(J);
  for (let p = 0; p < n; p++) {
    const f = fs[p]!;
    if (f !== f) {
      // behind the source: no dose (coef 0 is skipped by the gather)
      base[p] = 0;
      fu[p] = 0;
      fv[p] = 0;
      level[p] = 0;
      wf[p] = 0;
      for (let j = 0; j < J; j++) coef[p * J + j] = 0;
      continue;
    }
    const a = cu[p]! + offU;
    const c = cv[p]! + offV;
    const ia = Math.floor(a);
    const ic = Math.floor(c);
    base[p] = ia + canvasU * ic;
    fu[p] = a - ia;
    fv[p] = c - ic;
    let x = (f - f0) / fStep;
    let l = Math.floor(x);
    if (l > nLevels - 2) l = nLevels - 2;
    if (l < 0) l = 0;
    x -= l;
    level[p] = l;
    wf[p] = x;
    const s = gyPerMu / (f * f);
    const z = depth[p]! / DEPTH_TABLE_STEP_MM;
    if (z < DEPTH_TABLE_POINTS) {
      // E_j(z) from the table (linear; relative error < 1e-4)
      const iz = Math.floor(z), wz = z - iz;
      const o0 = iz * J, o1 = o0 + J;
      for (let j = 0; j < J; j++) coef[p * J + j] = ((1 - wz) * depthTable[o0 + j]! + wz * depthTable[o1 + j]!) * s;
    } else {
      basisDepthWeights(depth[p]!, machine.muPerMm, machine.betasPerMm, machine.coefficients, e);
      for (let j = 0; j < J; j++) coef[p * J + j] = e[j]! * s;
    }
  }
  return { base, fu, fv, level, wf, coef };
}

/** Adds beam `beamIndex`'s dose (Gy) from `fluence` (region nu x nv, u fastest) to `out` (length N). */
export function addBeamDose(prep: PreparedDose, beamIndex: number, fluence: Float64Array | Float32Array, out: Float64Array | Float32Array): void {
  const b = prep.beams[beamIndex]!;
  const { re, im, plan, canvasU, canvasV, offU, offV, planes } = prep;
  const LU = plan.nu;
  const { nu, nv } = b.region;
  if (fluence.length !== nu * nv) throw new InputError(`beam ${beamIndex + 1}: fluence needs ${nu * nv} values, found ${fluence.length}`);
  re.fill(0);
  im.fill(0);
  for (let c = 0; c < nv; c++) {
    const row = LU * (offV + c) + offU;
    for (let a = 0; a < nu; a++) re[row + a] = fluence[a + nu * c]!;
  }
  fft2(plan, re, im, false, offV, offV + nv);
  const Fre = prep.accRe, Fim = prep.accIm;
  Fre.set(re);
  Fim.set(im);
  const slots = prep.specRe.length;
  const area = canvasU * canvasV;
  for (let s = 0; s < slots; s += 2) {
    const s1re = prep.specRe[s]!, s1im = prep.specIm[s]!;
    const has2 = s + 1 < slots;
    const s2re = has2 ? prep.specRe[s + 1]! : s1re, s2im = has2 ? prep.specIm[s + 1]! : s1im;
    for (let q = 0; q < re.length; q++) {
      const fr = Fre[q]!, fi = Fim[q]!;
      const ar = fr * s1re[q]! - fi * s1im[q]!;
      const ai = fr * s1im[q]! + fi * s1re[q]!;
      if (has2) {
        const br = fr * s2re[q]! - fi * s2im[q]!;
        const bi = fr * s2im[q]! + fi * s2re[q]!;
        re[q] = ar - bi;
        im[q] = ai + br;
      } else {
        re[q] = ar;
        im[q] = ai;
      }
    }
    fft2(plan, re, im, true, 0, canvasV);
    const o1 = s * area;
    const o2 = (s + 1) * area;
    for (let c = 0; c < canvasV; c++) {
      for (let a = 0; a < canvasU; a++) {
        planes[o1 + a + canvasU * c] = re[a + LU * c]!;
        if (has2) planes[o2 + a + canvasU * c] = im[a + LU * c]!;
      }
    }
  }
  gather(prep, b, out);
}

function gather(prep: PreparedDose, b: PreparedBeam, out: Float64Array | Float32Array): void {
  const J = prep.nBasis;
  const W = prep.canvasU;
  const area = prep.canvasU * prep.canvasV;
  const planes = prep.planes;
  const base = prep.slotBase, lev = prep.slotLevels;
  for (let p = 0; p < prep.nPoints; p++) {
    const q = b.base[p]!;
    const u = b.fu[p]!, v = b.fv[p]!, w = b.wf[p]!;
    const w00 = (1 - u) * (1 - v), w10 = u * (1 - v), w01 = (1 - u) * v, w11 = u * v;
    const l = b.level[p]!;
    let d = 0;
    for (let j = 0; j < J; j++) {
      const c = b.coef[p * J + j]!;
      if (c === 0) continue;
      if (lev[j] === 1) {
        const o = base[j]! * area + q;
        d += c * (w00 * planes[o]! + w10 * planes[o + 1]! + w01 * planes[o + W]! + w11 * planes[o + W + 1]!);
        continue;
      }
      const o = (base[j]! + l) * area + q;
      const lo = w00 * planes[o]! + w10 * planes[o + 1]! + w01 * planes[o + W]! + w11 * planes[o + W + 1]!;
      const o2 = o + area;
      const hi = w00 * planes[o2]! + w10 * planes[o2 + 1]! + w01 * planes[o2 + W]! + w11 * planes[o2 + W + 1]!;
      d += c * ((1 - w) * lo + w * hi);
    }
    out[p] = out[p]! + d;
  }
}

/**
 * Adjoint of addBeamDose: adds D_b^T g (the gradient with respect to the beam's fluence pixels) to
 * `outFluence` (region nu x nv).
 */
export function addBeamAdjoint(prep: PreparedDose, beamIndex: number, g: Float64Array | Float32Array, outFluence: Float64Array): void {
  const b = prep.beams[beamIndex]!;
  const { re, im, plan, canvasU, canvasV, offU, offV, planes, accRe, accIm } = prep;
  const LU = plan.nu, LV = plan.nv;
  const J = prep.nBasis;
  const area = canvasU * canvasV;
  const W = canvasU;
  const base = prep.slotBase, lev = prep.slotLevels;
  if (g.length !== prep.nPoints) throw new InputError(`gradient needs ${prep.nPoints} values, found ${g.length}`);
  planes.fill(0);
  for (let p = 0; p < prep.nPoints; p++) {
    const gp = g[p]!;
    if (gp === 0) continue;
    const q = b.base[p]!;
    const u = b.fu[p]!, v = b.fv[p]!, w = b.wf[p]!;
    const w00 = (1 - u) * (1 - v), w10 = u * (1 - v), w01 = (1 - u) * v, w11 = u * v;
    const l = b.level[p]!;
    for (let j = 0; j < J; j++) {
      const c = b.coef[p * J + j]! * gp;
      if (c === 0) continue;
      if (lev[j] === 1) {
        const o = base[j]! * area + q;
        planes[o] = planes[o]! + c * w00;
        planes[o + 1] = planes[o + 1]! + c * w10;
        planes[o + W] = planes[o + W]! + c * w01;
        planes[o + W + 1] = planes[o + W + 1]! + c * w11;
        continue;
      }
      const o = (base[j]! + l) * area + q;
      const a = c * (1 - w);
      planes[o] = planes[o]! + a * w00;
      planes[o + 1] = planes[o + 1]! + a * w10;
      planes[o + W] = planes[o + W]! + a * w01;
      planes[o + W + 1] = planes[o + W + 1]! + a * w11;
      const o2 = o + area;
      const z = c * w;
      planes[o2] = planes[o2]! + z * w00;
      planes[o2 + 1] = planes[o2 + 1]! + z * w10;
      planes[o2 + W] = planes[o2 + W]! + z * w01;
      planes[o2 + W + 1] = planes[o2 + W + 1]! + z * w11;
    }
  }
  accRe.fill(0);
  accIm.fill(0);
  const slots = prep.specRe.length;
  for (let s = 0; s < slots; s += 2) {
    const has2 = s + 1 < slots;
    re.fill(0);
    im.fill(0);
    const o1 = s * area, o2 = (s + 1) * area;
    for (let c = 0; c < canvasV; c++) {
      for (let a = 0; a < canvasU; a++) {
        re[a + LU * c] = planes[o1 + a + canvasU * c]!;
        if (has2) im[a + LU * c] = planes[o2 + a + canvasU * c]!;
      }
    }
    fft2(plan, re, im, false, 0, canvasV);
    const s1re = prep.specRe[s]!, s1im = prep.specIm[s]!;
    const s2re = has2 ? prep.specRe[s + 1]! : s1re, s2im = has2 ? prep.specIm[s + 1]! : s1im;
    for (let kv = 0; kv < LV; kv++) {
      const kv2 = kv === 0 ? 0 : LV - kv;
      for (let ku = 0; ku < LU; ku++) {
        const k = ku + LU * kv;
        const k2 = (ku === 0 ? 0 : LU - ku) + LU * kv2;
        const zr = re[k]!, zi = im[k]!, zr2 = re[k2]!, zi2 = im[k2]!;
        let x1r: number, x1i: number, x2r = 0, x2i = 0;
        if (has2) {
          x1r = 0.5 * (zr + zr2);
          x1i = 0.5 * (zi - zi2);
          x2r = 0.5 * (zi + zi2);
          x2i = -0.5 * (zr - zr2);
        } else {
          x1r = zr;
          x1i = zi;
        }
        let ar = s1re[k]! * x1r + s1im[k]! * x1i;
        let ai = s1re[k]! * x1i - s1im[k]! * x1r;
        if (has2) {
          ar += s2re[k]! * x2r + s2im[k]! * x2i;
          ai += s2re[k]! * x2i - s2im[k]! * x2r;
        }
        accRe[k] = accRe[k]! + ar;
        accIm[k] = accIm[k]! + ai;
      }
    }
  }
  re.set(accRe);
  im.set(accIm);
  const { nu, nv } = b.region;
  fft2(plan, re, im, true, offV, offV + nv);
  for (let c = 0; c < nv; c++) {
    const row = LU * (offV + c) + offU;
    for (let a = 0; a < nu; a++) outFluence[a + nu * c] = outFluence[a + nu * c]! + re[row + a]!;
  }
}

/** Water-equivalent depth (mm) of every point for one beam (from the ray trace). */
export const beamDepthsMm = (prep: PreparedDose, beamIndex: number): Float32Array => prep.beams[beamIndex]!.depthMm;

/** A copy of a typed array backed by a SharedArrayBuffer (shared, not copied, when posted to a worker). */
export function sharedCopy<T extends Float64Array | Float32Array | Int32Array | Uint8Array>(a: T): T {
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/**
 * The same prepared dose with its read-only data (per-beam sampling data, depths, kernel spectra) in
 * shared memory: posting it to a worker shares those arrays and copies only the small scratch buffers,
 * so every thread gets its own scratch.
 */
export function sharePreparedDose(prep: PreparedDose): PreparedDose {
  return {
    ...prep,
    specRe: prep.specRe.map(sharedCopy),
    specIm: prep.specIm.map(sharedCopy),
    beams: prep.beams.map((b) => ({
      ...b,
      base: sharedCopy(b.base), fu: sharedCopy(b.fu), fv: sharedCopy(b.fv), level: sharedCopy(b.level),
      wf: sharedCopy(b.wf), coef: sharedCopy(b.coef), depthMm: sharedCopy(b.depthMm),
    })),
  };
}
