/**
 * Vertex placement: the translation (and optionally the rotation about the cranio-caudal axis) of
 * a lattice pattern that puts the most spheres in the target.
 *
 * Classification of one candidate centre p (all from fields.ts, sub-voxel):
 * - intact: its depth inside the target, -sd(p), is at least radius + inset (the whole sphere lies
 *   in the target shrunk by the inset);
 * - partial: otherwise, when partial spheres are allowed and at least partialMin of the sphere lies
 *   in the target shrunk by the inset;
 * - removed: neither (below the partial threshold), or it passes that test but its clearance to the
 *   organs at risk is below oarClearanceMm (clearance = organ-surface distance of the centre, minus
 *   the radius when measured from the sphere surface).
 * A candidate is considered when its sphere can touch the target (sd(p) < radius).
 *
 * Search: the pattern's translations, modulo its lattice, form the fundamental cell
 * {u b1 + v b2 + w b3}; the search takes every offset of a refined lattice of that cell (steps of at
 * most offsetStepMm along x, y and z: 1 mm steps for the seed pattern), at each rotation asked for.
 * Every position of the refined lattice (pivot + I e1 + J e2 + K e3, e = b / n) belongs to exactly
 * one offset (I mod n1, J mod n2, K mod n3), so one pass over the positions in the target's box
 * classifies every candidate of every layout once and sums them per offset: an exhaustive scan at
 * the cost of classifying each position once. Objective, lexicographic: most intact, most partial,
 * largest smallest organ distance (from the centres), smallest distance between the kept vertices'
 * mean centre and the target's centroid; then the first angle and offset (deterministic).
 *
 * The pivot (offset zero) is the target's centroid, so the baseline (one grid anchored at the
 * centroid, no search) is the layout at offset (0, 0, 0), angle 0.
 * References: WashU grid shift (physics reference §4, [WASHU-RULES]); the rule-based TPS script
 * of Tucker et al. (maximum count with no violations).
 */

import { GeometryError, InputError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import { patientAxisOfIndexAxes } from '../geometry/grid.js';
import type { MaskStructure } from '../geometry/structure.js';
import { maskCentroidLps } from '../geometry/volume.js';
import { buildPlacementFields, FAR_MM, nearestOarNames, trilinear, type PlacementFields } from './fields.js';
import { resolvePlacementParams, type PlacementParams, type ResolvedParams } from './params.js';

export const STATUS_NOT_CONSIDERED = 0;
export const STATUS_INTACT = 1;
export const STATUS_PARTIAL = 2;
export const STATUS_BELOW_PARTIAL = 3;
export const STATUS_OAR = 4;

export type CandidateStatus = 'intact' | 'partial' | 'below-partial-threshold' | 'oar-clearance';

/** Everything the search and the evaluation of one layout need. */
export interface PlacementContext {
  readonly params: ResolvedParams;
  readonly fields: PlacementFields;
  readonly targetName: string;
  readonly oars: readonly MaskStructure[];
  /** Target centroid (LPS, mm). */
  readonly centroidLps: Vec3;
  /** Pattern origin for offset zero: the centroid, moved onto a CT slice when snapping. */
  readonly pivotLps: Vec3;
  /** Refinement of each cell vector: offsets are (i/n1) b1 + (j/n2) b2 + (k/n3) b3. */
  readonly steps: readonly [number, number, number];
  /** The candidate classifier (makeClassifier). */
  readonly classify: Classifier;
}

export interface LayoutKey {
  readonly angleDeg: number;
  /** Offset index (i, j, k), 0 <= i < n1 etc. */
  readonly offset: readonly [number, number, number];
}

export interface Candidate {
  readonly centreLps: [number, number, number];
  readonly status: CandidateStatus;
  /** Centre depth inside the target surface, mm (negative outside). */
  readonly depthMm: number;
  /** Fraction of the sphere inside the target shrunk by the inset (1 for a sphere that passes the depth test). */
  readonly fractionInside: number;
  /** Distance from the centre to the nearest organ surface, mm (negative inside an organ); undefined beyond reach or without organs. */
  readonly oarDistanceFromCentreMm: number | undefined;
  /** Organs holding the nearest organ voxel (usually one). */
  readonly nearestOars: readonly string[];
}

export interface LayoutScore {
  readonly intact: number;
  readonly partial: number;
  /** Smallest organ distance of the kept vertices, from their centres, mm (Infinity without organs). */
  readonly minOarDistanceMm: number;
  /** Distance between the kept vertices' mean centre and the target centroid, mm. */
  readonly centreOffsetMm: number;
}

export interface Layout {
  readonly key: LayoutKey;
  readonly score: LayoutScore;
  /** Every candidate considered (sphere touching the target), kept or removed. */
  readonly candidates: readonly Candidate[];
}

export interface PlacementResult {
  readonly context: PlacementContext;
  readonly best: Layout;
  readonly baseline: Layout;
  /** Layouts scanned (offsets x angles). */
  readonly layoutsSearched: number;
  readonly seconds: number;
}

/** Build the context: validate parameters, build fields, choose the pivot and the refinement. */
export function createPlacementContext(
  target: MaskStructure,
  oars: readonly MaskStructure[],
  input: Partial<PlacementParams> = {},
): PlacementContext {
  const params = resolvePlacementParams(input);
  const fields = buildPlacementFields(target, oars, {
    radiusMm: params.radiusMm,
    insetMm: params.insetMm,
    oarClearanceMm: params.oarClearanceMm,
  });
  const centroid = maskCentroidLps(target.mask);
  if (centroid === undefined) throw new GeometryError('vertex placement: expected a non-empty target, found no voxels', { structure: target.name });
  const [b1, b2, b3] = params.cell.basisMm;
  const step = params.offsetStepMm;
  const along = (b: Vec3): number => Math.max(1, Math.ceil(Math.max(Math.abs(b[0]), Math.abs(b[1]), Math.abs(b[2])) / step - 1e-9));
  const steps: [number, number, number] = [along(b1), along(b2), along(b3)];
  const pivot: [number, number, number] = [centroid[0], centroid[1], centroid[2]];
  if (params.snapToSlices) {
    const grid = target.mask.grid;
    const axes = patientAxisOfIndexAxes(grid);
    if (axes === undefined || axes[2]!.axis !== 2) {
      throw new InputError('snapping vertex planes to CT slices needs axial slices (the grid\'s slice axis along the cranio-caudal axis)');
    }
    const dz = grid.spacingMm[2];
    const ratio = b3[2] / dz;
    const multiples = [b3[2], ...params.cell.motifMm.map((m) => m[2])];
    for (const z of multiples) {
      if (Math.abs(z / dz - Math.round(z / dz)) > 1e-3) {
        throw new InputError(
          `snapping vertex planes to CT slices: the pattern's plane spacing ${fmt(params.patternPlaneSpacingMm)} mm is not a multiple of the ${fmt(dz)} mm slice spacing`,
        );
      }
    }
    steps[2] = Math.round(ratio);
    // Pivot z on the slice nearest the centroid.
    const z0 = grid.originMm[2];
    const sign = axes[2]!.sign;
    const kz = Math.round(((centroid[2] - z0) * sign) / dz);
    pivot[2] = z0 + sign * kz * dz;
  }
  return {
    params,
    fields,
    targetName: target.name,
    oars,
    centroidLps: [centroid[0], centroid[1], centroid[2]],
    pivotLps: pivot,
    steps,
    classify: makeClassifier(params, fields),
  };
}

// ---- classification -------------------------------------------------------------------------

/** A candidate classifier bound to one context (constants in locals; allocates nothing per call). */
export type Classifier = (x: number, y: number, z: number, out: Float64Array, always: boolean) => number;

/**
 * The classifier of a context. classify(x, y, z, out, always) takes a candidate centre (LPS, mm),
 * writes into out: [0] signed distance to the target surface, [1] fraction inside (NaN when not
 * needed, always computed with `always`), [2] organ distance from the centre (FAR_MM without organs
 * or beyond the fields; always computed with `always`), and returns a STATUS_* code.
 */
export function makeClassifier(params: ResolvedParams, f: PlacementFields): Classifier {
  const b = f.lpsToSub;
  const b0 = b[0]!, b1 = b[1]!, b2 = b[2]!, b3 = b[3]!, b4 = b[4]!, b5 = b[5]!, b6 = b[6]!, b7 = b[7]!, b8 = b[8]!, b9 = b[9]!, b10 = b[10]!, b11 = b[11]!;
  const nx = f.sub.size[0], ny = f.sub.size[1], nz = f.sub.size[2];
  const o = f.lpsToOar;
  const o0 = o[0]!, o1 = o[1]!, o2 = o[2]!, o3 = o[3]!, o4 = o[4]!, o5 = o[5]!, o6 = o[6]!, o7 = o[7]!, o8 = o[8]!, o9 = o[9]!, o10 = o[10]!, o11 = o[11]!;
  const mx = f.oarGrid.size[0], my = f.oarGrid.size[1], mz = f.oarGrid.size[2];
  const sd = f.targetSd;
  const frac = f.fraction;
  const oarSd = f.oarSd;
  const r = params.radiusMm;
  const deep = r + params.insetMm;
  const allowPartial = params.allowPartial;
  const partialMin = params.partialMin;
  const fromSurface = params.clearanceFrom === 'surface';
  const clearanceMm = params.oarClearanceMm;
  return (x, y, z, out, always) => {
    const ci = b0 * x + b1 * y + b2 * z + b3;
    const cj = b4 * x + b5 * y + b6 * z + b7;
    const ck = b8 * x + b9 * y + b10 * z + b11;
    const d = trilinear(sd, nx, ny, nz, ci, cj, ck, FAR_MM);
    out[0] = d;
    out[1] = NaN;
    out[2] = FAR_MM;
    if (!(d < r)) return STATUS_NOT_CONSIDERED;
    let status: number;
    if (-d >= deep) {
      status = STATUS_INTACT;
      if (always) out[1] = trilinear(frac, nx, ny, nz, ci, cj, ck, 0);
    } else {
      const fr = trilinear(frac, nx, ny, nz, ci, cj, ck, 0);
      out[1] = fr;
      status = allowPartial && fr >= partialMin ? STATUS_PARTIAL : STATUS_BELOW_PARTIAL;
    }
    if (oarSd !== undefined && (status !== STATUS_BELOW_PARTIAL || always)) {
      const dist = trilinear(
        oarSd, mx, my, mz,
        o0 * x + o1 * y + o2 * z + o3,
        o4 * x + o5 * y + o6 * z + o7,
        o8 * x + o9 * y + o10 * z + o11,
        FAR_MM,
      );
      out[2] = dist;
      if (status !== STATUS_BELOW_PARTIAL && (fromSurface ? dist - r : dist) < clearanceMm) status = STATUS_OAR;
    }
    return status;
  };
}

/** Classify one candidate centre (LPS, mm) in a context; see makeClassifier. */
export function classifyCentre(ctx: PlacementContext, x: number, y: number, z: number, out: Float64Array, always = false): number {
  return ctx.classify(x, y, z, out, always);
}

// ---- enumeration of positions ---------------------------------------------------------------

/** The refined lattice at one angle: pivot, rotated steps e1..e3 and rotated motif (LPS, mm). */
interface AngleFrame {
  readonly e: Float64Array; // 9: e1, e2, e3
  readonly motif: Float64Array; // 3 per motif point
  readonly nMotif: number;
}

function angleFrame(ctx: PlacementContext, angleDeg: number): AngleFrame {
  const a = (angleDeg * Math.PI) / 180;
  // Exact values at multiples of 90 degrees, so that 0/90/180/360 give identical layouts.
  const q = angleDeg / 90;
  const exact = Number.isInteger(q);
  const m4 = exact ? ((q % 4) + 4) % 4 : 0;
  const c = exact ? [1, 0, -1, 0][m4]! : Math.cos(a);
  const s = exact ? [0, 1, 0, -1][m4]! : Math.sin(a);
  const e = new Float64Array(9);
  const cell = ctx.params.cell;
  for (let t = 0; t < 3; t++) {
    const v = cell.basisMm[t]!;
    const n = ctx.steps[t]!;
    e[3 * t] = (c * v[0] - s * v[1]) / n;
    e[3 * t + 1] = (s * v[0] + c * v[1]) / n;
    e[3 * t + 2] = v[2] / n;
  }
  const nMotif = cell.motifMm.length;
  const motif = new Float64Array(3 * nMotif);
  for (let t = 0; t < nMotif; t++) {
    const v = cell.motifMm[t]!;
    motif[3 * t] = c * v[0] - s * v[1];
    motif[3 * t + 1] = s * v[0] + c * v[1];
    motif[3 * t + 2] = v[2];
  }
  return { e, motif, nMotif };
}

/**
 * Call row(m, K, J, iLo, iHi) for every row of refined positions of motif point m that can lie in
 * the region of candidate centres: positions pivot + motif_m + I e1 + J e2 + K e3, iLo <= I <= iHi.
 */
function forEachRow(
  ctx: PlacementContext,
  fr: AngleFrame,
  row: (m: number, K: number, J: number, iLo: number, iHi: number) => void,
): void {
  const lo = ctx.fields.regionMinLps;
  const hi = ctx.fields.regionMaxLps;
  const e = fr.e;
  const e1x = e[0]!, e1y = e[1]!, e2x = e[3]!, e2y = e[4]!, e3x = e[6]!, e3y = e[7]!, e3z = e[8]!;
  const det = e1x * e2y - e1y * e2x;
  for (let m = 0; m < fr.nMotif; m++) {
    const cx = ctx.pivotLps[0] + fr.motif[3 * m]!;
    const cy = ctx.pivotLps[1] + fr.motif[3 * m + 1]!;
    const cz = ctx.pivotLps[2] + fr.motif[3 * m + 2]!;
    const kLo = Math.ceil((lo[2] - cz) / e3z - 1e-9);
    const kHi = Math.floor((hi[2] - cz) / e3z + 1e-9);
    for (let K = kLo; K <= kHi; K++) {
      const bx = cx + K * e3x;
      const by = cy + K * e3y;
      // J range: the box corners in (I, J) coordinates of the plane.
      let jMin = Infinity;
      let jMax = -Infinity;
      for (let corner = 0; corner < 4; corner++) {
        const px = (corner & 1 ? hi[0] : lo[0]) - bx;
        const py = (corner & 2 ? hi[1] : lo[1]) - by;
        const jv = (e1x * py - e1y * px) / det;
        if (jv < jMin) jMin = jv;
        if (jv > jMax) jMax = jv;
      }
      for (let J = Math.ceil(jMin - 1e-9); J <= Math.floor(jMax + 1e-9); J++) {
        const rx = bx + J * e2x;
        const ry = by + J * e2y;
        let iLo = -Infinity;
        let iHi = Infinity;
        if (Math.abs(e1x) > 1e-12) {
          const a1 = (lo[0] - rx) / e1x;
          const a2 = (hi[0] - rx) / e1x;
          iLo = Math.max(iLo, Math.min(a1, a2));
          iHi = Math.min(iHi, Math.max(a1, a2));
        } else if (rx < lo[0] || rx > hi[0]) continue;
        if (Math.abs(e1y) > 1e-12) {
          const a1 = (lo[1] - ry) / e1y;
          const a2 = (hi[1] - ry) / e1y;
          iLo = Math.max(iLo, Math.min(a1, a2));
          iHi = Math.min(iHi, Math.max(a1, a2));
        } else if (ry < lo[1] || ry > hi[1]) continue;
        const a = Math.ceil(iLo - 1e-9);
        const z = Math.floor(iHi + 1e-9);
        if (a <= z) row(m, K, J, a, z);
      }
    }
  }
}

/** Position of refined point (m, I, J, K) into out[0..2]; the one formula search and evaluation share. */
function positionInto(ctx: PlacementContext, fr: AngleFrame, m: number, I: number, J: number, K: number, out: Float64Array): void {
  const e = fr.e;
  const px = ctx.pivotLps[0] + fr.motif[3 * m]!;
  const py = ctx.pivotLps[1] + fr.motif[3 * m + 1]!;
  const pz = ctx.pivotLps[2] + fr.motif[3 * m + 2]!;
  out[0] = px + (I * e[0]! + J * e[3]! + K * e[6]!);
  out[1] = py + (I * e[1]! + J * e[4]! + K * e[7]!);
  out[2] = pz + (I * e[2]! + J * e[5]! + K * e[8]!);
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

// ---- scores ----------------------------------------------------------------------------------

/** Negative when a is better than b, positive when worse, 0 when equal (lexicographic objective). */
export function compareScores(a: LayoutScore, b: LayoutScore): number {
  if (a.intact !== b.intact) return b.intact - a.intact;
  if (a.partial !== b.partial) return b.partial - a.partial;
  if (a.minOarDistanceMm !== b.minOarDistanceMm) return a.minOarDistanceMm > b.minOarDistanceMm ? -1 : 1;
  if (a.centreOffsetMm !== b.centreOffsetMm) return a.centreOffsetMm < b.centreOffsetMm ? -1 : 1;
  return 0;
}

// ---- search ----------------------------------------------------------------------------------

/** How far a search has come: reported once per rotation searched (SearchOptions.onProgress). */
export interface SearchProgress {
  /** Rotations searched so far (1 .. rotations), each with every offset. */
  readonly rotationsDone: number;
  /** Rotations the search takes (ctx.params.rotationsDeg). */
  readonly rotations: number;
  /** The best layout so far and its score. */
  readonly bestKey: LayoutKey;
  readonly bestScore: LayoutScore;
}

export interface SearchOptions {
  /** Called after each rotation's offsets are scored, in the search's order. */
  readonly onProgress?: (p: SearchProgress) => void;
}

/** Scan every offset at every angle; returns the best layout key and its score. */
export function searchLayouts(
  ctx: PlacementContext,
  options: SearchOptions = {},
): { key: LayoutKey; score: LayoutScore; layoutsSearched: number } {
  const [n1, n2, n3] = ctx.steps;
  const n = n1 * n2 * n3;
  const intact = new Int32Array(n);
  const partial = new Int32Array(n);
  const minOar = new Float64Array(n);
  const sum = new Float64Array(3 * n);
  const out = new Float64Array(3);
  const cen = ctx.centroidLps;
  let bestKey: LayoutKey | undefined;
  let bestScore: LayoutScore | undefined;
  const rotations = ctx.params.rotationsDeg.length;
  let rotationsDone = 0;
  for (const angleDeg of ctx.params.rotationsDeg) {
    intact.fill(0);
    partial.fill(0);
    minOar.fill(Infinity);
    sum.fill(0);
    const fr = angleFrame(ctx, angleDeg);
    const e = fr.e;
    const e0 = e[0]!, e1 = e[1]!, e2 = e[2]!, e3 = e[3]!, e4 = e[4]!, e5 = e[5]!, e6 = e[6]!, e7 = e[7]!, e8 = e[8]!;
    const classify = ctx.classify;
    forEachRow(ctx, fr, (m, K, J, iLo, iHi) => {
      const base = n1 * (mod(J, n2) + n2 * mod(K, n3));
      // The same expressions as positionInto, so that the evaluation sees the same positions.
      const px = ctx.pivotLps[0] + fr.motif[3 * m]!;
      const py = ctx.pivotLps[1] + fr.motif[3 * m + 1]!;
      const pz = ctx.pivotLps[2] + fr.motif[3 * m + 2]!;
      let o = base + mod(iLo, n1);
      const oEnd = base + n1;
      for (let I = iLo; I <= iHi; I++, o++) {
        if (o === oEnd) o = base;
        const x = px + (I * e0 + J * e3 + K * e6);
        const y = py + (I * e1 + J * e4 + K * e7);
        const z = pz + (I * e2 + J * e5 + K * e8);
        const st = classify(x, y, z, out, false);
        if (st !== STATUS_INTACT && st !== STATUS_PARTIAL) continue;
        if (st === STATUS_INTACT) intact[o]!++;
        else partial[o]!++;
        const d = out[2]!;
        if (d < minOar[o]!) minOar[o] = d;
        sum[3 * o] += x;
        sum[3 * o + 1] += y;
        sum[3 * o + 2] += z;
      }
    });
    for (let o = 0; o < n; o++) {
      const kept = intact[o]! + partial[o]!;
      const off =
        kept === 0 ? 0 : Math.hypot(sum[3 * o]! / kept - cen[0], sum[3 * o + 1]! / kept - cen[1], sum[3 * o + 2]! / kept - cen[2]);
      const score: LayoutScore = {
        intact: intact[o]!,
        partial: partial[o]!,
        minOarDistanceMm: kept === 0 || minOar[o]! >= FAR_MM ? Infinity : minOar[o]!,
        centreOffsetMm: off,
      };
      if (bestScore === undefined || compareScores(score, bestScore) < 0) {
        bestScore = score;
        const i = o % n1;
        const j = ((o - i) / n1) % n2;
        const k = (o - i - n1 * j) / (n1 * n2);
        bestKey = { angleDeg, offset: [i, j, k] };
      }
    }
    rotationsDone++;
    options.onProgress?.({ rotationsDone, rotations, bestKey: bestKey!, bestScore: bestScore! });
  }
  return { key: bestKey!, score: bestScore!, layoutsSearched: n * rotations };
}

/** Evaluate one layout: every considered candidate with its status, in a deterministic order. */
export function evaluateLayout(ctx: PlacementContext, key: LayoutKey): Layout {
  const [n1, n2, n3] = ctx.steps;
  const [i0, j0, k0] = key.offset;
  const fr = angleFrame(ctx, key.angleDeg);
  const pos = new Float64Array(3);
  const out = new Float64Array(3);
  const candidates: Candidate[] = [];
  const f = ctx.fields;
  let intact = 0;
  let partial = 0;
  let minOar = Infinity;
  const s = [0, 0, 0];
  forEachRow(ctx, fr, (m, K, J, iLo, iHi) => {
    if (mod(K, n3) !== k0 || mod(J, n2) !== j0) return;
    for (let I = iLo + mod(i0 - iLo, n1); I <= iHi; I += n1) {
      positionInto(ctx, fr, m, I, J, K, pos);
      const st = ctx.classify(pos[0]!, pos[1]!, pos[2]!, out, true);
      if (st === STATUS_NOT_CONSIDERED) continue;
      const d = out[2]!;
      if (st === STATUS_INTACT || st === STATUS_PARTIAL) {
        if (st === STATUS_INTACT) intact++;
        else partial++;
        if (d < minOar) minOar = d;
        s[0] += pos[0]!;
        s[1] += pos[1]!;
        s[2] += pos[2]!;
      }
      const hasOar = f.oarSd !== undefined && d < f.oarReachMm;
      const nearestOars = hasOar ? nearestOarNames(f, ctx.oars, [pos[0]!, pos[1]!, pos[2]!], Math.max(0, d) + 2 * Math.max(...f.sub.spacingMm)) : [];
      candidates.push({
        centreLps: [pos[0]!, pos[1]!, pos[2]!],
        status:
          st === STATUS_INTACT ? 'intact' : st === STATUS_PARTIAL ? 'partial' : st === STATUS_OAR ? 'oar-clearance' : 'below-partial-threshold',
        depthMm: -out[0]!,
        // An intact sphere lies wholly inside by its depth test; the integrated field, smoothed
        // at the surface, can read a little below 1 there.
        fractionInside: st === STATUS_INTACT || (st === STATUS_OAR && -out[0]! >= ctx.params.radiusMm + ctx.params.insetMm) ? 1 : Math.min(1, Math.max(0, out[1]!)),
        oarDistanceFromCentreMm: hasOar ? d : undefined,
        nearestOars,
      });
    }
  });
  const kept = intact + partial;
  const cen = ctx.centroidLps;
  candidates.sort((a, b) => a.centreLps[2] - b.centreLps[2] || a.centreLps[1] - b.centreLps[1] || a.centreLps[0] - b.centreLps[0]);
  return {
    key,
    score: {
      intact,
      partial,
      minOarDistanceMm: kept === 0 || minOar >= FAR_MM ? Infinity : minOar,
      centreOffsetMm: kept === 0 ? 0 : Math.hypot(s[0]! / kept - cen[0], s[1]! / kept - cen[1], s[2]! / kept - cen[2]),
    },
    candidates,
  };
}

/** The baseline: one grid anchored at the target centroid, angle 0, no search. */
export const BASELINE_KEY: LayoutKey = { angleDeg: 0, offset: [0, 0, 0] };

/** Search and evaluate: the best layout and the baseline for comparison. */
export function placeVertices(
  target: MaskStructure,
  oars: readonly MaskStructure[],
  params: Partial<PlacementParams> = {},
  options: SearchOptions = {},
): PlacementResult {
  const t0 = performance.now();
  const ctx = createPlacementContext(target, oars, params);
  const found = searchLayouts(ctx, options);
  const best = evaluateLayout(ctx, found.key);
  const baseline = evaluateLayout(ctx, BASELINE_KEY);
  return { context: ctx, best, baseline, layoutsSearched: found.layoutsSearched, seconds: (performance.now() - t0) / 1000 };
}
