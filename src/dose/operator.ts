/**
 * Beamlet dose operator for fluence optimisation, matrix-free.
 *
 * Inputs: a relative-electron-density volume, the optimisation points (LPS, mm; e.g. voxel centres of
 * the target and organs), target points (LPS) that define the beamlets, and beam geometries. Each beam
 * gets a beam's-eye-view grid of square beamlets (side `beamletMm`, default 5 mm, edges on multiples of
 * the side at the isocentre plane); a beamlet is active when it lies within `marginMm` of the
 * projection of any target point. Beamlet weight 1 = the fluence of 1 MU of an open field, times the
 * off-axis primary fluence psi(r) of each fluence pixel.
 *
 * forward(w, out): out = D w (Gy at the points); adjoint(g, out): out = D^T g. Both run the
 * pencil-beam convolution engine (src/dose/pencil-beam.ts) beam by beam, with the full scatter tail;
 * D is never stored. The adjoint is the exact transpose of the discrete forward.
 *
 * Threads (`threads`, default 1): with T > 1 the operator keeps T - 1 worker threads (beam-threads.ts)
 * over the prepared data in shared memory and splits the beams among them and the calling thread;
 * forward/adjoint stay synchronous. Results equal the one-thread path to rounding (the forward sums
 * beams in a different order). Call close() to end the workers (they never keep the process alive).
 */

import { InputError, PlanError, fmt } from '../core/errors.js';
import { beamCoordinates, beamFrame, type BeamGeometry } from './beam-geometry.js';
import { primaryFluenceAt, type PhotonMachine } from './machine.js';
import { startBeamThreads, CMD_ADJOINT, CMD_FORWARD } from './beam-threads.js';
import { beamletAdjoint, beamletForward, type BeamLayout } from './beamlet-work.js';
import { preparePencilBeam, sharePreparedDose, type FluenceRegion, type PreparedDose } from './pencil-beam.js';
import type { ScalarVolume } from '../geometry/volume.js';
import type { BevDepthOptions } from './bev-depth.js';

export interface OperatorBeam {
  readonly geometry: BeamGeometry;
  readonly name?: string;
}

export interface BeamletOperatorOptions {
  /** Beamlet side at the isocentre plane, mm (default 5). */
  readonly beamletMm?: number;
  /** Margin around the target projection, mm (default 5). */
  readonly marginMm?: number;
  /** Fluence pixel side, mm; must divide beamletMm (default beamletMm / 2). */
  readonly pixelMm?: number;
  /** Step of the geometric scale levels (default 0.1). */
  readonly fStep?: number;
  /** Threads for forward/adjoint, the calling thread included (default 1: no workers). */
  readonly threads?: number;
  /** Explicit beamlet maps, one per beam (e.g. read back from a saved plan); default: the beamlets
   * within marginMm of the target's projection (beamletMapsForTarget). */
  readonly beamletMaps?: readonly BeamletMap[];
  /** Radiological depths from beam's-eye-view depth tables (bev-depth.ts) instead of one Siddon ray
   * per point: for large point sets such as a whole dose grid. */
  readonly bevDepth?: BevDepthOptions;
}

export interface BeamBeamlets {
  readonly name: string;
  /** Index of the beam's first beamlet in the weight vector. */
  readonly first: number;
  readonly count: number;
  /** Beamlet centres (iso plane, collimator frame, mm). */
  readonly uMm: Float64Array;
  readonly vMm: Float64Array;
  /** The beam's beamlet map (beamlet centres at ((a + 0.5) beamletMm, (c + 0.5) beamletMm)). */
  readonly map: BeamletMap;
}

export interface BeamletOperator {
  readonly nBeamlets: number;
  readonly nPoints: number;
  readonly beams: readonly BeamBeamlets[];
  readonly beamletMm: number;
  readonly pixelMm: number;
  readonly prepared: PreparedDose;
  /** Per beam: each fluence pixel's beamlet (or -1) and primary fluence psi. */
  readonly layouts: readonly BeamLayout[];
  /** out = D w (Gy). */
  forward(w: Float64Array, out: Float64Array): void;
  /** out = D^T g. */
  adjoint(g: Float64Array, out: Float64Array): void;
  /** Threads in use, the calling thread included (1 when workers were not asked for or failed to start). */
  readonly threads: number;
  /** Ends the worker threads; forward/adjoint then run on the calling thread. Idempotent. */
  close(): void;
}

type Layout = BeamLayout;

/**
 * One beam's beamlet map: beamlet (a, c) has its centre at ((a + 0.5) * beamletMm, (c + 0.5) * beamletMm)
 * in the collimator frame at the isocentre plane, for a in [i0, i0 + nbu), c in [j0, j0 + nbv); `active`
 * (nbu x nbv, a fastest) marks the beamlets that exist. Beamlets are numbered beam by beam, c-major then a.
 */
export interface BeamletMap {
  readonly i0: number;
  readonly j0: number;
  readonly nbu: number;
  readonly nbv: number;
  readonly active: Uint8Array;
}

/** The beamlets of each beam that lie within marginMm of the projection of any target point. */
export function beamletMapsForTarget(
  targetLps: Float64Array,
  beams: readonly OperatorBeam[],
  beamletMm: number,
  marginMm: number,
): BeamletMap[] {
  if (!(marginMm >= 0)) throw new InputError(`beamlet margin must be >= 0 mm, found ${fmt(marginMm)}`);
  if (targetLps.length < 3 || targetLps.length % 3 !== 0) throw new InputError('the target needs at least one point (x, y, z triples)');
  const bw = beamletMm;
  const bc = new Float64Array(3);
  return beams.map((beam, bi) => {
    const name = beam.name ?? `beam ${bi + 1}`;
    const frame = beamFrame(beam.geometry);
    // beamlet index range touched by the target projection (+ margin)
    const reach = bw / 2 + marginMm;
    let i0 = Infinity, i1 = -Infinity, j0 = Infinity, j1 = -Infinity;
    const nT = targetLps.length / 3;
    const proj = new Float64Array(2 * nT);
    for (let p = 0; p < nT; p++) {
      beamCoordinates(frame, targetLps[3 * p]!, targetLps[3 * p + 1]!, targetLps[3 * p + 2]!, bc);
      if (!(bc[2]! > 0)) throw new PlanError(`${name}: a target point lies behind the source`);
      proj[2 * p] = bc[0]!;
      proj[2 * p + 1] = bc[1]!;
      i0 = Math.min(i0, Math.ceil((bc[0]! - reach) / bw - 0.5));
      i1 = Math.max(i1, Math.floor((bc[0]! + reach) / bw - 0.5));
      j0 = Math.min(j0, Math.ceil((bc[1]! - reach) / bw - 0.5));
      j1 = Math.max(j1, Math.floor((bc[1]! + reach) / bw - 0.5));
    }
    const nbu = i1 - i0 + 1, nbv = j1 - j0 + 1;
    const active = new Uint8Array(nbu * nbv);
    for (let p = 0; p < nT; p++) {
      const u = proj[2 * p]!, v = proj[2 * p + 1]!;
      const a0 = Math.max(i0, Math.ceil((u - reach) / bw - 0.5)), a1 = Math.min(i1, Math.floor((u + reach) / bw - 0.5));
      const c0 = Math.max(j0, Math.ceil((v - reach) / bw - 0.5)), c1 = Math.min(j1, Math.floor((v + reach) / bw - 0.5));
      for (let c = c0; c <= c1; c++) {
        for (let a = a0; a <= a1; a++) {
          // strict: a beamlet whose edge only touches the reach is not active
          if (Math.abs((a + 0.5) * bw - u) < reach && Math.abs((c + 0.5) * bw - v) < reach) active[a - i0 + nbu * (c - j0)] = 1;
        }
      }
    }
    return { i0, j0, nbu, nbv, active };
  });
}

export function createBeamletOperator(
  machine: PhotonMachine,
  density: ScalarVolume,
  pointsLps: Float64Array,
  targetLps: Float64Array,
  beams: readonly OperatorBeam[],
  options: BeamletOperatorOptions = {},
): BeamletOperator {
  const bw = options.beamletMm ?? 5;
  const margin = options.marginMm ?? 5;
  const h = options.pixelMm ?? bw / 2;
  const sub = Math.round(bw / h);
  if (!(bw > 0) || !(h > 0) || Math.abs(sub * h - bw) > 1e-9 * bw) {
    throw new InputError(`beamlet side ${fmt(bw)} mm must be a positive multiple of the pixel side ${fmt(h)} mm`);
  }
  const maps = options.beamletMaps ?? beamletMapsForTarget(targetLps, beams, bw, margin);
  if (maps.length !== beams.length) throw new InputError(`expected one beamlet map per beam (${beams.length}), found ${maps.length}`);
  const layouts: Layout[] = [];
  const infos: BeamBeamlets[] = [];
  let total = 0;
  beams.forEach((beam, bi) => {
    const name = beam.name ?? `beam ${bi + 1}`;
    const { i0, j0, nbu, nbv, active } = maps[bi]!;
    if (!(nbu >= 1 && nbv >= 1) || active.length !== nbu * nbv) {
      throw new InputError(`${name}: beamlet map of ${nbu} x ${nbv} beamlets needs ${Math.max(0, nbu * nbv)} flags, found ${active.length}`);
    }
    const ids = new Int32Array(nbu * nbv).fill(-1);
    const us: number[] = [], vs: number[] = [];
    for (let c = 0; c < nbv; c++) {
      for (let a = 0; a < nbu; a++) {
        if (!active[a + nbu * c]) continue;
        ids[a + nbu * c] = total + us.length;
        us.push((a + i0 + 0.5) * bw);
        vs.push((c + j0 + 0.5) * bw);
      }
    }
    const region: FluenceRegion = { u0Mm: i0 * bw + h / 2, v0Mm: j0 * bw + h / 2, nu: nbu * sub, nv: nbv * sub };
    const pixelBeamlet = new Int32Array(region.nu * region.nv);
    const pixelPsi = new Float64Array(region.nu * region.nv);
    for (let b = 0; b < region.nv; b++) {
      for (let a = 0; a < region.nu; a++) {
        const q = a + region.nu * b;
        pixelBeamlet[q] = ids[Math.floor(a / sub) + nbu * Math.floor(b / sub)]!;
        pixelPsi[q] = primaryFluenceAt(machine, Math.hypot(region.u0Mm + a * h, region.v0Mm + b * h));
      }
    }
    layouts.push({ region, pixelBeamlet, pixelPsi });
    infos.push({ name, first: total, count: us.length, uMm: Float64Array.from(us), vMm: Float64Array.from(vs), map: maps[bi]! });
    total += us.length;
  });
  const threadsAsked = Math.max(1, Math.floor(options.threads ?? 1));
  const prepared0 = preparePencilBeam(
    machine,
    density,
    pointsLps,
    beams.map((b, i) => ({ geometry: b.geometry, region: layouts[i]!.region, name: infos[i]!.name })),
    {
      pixelMm: h,
      ...(options.fStep !== undefined ? { fStep: options.fStep } : {}),
      ...(options.bevDepth !== undefined ? { bevDepth: options.bevDepth } : {}),
    },
  );
  const useThreads = threadsAsked > 1 && beams.length > 1;
  const prepared = useThreads ? sharePreparedDose(prepared0) : prepared0;
  let pool = useThreads ? startBeamThreads(threadsAsked, prepared, layouts, total) : undefined;
  const maxPixels = Math.max(...layouts.map((l) => l.pixelBeamlet.length));
  const fluence = new Float64Array(maxPixels);
  /** Waits for the workers; a failed worker ends the pool (later calls run on this thread). */
  const finish = (seq: number, out?: Float64Array): void => {
    try {
      pool!.finish(seq, out);
    } catch (e) {
      pool = undefined;
      throw e;
    }
  };
  return {
    nBeamlets: total,
    nPoints: prepared.nPoints,
    beams: infos,
    beamletMm: bw,
    pixelMm: h,
    prepared,
    layouts,
    get threads(): number {
      return pool?.threads ?? 1;
    },
    close(): void {
      pool?.close();
      pool = undefined;
    },
    forward(w: Float64Array, out: Float64Array): void {
      if (w.length !== total) throw new InputError(`forward: expected ${total} beamlet weights, found ${w.length}`);
      if (out.length !== prepared.nPoints) throw new InputError(`forward: expected ${prepared.nPoints} outputs, found ${out.length}`);
      out.fill(0);
      if (pool === undefined) {
        layouts.forEach((l, bi) => beamletForward(prepared, l, bi, w, out, fluence));
        return;
      }
      pool.w.set(w);
      const seq = pool.start(CMD_FORWARD);
      for (let bi = 0; bi < layouts.length; bi += pool.threads) beamletForward(prepared, layouts[bi]!, bi, w, out, fluence);
      finish(seq, out);
    },
    adjoint(g: Float64Array, out: Float64Array): void {
      if (g.length !== prepared.nPoints) throw new InputError(`adjoint: expected ${prepared.nPoints} values, found ${g.length}`);
      if (out.length !== total) throw new InputError(`adjoint: expected ${total} outputs, found ${out.length}`);
      out.fill(0);
      if (pool === undefined) {
        layouts.forEach((l, bi) => beamletAdjoint(prepared, l, bi, g, out, fluence));
        return;
      }
      pool.g.set(g);
      pool.outAdjoint.fill(0);
      const seq = pool.start(CMD_ADJOINT);
      for (let bi = 0; bi < layouts.length; bi += pool.threads) beamletAdjoint(prepared, layouts[bi]!, bi, g, out, fluence);
      finish(seq);
      const o = pool.outAdjoint;
      for (let j = 0; j < total; j++) out[j] = out[j]! + o[j]!;
    },
  };
}
