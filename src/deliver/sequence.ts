/**
 * Arc sequencing: optimised beamlet fluence maps of static coplanar beams -> VMAT arcs of
 * deliverable control points (vmat.md §0 and §5, pipeline steps 2-3; SmartArc / matRad pattern).
 *
 * Input: the fluence beams (gantry angles, collimator, couch, isocentre; beamlet maps with beamlet
 * (a, c) centred at ((a + 0.5) b, (c + 0.5) b) mm in the collimator frame, a along X_b, the leaf-motion
 * axis; weights in MU per fraction), a LinacMachine and the arcs wanted (default: two full coplanar
 * arcs, CW 181 -> 179 and CC 179 -> 181 degrees, a control point every 2 degrees). Beamlet rows must
 * coincide with leaf pairs (collimator-frame rows of the leaf width; e.g. 5 mm beamlets and the
 * Agility's 5 mm leaves).
 *
 * Steps:
 * 1. Every control point belongs to the fluence beam nearest in gantry angle; a run of consecutive
 *    control points of one beam within an arc is a sector.
 * 2. Each beam's map is stratified into L levels (I = round(w / max w * L), matRad uses 7) of U = max w
 *    / L MU. Per leaf row, the unidirectional sweep (Bortfeld; vmat.md §1): beamlet j opens at
 *    a_j = a_{j-1} + max(0, I_{j-1} - I_j) and closes at b_j = a_j + I_j (MU-time in levels; a, b
 *    non-decreasing, so the open beamlets at time t, {j : a_j <= t < b_j}, are contiguous). The row ends
 *    at c_r = sum_j max(0, I_j - I_{j-1}); the beam's sweep lasts T = max_r c_r, the TNMU.
 * 3. A sector of k_s control points samples the sweep at t_m = (m + phi) T / k_s (m = 0..k_s - 1, phi
 *    staggers the sectors of one beam), each control point carrying U T / k MU, k = the beam's control
 *    points over all arcs ('midpoint'); or ('sliding', a sliding window per sector as Craft's vmerge)
 *    at t_m = m T / (k_s - 1), from the sweep's start (its first step, at the near edge) to its end
 *    (every pair closed at the far edge), each of the sector's k_s - 1 intervals carrying U T / (the beam's sector intervals
 *    over all arcs) MU while the leaves move linearly, and the intervals between sectors none. The
 *    sweep direction alternates from one sector to the next along each arc (matRad), so the leaves
 *    start a sector where the previous one left them.
 * 4. The Y diaphragms at a control point span its open leaf pairs. A pair without fluence there is
 *    centred on the line between its neighbouring open positions (held at the ends; pairs never open in
 *    the arc sit on the central axis): behind the diaphragms it closes to the minimum gap, inside their
 *    opening it keeps a narrow in-field gap (a closed pair there would leak through the leaf tips).
 * 5. Interval MU: each control point's MU is shared by its two intervals (all to the single interval at
 *    an arc's end). Time per interval (arcTiming): t = max(dtheta / omega, max leaf travel / v_leaf, max
 *    jaw travel / v_jaw, dMU / R_max); a large leaf jump slows the gantry, it never breaks a limit.
 */

import { InputError, PlanError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import type { BeamletMap, OperatorBeam } from '../dose/operator.js';
import { gantryStepDeg, intervalMuOf, type Arc, type ArcControlPoint, type ArcDirection } from './arcs.js';
import type { LinacMachine } from './machine.js';

/** +1: the leaves travel toward +X_b (bank B leads, bank A trails); -1: toward -X_b. */
export type SweepDirection = 1 | -1;

export interface ArcSpec {
  readonly startDeg: number;
  readonly stopDeg: number;
  readonly direction: ArcDirection;
  readonly name?: string;
}

/** Two full coplanar arcs, clockwise then counter-clockwise, starting just off 180 degrees (pymedphys templates). */
export const DEFAULT_ARCS: readonly ArcSpec[] = [
  { startDeg: 181, stopDeg: 179, direction: 'CW', name: 'Arc 1 CW' },
  { startDeg: 179, stopDeg: 181, direction: 'CC', name: 'Arc 2 CC' },
];

export interface FluenceBeams {
  readonly beams: readonly OperatorBeam[];
  readonly maps: readonly BeamletMap[];
  readonly beamletMm: number;
  /** Beamlet weights, MU per fraction, numbered as the operator numbers them (beam by beam, c-major then a). */
  readonly weightsMu: Float64Array;
}

export interface SequenceOptions {
  readonly arcs?: readonly ArcSpec[];
  /** Nominal control-point spacing, degrees, 2..4 (default 2: at 4 degrees a 10-degree sector has 2-3
   * control points per arc, too few for the lattice maps; bench/README.md "VMAT sequencing (issue 12)");
   * each arc is split into equal intervals. */
  readonly cpSpacingDeg?: number;
  /** Fluence levels of the stratification (default 7, as matRad's VMAT example). */
  readonly levels?: number;
  /** Gap of a pair without fluence inside the Y diaphragm opening, mm (default: the machine's minimum
   * gap + 0.5 mm, the setting the VMAT bench measured; a closed pair there is deliverable too, its tips
   * leaking as MLC transmission). This narrow gap's leakage is in the dose and in the MU re-optimisation. */
  readonly inFieldGapMm?: number;
  /** How a sector samples its beam's sweep (file header, step 3): 'midpoint' (default) or 'sliding'. */
  readonly sampling?: 'midpoint' | 'sliding';
}

// ---------------------------------------------------------------------------------------------
// the unidirectional sweep of one leaf row

/**
 * Opening and closing MU-times (in levels) of each beamlet of a row of integer levels for a sweep
 * toward +X_b (index order): a_j = a_{j-1} + max(0, I_{j-1} - I_j), b_j = a_j + I_j, with I_{-1} = 0.
 * Returns the row's sweep length c = sum_j max(0, I_j - I_{j-1}) (= max_j b_j).
 */
export function rowSweepTimes(levels: ArrayLike<number>, open: Float64Array, close: Float64Array): number {
  let a = 0, prev = 0, c = 0;
  for (let j = 0; j < levels.length; j++) {
    const I = levels[j]!;
    if (!(I >= 0) || !Number.isInteger(I)) throw new InputError(`sweep: levels must be integers >= 0, found ${fmt(I)} at beamlet ${j}`);
    a += Math.max(0, prev - I);
    open[j] = a;
    close[j] = a + I;
    c += Math.max(0, I - prev);
    prev = I;
  }
  return c;
}

/** Total number of MU (in levels) of a sweep of a map: max over rows of sum_j max(0, I_rj - I_r,j-1) (vmat.md §1). */
export function sweepTnmu(levels: ArrayLike<number>, nCols: number, nRows: number): number {
  let t = 0;
  for (let r = 0; r < nRows; r++) {
    let c = 0, prev = 0;
    for (let j = 0; j < nCols; j++) {
      const I = levels[j + nCols * r]!;
      c += Math.max(0, I - prev);
      prev = I;
    }
    t = Math.max(t, c);
  }
  return t;
}

/**
 * The open beamlets [from, to) of a row at each sweep time (to <= from: closed), for a sweep in
 * `direction` (+1: toward higher indices). out: 2 values per time.
 */
export function sweepRowOpenings(levels: ArrayLike<number>, times: ArrayLike<number>, direction: SweepDirection, out: Int32Array): void {
  const n = levels.length;
  const row = new Float64Array(n);
  for (let j = 0; j < n; j++) row[j] = direction === 1 ? levels[j]! : levels[n - 1 - j]!;
  const a = new Float64Array(n), b = new Float64Array(n);
  rowSweepTimes(row, a, b);
  for (let m = 0; m < times.length; m++) {
    const t = times[m]!;
    let p = 0, q = 0;
    while (p < n && a[p]! <= t) p++;
    while (q < n && b[q]! <= t) q++;
    // sweep order [q, p); mapped back for a sweep toward lower indices
    if (q >= p) {
      out[2 * m] = 0;
      out[2 * m + 1] = 0;
    } else if (direction === 1) {
      out[2 * m] = q;
      out[2 * m + 1] = p;
    } else {
      out[2 * m] = n - p;
      out[2 * m + 1] = n - q;
    }
  }
}

/** Integer levels of a map: round(w / wMax * levels); all 0 when wMax <= 0. */
export function stratify(weights: ArrayLike<number>, levels: number): { readonly levels: Int32Array; readonly wMax: number } {
  let wMax = 0;
  for (let i = 0; i < weights.length; i++) wMax = Math.max(wMax, weights[i]!);
  const out = new Int32Array(weights.length);
  if (wMax > 0) for (let i = 0; i < weights.length; i++) out[i] = Math.round((Math.max(0, weights[i]!) / wMax) * levels);
  return { levels: out, wMax };
}

// ---------------------------------------------------------------------------------------------
// control-point angles, sectors

/** Control-point gantry angles of an arc: round(span / spacing) equal intervals from start to stop. */
export function arcAnglesDeg(spec: ArcSpec, cpSpacingDeg: number): Float64Array {
  let span = gantryStepDeg(spec.direction, spec.startDeg, spec.stopDeg);
  if (span === 0) span = 360;
  const n = Math.max(1, Math.round(span / cpSpacingDeg));
  const out = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) {
    const g = spec.direction === 'CW' ? spec.startDeg + (i * span) / n : spec.startDeg - (i * span) / n;
    out[i] = ((g % 360) + 360) % 360;
  }
  return out;
}

const angularDistance = (a: number, b: number): number => {
  const d = Math.abs((((a - b) % 360) + 360) % 360);
  return Math.min(d, 360 - d);
};

/** A run of consecutive control points of one arc that belong to one fluence beam. */
export interface Sector {
  readonly arc: number;
  readonly beam: number;
  /** Index of the first control point in the arc, and the count. */
  readonly firstCp: number;
  readonly count: number;
  readonly direction: SweepDirection;
  /** Sweep sample times (levels) of its control points, in delivery order. */
  readonly timesLevels: Float64Array;
}

export interface ArcTiming {
  /** Seconds per interval. */
  readonly seconds: Float64Array;
  /** What sets each interval's time: 0 gantry speed, 1 leaf speed, 2 jaw speed, 3 maximum dose rate. */
  readonly limit: Uint8Array;
  /** Largest leaf and jaw travel per interval, mm. */
  readonly leafTravelMm: Float64Array;
  readonly jawTravelMm: Float64Array;
  readonly totalSeconds: number;
}

export const TIMING_LIMITS = ['gantry speed', 'leaf speed', 'jaw speed', 'dose rate'] as const;

/**
 * Time per interval of an arc (vmat.md §5 step 3): t = max(dtheta / omega_max, max |dx_leaf| / v_leaf,
 * max |dy_jaw| / v_jaw, dMU / R_max). The gantry slows where a leaf, a jaw or the dose rate limits.
 */
export function arcTiming(arc: Arc, machine: LinacMachine): ArcTiming {
  const cps = arc.controlPoints;
  const n = Math.max(0, cps.length - 1);
  const seconds = new Float64Array(n), leafT = new Float64Array(n), jawT = new Float64Array(n);
  const limit = new Uint8Array(n);
  const mu = intervalMuOf(arc);
  const omega = machine.gantry.maxSpeedDegPerS, vLeaf = machine.mlc.leafSpeedMmPerS;
  const vJaw = machine.jaws.find((j) => j.deviceType === 'ASYMY')?.speedMmPerS ?? Infinity;
  const rMax = machine.doseRate.maxMuPerMin / 60;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const a = cps[i]!, b = cps[i + 1]!;
    let leaf = 0;
    for (let p = 0; p < a.bankAMm.length; p++) {
      leaf = Math.max(leaf, Math.abs(b.bankAMm[p]! - a.bankAMm[p]!), Math.abs(b.bankBMm[p]! - a.bankBMm[p]!));
    }
    const jaw = Math.max(Math.abs(b.jawYMm[0] - a.jawYMm[0]), Math.abs(b.jawYMm[1] - a.jawYMm[1]));
    const times = [gantryStepDeg(arc.direction, a.gantryDeg, b.gantryDeg) / omega, leaf / vLeaf, jaw / vJaw, mu[i]! / rMax];
    let k = 0;
    for (let q = 1; q < 4; q++) if (times[q]! > times[k]!) k = q;
    seconds[i] = times[k]!;
    limit[i] = k;
    leafT[i] = leaf;
    jawT[i] = jaw;
    total += times[k]!;
  }
  return { seconds, limit, leafTravelMm: leafT, jawTravelMm: jawT, totalSeconds: total };
}

export interface ArcStats {
  readonly name: string;
  readonly controlPoints: number;
  readonly mu: number;
  readonly deliverySeconds: number;
  /** Share of the delivery time set by each limit (TIMING_LIMITS order). */
  readonly timeFractionByLimit: readonly number[];
  /** Mean open area inside the Y diaphragms over the intervals' mean apertures, MU-weighted, cm^2. */
  readonly meanApertureAreaCm2: number;
  /** Sum over leaves and intervals of |dx|, m. */
  readonly totalLeafTravelM: number;
  /** Mean travel of one leaf over the arc, mm. */
  readonly meanLeafTravelMm: number;
  /** Intervals whose dose rate falls below the machine's minimum (dMU / t < R_min). */
  readonly belowMinDoseRate: number;
}

/** Delivery figures of an arc: MU, time, time share of each limit, aperture area, leaf travel. */
export function arcStats(arc: Arc, machine: LinacMachine): ArcStats {
  const t = arcTiming(arc, machine);
  const mu = intervalMuOf(arc);
  const byLimit = [0, 0, 0, 0];
  for (let i = 0; i < t.seconds.length; i++) byLimit[t.limit[i]!] = byLimit[t.limit[i]!]! + t.seconds[i]!;
  const bd = machine.mlc.leafBoundariesMm;
  const cps = arc.controlPoints;
  let areaSum = 0, muSum = 0, below = 0;
  const rMin = machine.doseRate.minMuPerMin / 60;
  for (let i = 0; i + 1 < cps.length; i++) {
    const a = cps[i]!, b = cps[i + 1]!;
    const y1 = (a.jawYMm[0] + b.jawYMm[0]) / 2, y2 = (a.jawYMm[1] + b.jawYMm[1]) / 2;
    let area = 0;
    for (let p = 0; p + 1 < bd.length; p++) {
      const h = Math.min(bd[p + 1]!, y2) - Math.max(bd[p]!, y1);
      if (h <= 0) continue;
      const w = (b.bankBMm[p]! + a.bankBMm[p]!) / 2 - (b.bankAMm[p]! + a.bankAMm[p]!) / 2;
      area += Math.max(0, w) * h;
    }
    areaSum += mu[i]! * area;
    muSum += mu[i]!;
    if (mu[i]! < rMin * t.seconds[i]! * (1 - 1e-9)) below++;
  }
  // leaves outside the diaphragms move too: count every leaf's travel
  let allTravel = 0;
  for (let i = 0; i + 1 < cps.length; i++) {
    const a = cps[i]!, b = cps[i + 1]!;
    for (let p = 0; p < a.bankAMm.length; p++) allTravel += Math.abs(b.bankAMm[p]! - a.bankAMm[p]!) + Math.abs(b.bankBMm[p]! - a.bankBMm[p]!);
  }
  const total = t.totalSeconds;
  return {
    name: arc.name,
    controlPoints: cps.length,
    mu: muSum,
    deliverySeconds: total,
    timeFractionByLimit: byLimit.map((s) => (total > 0 ? s / total : 0)),
    meanApertureAreaCm2: muSum > 0 ? areaSum / muSum / 100 : 0,
    totalLeafTravelM: allTravel / 1000,
    meanLeafTravelMm: allTravel / (2 * machine.mlc.leafPairs),
    belowMinDoseRate: below,
  };
}

// ---------------------------------------------------------------------------------------------
// sequencing

export interface SequencedArcs {
  readonly arcs: readonly Arc[];
  readonly sectors: readonly Sector[];
  /** Per fluence beam: levels unit (MU), sweep length T (levels), control points k over all arcs. */
  readonly beams: readonly { readonly unitMu: number; readonly tnmuLevels: number; readonly controlPoints: number }[];
  /** Nearest fluence beam of each control point, per arc. */
  readonly beamOfCp: readonly Int32Array[];
  readonly elapsedMs: number;
}

/** Leaf pair of each beamlet row of a map; a PlanError naming the beam when a row is not one leaf pair. */
export function pairsOfRows(map: BeamletMap, beamletMm: number, boundaries: Float64Array, name: string): Int32Array {
  const out = new Int32Array(map.nbv);
  for (let c = 0; c < map.nbv; c++) {
    const lo = (map.j0 + c) * beamletMm, hi = lo + beamletMm;
    let p = -1;
    for (let q = 0; q + 1 < boundaries.length; q++) {
      if (Math.abs(boundaries[q]! - lo) < 1e-6 && Math.abs(boundaries[q + 1]! - hi) < 1e-6) {
        p = q;
        break;
      }
    }
    if (p < 0) {
      throw new PlanError(
        `${name}: beamlet row ${c} spans [${fmt(lo)}, ${fmt(hi)}] mm along Y_b, which is not one leaf pair of the MLC; ` +
          'arc sequencing needs beamlet rows on the leaf pairs (beamlets of the leaf width, within the MLC)',
      );
    }
    out[c] = p;
  }
  return out;
}

export function sequenceArcs(input: FluenceBeams, machine: LinacMachine, options: SequenceOptions = {}): SequencedArcs {
  const t0 = performance.now();
  const { beams, maps, beamletMm: bw, weightsMu } = input;
  const specs = options.arcs ?? DEFAULT_ARCS;
  const spacing = options.cpSpacingDeg ?? 2;
  const L = options.levels ?? 7;
  const sampling = options.sampling ?? 'midpoint';
  if (sampling !== 'midpoint' && sampling !== 'sliding') throw new InputError(`sector sampling must be 'midpoint' or 'sliding', found '${String(sampling)}'`);
  if (!(spacing >= 2 && spacing <= 4)) throw new InputError(`control-point spacing must be 2 to 4 degrees, found ${fmt(spacing)}`);
  if (!(Number.isInteger(L) && L >= 1 && L <= 100)) throw new InputError(`fluence levels must be an integer from 1 to 100, found ${fmt(L)}`);
  if (beams.length === 0) throw new InputError('arc sequencing needs at least one fluence beam');
  if (maps.length !== beams.length) throw new InputError(`expected one beamlet map per beam (${beams.length}), found ${maps.length}`);
  if (specs.length === 0) throw new InputError('arc sequencing needs at least one arc');
  const g0 = beams[0]!.geometry;
  for (const b of beams) {
    const g = b.geometry;
    if (g.collimatorDeg !== g0.collimatorDeg || g.couchDeg !== g0.couchDeg || g.isocenterLps.some((x, i) => Math.abs(x - g0.isocenterLps[i]!) > 1e-6)) {
      throw new InputError(`arc sequencing needs coplanar beams with one collimator angle and one isocentre; beam "${b.name ?? ''}" differs`);
    }
  }
  const mlc = machine.mlc;
  const bd = mlc.leafBoundariesMm;
  const nPairs = mlc.leafPairs;
  const [xMin, xMax] = mlc.positionRangeMm;
  const gap = Math.max(mlc.minGapMm, 0);
  const inFieldGap = options.inFieldGapMm ?? gap + 0.5;
  if (!(inFieldGap > gap)) throw new InputError(`the in-field gap must exceed the minimum leaf gap of ${fmt(gap)} mm, found ${fmt(inFieldGap)} mm`);
  const collapsed = (y: readonly [number, number]): [number, number] => [(y[0] + y[1]) / 2, (y[0] + y[1]) / 2];
  let nW = 0;
  for (const m of maps) for (let q = 0; q < m.active.length; q++) nW += m.active[q]!;
  if (nW !== weightsMu.length) throw new InputError(`expected ${nW} beamlet weights for the maps, found ${weightsMu.length}`);

  // per beam: level map (nbu x nbv, a fastest), unit MU, TNMU, leaf pair of each row
  let offset = 0;
  const perBeam = maps.map((m, bi) => {
    const w = new Float64Array(m.nbu * m.nbv);
    for (let c = 0; c < m.nbv; c++) for (let a = 0; a < m.nbu; a++) if (m.active[a + m.nbu * c]) w[a + m.nbu * c] = weightsMu[offset++]!;
    const s = stratify(w, L);
    const pairs = pairsOfRows(m, bw, bd, beams[bi]!.name ?? `beam ${bi + 1}`);
    return { map: m, levels: s.levels, unitMu: s.wMax / L, tnmu: sweepTnmu(s.levels, m.nbu, m.nbv), pairs, k: 0, sectors: 0, slidingIntervals: 0 };
  });

  // control points and their beams; sectors = runs of one beam within an arc
  const angles = specs.map((s) => arcAnglesDeg(s, spacing));
  const beamOfCp = angles.map((ang) =>
    Int32Array.from(ang, (g) => {
      let best = 0;
      for (let b = 1; b < beams.length; b++) if (angularDistance(g, beams[b]!.geometry.gantryDeg) < angularDistance(g, beams[best]!.geometry.gantryDeg) - 1e-9) best = b;
      return best;
    }),
  );
  const runs: { arc: number; beam: number; firstCp: number; count: number; direction: SweepDirection; ordinal: number }[] = [];
  beamOfCp.forEach((owners, ai) => {
    let dir: SweepDirection = 1;
    for (let i = 0; i < owners.length; ) {
      let j = i;
      while (j < owners.length && owners[j] === owners[i]) j++;
      const pb = perBeam[owners[i]!]!;
      runs.push({ arc: ai, beam: owners[i]!, firstCp: i, count: j - i, direction: dir, ordinal: pb.sectors++ });
      pb.k += j - i;
      pb.slidingIntervals += j - i - 1;
      dir = dir === 1 ? -1 : 1;
      i = j;
    }
  });

  // leaf openings at every control point (filled below where closed)
  const bankA = angles.map((a) => Array.from(a, () => new Float64Array(nPairs)));
  const bankB = angles.map((a) => Array.from(a, () => new Float64Array(nPairs)));
  const isOpen = angles.map((a) => Array.from(a, () => new Uint8Array(nPairs)));
  const cpMu = angles.map((a) => new Float64Array(a.length));
  /** Sliding sectors: MU of the interval from each control point to the next. */
  const slideMu = angles.map((a) => new Float64Array(a.length));
  const sectors: Sector[] = [];
  for (const r of runs) {
    const pb = perBeam[r.beam]!;
    const m = pb.map;
    const phi = (r.ordinal + 0.5) / pb.sectors;
    const slide = sampling === 'sliding' && pb.slidingIntervals > 0;
    // sliding: from the sweep's start (its first step, at the near edge) to its end (every pair closed
    // at the far edge); a sector of one control point then delivers nothing and sits at the start
    const times = Float64Array.from({ length: r.count }, (_, q) =>
      slide ? (r.count > 1 ? (q * pb.tnmu) / (r.count - 1) : 0) : ((q + phi) * pb.tnmu) / r.count,
    );
    sectors.push({ arc: r.arc, beam: r.beam, firstCp: r.firstCp, count: r.count, direction: r.direction, timesLevels: times });
    const open = new Int32Array(2 * r.count);
    const row = new Int32Array(m.nbu);
    for (let c = 0; c < m.nbv; c++) {
      for (let a = 0; a < m.nbu; a++) row[a] = pb.levels[a + m.nbu * c]!;
      sweepRowOpenings(row, times, r.direction, open);
      const p = pb.pairs[c]!;
      for (let q = 0; q < r.count; q++) {
        const from = open[2 * q]!, to = open[2 * q + 1]!;
        if (to <= from) continue;
        const i = r.firstCp + q;
        bankA[r.arc]![i]![p] = Math.max(xMin, (m.i0 + from) * bw);
        bankB[r.arc]![i]![p] = Math.min(xMax, (m.i0 + to) * bw);
        isOpen[r.arc]![i]![p] = 1;
      }
    }
    if (slide) {
      const mu = (pb.unitMu * pb.tnmu) / pb.slidingIntervals;
      for (let q = 0; q + 1 < r.count; q++) slideMu[r.arc]![r.firstCp + q] = mu;
    } else {
      const mu = pb.k > 0 ? (pb.unitMu * pb.tnmu) / pb.k : 0;
      for (let q = 0; q < r.count; q++) cpMu[r.arc]![r.firstCp + q] = mu;
    }
  }

  const jawRange = machine.jaws.find((j) => j.deviceType === 'ASYMY')?.positionRangeMm ?? [bd[0]!, bd[nPairs]!];
  const g = beams[0]!.geometry;
  const arcs: Arc[] = specs.map((spec, ai) => {
    const nCp = angles[ai]!.length;
    const A = bankA[ai]!, B = bankB[ai]!, open = isOpen[ai]!;
    // Y diaphragms: from the lowest to the highest pair open at the control point (collapsed where
    // none is open: a beam without fluence)
    const jaws: ([number, number] | undefined)[] = Array.from({ length: nCp }, (_, i) => {
      let lo = -1, hi = -1;
      for (let p = 0; p < nPairs; p++) {
        if (open[i]![p] === 0) continue;
        if (lo < 0) lo = p;
        hi = p;
      }
      if (lo < 0) return undefined;
      return [Math.max(bd[lo]!, jawRange[0]), Math.min(bd[hi + 1]!, jawRange[1])];
    });
    for (let i = 1; i < nCp; i++) if (jaws[i] === undefined && jaws[i - 1] !== undefined) jaws[i] = collapsed(jaws[i - 1]!);
    for (let i = nCp - 2; i >= 0; i--) if (jaws[i] === undefined && jaws[i + 1] !== undefined) jaws[i] = collapsed(jaws[i + 1]!);
    // pairs without fluence at a control point: centred between their neighbouring open positions
    // (held at the ends; pairs never open in the arc on the central axis); inside the diaphragm
    // opening they keep the in-field gap, beyond it they close to the minimum gap
    for (let p = 0; p < nPairs; p++) {
      let prev = -1;
      for (let i = 0; i <= nCp; i++) {
        if (i < nCp && open[i]![p] === 0) continue;
        const cPrev = prev >= 0 ? (A[prev]![p]! + B[prev]![p]!) / 2 : undefined;
        const cNext = i < nCp ? (A[i]![p]! + B[i]![p]!) / 2 : undefined;
        for (let q = prev + 1; q < i; q++) {
          const y = jaws[q];
          const inField = y !== undefined && Math.min(bd[p + 1]!, y[1]) - Math.max(bd[p]!, y[0]) > 0;
          const w = inField ? inFieldGap : gap;
          let centre: number;
          if (cPrev !== undefined && cNext !== undefined) centre = cPrev + ((q - prev) / (i - prev)) * (cNext - cPrev);
          else centre = cPrev ?? cNext ?? 0;
          centre = Math.min(Math.max(centre, xMin + w / 2), xMax - w / 2);
          A[q]![p] = centre - w / 2;
          B[q]![p] = centre + w / 2;
        }
        prev = i;
      }
    }
    // interval MU: each control point's MU shared by its intervals
    const mu = cpMu[ai]!, sm = slideMu[ai]!;
    let cum = 0;
    const controlPoints: ArcControlPoint[] = [];
    for (let i = 0; i < nCp; i++) {
      if (i > 0) cum += mu[i - 1]! * (i - 1 === 0 ? 1 : 0.5) + mu[i]! * (i === nCp - 1 ? 1 : 0.5) + sm[i - 1]!;
      controlPoints.push({ gantryDeg: angles[ai]![i]!, bankAMm: A[i]!, bankBMm: B[i]!, jawYMm: jaws[i] ?? [0, 0], cumulativeMu: cum });
    }
    return {
      name: spec.name ?? `Arc ${ai + 1} ${spec.direction}`,
      direction: spec.direction,
      collimatorDeg: g.collimatorDeg,
      couchDeg: g.couchDeg,
      isocenterLps: [g.isocenterLps[0], g.isocenterLps[1], g.isocenterLps[2]] as Vec3,
      controlPoints,
    };
  });
  return {
    arcs: enforceBankSpread(arcs, machine, inFieldGap).arcs,
    sectors,
    beams: perBeam.map((pb) => ({ unitMu: pb.unitMu, tnmuLevels: pb.tnmu, controlPoints: pb.k })),
    beamOfCp,
    elapsedMs: performance.now() - t0,
  };
}

/**
 * Keeps every control point within the machine's bank spread (mlc.maxBankSpreadMm = S: how far apart
 * the leaves of one bank may be; Agility's leaves ride on one guide per bank). A pair is open when its
 * gap exceeds `inFieldGapMm`, parked otherwise. (1) Open apertures: bank A tips left of max(A open) - S
 * move right to it, bank B tips right of min(B open) + S move left to it; they lose what lies beyond
 * that window (a pair closed by it becomes parked). (2) Parked pairs keep their gap and their centre,
 * clamped into the positions that keep both banks within S of every open tip; (3) if they still spread a
 * bank beyond S among themselves, they all take one position (their median centre, clamped). Positions
 * only: the MU are unchanged (optimiseArcMu then bounds each interval's MU by the new leaf travel).
 * Returns the arcs (the same objects where nothing moved) and how many leaf tips moved.
 */
export function enforceBankSpread(arcs: readonly Arc[], machine: LinacMachine, inFieldGapMm = machine.mlc.minGapMm + 0.5): { readonly arcs: Arc[]; readonly movedLeaves: number } {
  const S = machine.mlc.maxBankSpreadMm;
  if (S === undefined) return { arcs: [...arcs], movedLeaves: 0 };
  const tol = 1e-9;
  let moved = 0;
  const spreadOf = (x: Float64Array): number => {
    let lo = Infinity, hi = -Infinity;
    for (const v of x) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return hi - lo;
  };
  const out = arcs.map((arc) => {
    let changed = false;
    const cps = arc.controlPoints.map((cp) => {
      const A = cp.bankAMm, B = cp.bankBMm;
      if (spreadOf(A) <= S + tol && spreadOf(B) <= S + tol) return cp;
      const n = A.length;
      const a = Float64Array.from(A), b = Float64Array.from(B);
      const isOpen = (p: number): boolean => b[p]! - a[p]! > inFieldGapMm + 1e-6;
      // (1) open apertures within the window of the open tips
      let maxA = -Infinity, minB = Infinity;
      for (let p = 0; p < n; p++) {
        if (!isOpen(p)) continue;
        maxA = Math.max(maxA, a[p]!);
        minB = Math.min(minB, b[p]!);
      }
      const parked: number[] = [];
      for (let p = 0; p < n; p++) {
        if (!isOpen(p)) continue;
        if (a[p]! < maxA - S) a[p] = maxA - S;
        if (b[p]! > minB + S) b[p] = minB + S;
      }
      // the open tips now, and the centres a parked pair of gap g may take: A and B within S of them
      let oMinA = Infinity, oMaxA = -Infinity, oMinB = Infinity, oMaxB = -Infinity;
      for (let p = 0; p < n; p++) {
        if (!isOpen(p)) {
          parked.push(p);
          continue;
        }
        oMinA = Math.min(oMinA, a[p]!);
        oMaxA = Math.max(oMaxA, a[p]!);
        oMinB = Math.min(oMinB, b[p]!);
        oMaxB = Math.max(oMaxB, b[p]!);
      }
      const window = (g: number): [number, number] => {
        if (!Number.isFinite(oMinA)) return [-Infinity, Infinity];
        const lo = Math.max(oMaxA - S + g / 2, oMaxB - S - g / 2);
        const hi = Math.min(oMinA + S + g / 2, oMinB + S - g / 2);
        return lo <= hi ? [lo, hi] : [(lo + hi) / 2, (lo + hi) / 2];
      };
      // (2) parked pairs clamped into that window
      const centre = (p: number): number => (a[p]! + b[p]!) / 2;
      for (const p of parked) {
        const g = b[p]! - a[p]!;
        const [lo, hi] = window(g);
        const c = Math.min(Math.max(centre(p), lo), hi);
        a[p] = c - g / 2;
        b[p] = c + g / 2;
      }
      // (3) still beyond S among the parked pairs: one common position
      if (spreadOf(a) > S + tol || spreadOf(b) > S + tol) {
        const cs = parked.map(centre).sort((x, y) => x - y);
        const median = cs.length > 0 ? cs[Math.floor(cs.length / 2)]! : 0;
        for (const p of parked) {
          const g = b[p]! - a[p]!;
          const [lo, hi] = window(g);
          const c = Math.min(Math.max(median, lo), hi);
          a[p] = c - g / 2;
          b[p] = c + g / 2;
        }
      }
      for (let p = 0; p < n; p++) {
        if (a[p] !== A[p]) moved++;
        if (b[p] !== B[p]) moved++;
      }
      changed = true;
      return { ...cp, bankAMm: a, bankBMm: b };
    });
    return changed ? { ...arc, controlPoints: cps } : arc;
  });
  return { arcs: out, movedLeaves: moved };
}
