/**
 * Can this linac deliver this RT Plan? Every violation of the machine's limits, with beam, control
 * point, leaf and the numbers; the estimated delivery time of each beam; and its aperture complexity.
 *
 * Input: an RtPlan as read by io/dicom/read/rtplan.ts (control points carried forward, positions in mm
 * at the isocentre plane, IEC 61217 beam-limiting-device frame) and a LinacMachine (machine.ts).
 * Leaves: bank A is DICOM's first bank (the first N LeafJawPositions values, the X1 side, negative
 * X_b), bank B the second (X2, positive X_b); pairs are numbered 1..N from the most negative Y_b
 * boundary. Jaws: Y1/X1 is the first (negative-side) jaw of a pair, Y2/X2 the second.
 *
 * Rules (docs/delivery.md; shared/reference/vmat.md section 5):
 * - devices: the beam's MLC is the machine's (MLCX, same pair count and leaf boundaries within
 *   0.01 mm); every jaw device the beam uses is one of the machine's.
 * - positions: every leaf within mlc.positionRangeMm and past the central axis by at most
 *   mlc.maxOverTravelMm (bank A at most +maxOverTravelMm, bank B at least -maxOverTravelMm); the
 *   leaves of one bank within mlc.maxBankSpreadMm of each other when the machine states it; jaws
 *   within their range and over-travel, Y1 <= Y2.
 * - pairs: the two leaves of a pair never cross; their gap is at least mlc.minGapMm. A closed pair inside
 *   the diaphragm opening is deliverable (its abutting tips leak, which the dose engine counts as MLC
 *   transmission over the closed area), not a violation. Without interdigitation a leaf must not pass the
 *   opposing leaves of the neighbouring pairs.
 * - meterset: the beam has a BeamMeterset; cumulative meterset weights start at 0, never decrease and
 *   end at the final cumulative meterset weight.
 * - gantry: angles within 0..360 degrees; each interval moves in the direction stated at its first
 *   control point (CW: the angle increases), by less than half a turn (more means the shorter way is
 *   the other direction); NONE means no motion.
 * - time: for the interval i -> i+1 with dMU = BeamMeterset x dCMW / final,
 *     t_lo = max(dTheta / gantry speed, largest leaf travel / leaf speed, largest jaw travel / jaw speed,
 *                dMU / (maximum dose rate / 60)),
 *     t_hi = dMU / (minimum dose rate / 60)   (infinite when dMU = 0 or the minimum dose rate is 0);
 *   t_lo > t_hi is a violation (the motion cannot be slowed enough, or the dose rate lowered enough,
 *   to spread dMU over it), naming the motion that sets t_lo.
 * - step-and-shoot: every segment delivers at least minSegmentMu. A segment is an interval with
 *   dMU > 0 in a STATIC beam, or in any beam an interval with dMU > 0 during which nothing moves
 *   (step-and-shoot written as a DYNAMIC beam of control-point pairs); VMAT intervals, where the gantry
 *   or the leaves move while the beam is on, are not segments.
 *
 * deliveryTime: the sum of t_lo over each beam's intervals (a lower bound, at full speed, without
 * acceleration or beam-hold overheads), and the seconds each limit sets.
 * planComplexity: MU, the MU-weighted mean aperture area (cm^2, inside the jaws; the area of an
 * interval is the mean of its two control points') and the total leaf travel (mm) of each beam.
 */

import { fmt } from '../core/errors.js';
import type { Beam, ControlPoint, RtPlan } from '../io/dicom/model.js';
import type { LinacMachine } from './machine.js';

export type ViolationKind =
  | 'device'
  | 'meterset'
  | 'meterset-weight'
  | 'gantry-angle'
  | 'gantry-direction'
  | 'leaf-range'
  | 'leaf-over-travel'
  | 'leaves-crossed'
  | 'leaf-gap'
  | 'bank-spread'
  | 'interdigitation'
  | 'jaw-range'
  | 'jaws-crossed'
  | 'speed'
  | 'segment-mu';

export interface Violation {
  readonly beamNumber: number;
  readonly beamName: string;
  /** Control point (0-based position in the beam), the interval [i, i + 1], or absent for the whole beam. */
  readonly controlPoint?: number | readonly [number, number];
  readonly kind: ViolationKind;
  /** One line naming beam, control point(s), leaf or jaw, the value and the limit, with units. */
  readonly message: string;
}

/** Positions and boundaries agree within this (mm): DS values carry rounding. */
const TOL_MM = 0.01;
/** Leaf boundaries of plan and machine agree within this (mm). */
const BOUNDARY_TOL_MM = 0.01;
/** Relative tolerance on times and meterset weights. */
const REL_TOL = 1e-9;
const WEIGHT_TOL = 1e-6;

type Limit = 'gantry' | 'leaf' | 'jaw' | 'doseRate';

/** What sets the time of one interval, and the numbers for its message. */
interface IntervalTime {
  readonly tLoS: number;
  readonly tHiS: number;
  readonly dMu: number;
  readonly limit: Limit | undefined;
  /** Whether gantry, leaves and jaws all stay where they are (a step-and-shoot segment when dMU > 0). */
  readonly still: boolean;
  /** "leaf B23 travels 40.0 mm (1.14 s at 35 mm/s)" */
  readonly motion: string;
}

const mm = (v: number): string => `${v.toFixed(1)} mm`;
const sec = (v: number): string => `${v.toFixed(2)} s`;
const muText = (v: number): string => `${v.toFixed(2)} MU`;
const leafName = (bank: 0 | 1, pair: number): string => `${bank === 0 ? 'A' : 'B'}${pair + 1}`;
const jawName = (type: string, which: 0 | 1): string => `${type.endsWith('X') ? 'X' : 'Y'}${which + 1}`;

/** The machine's MLC positions of a control point (2N values, bank A then bank B), when it states them. */
const leavesOf = (cp: ControlPoint, machine: LinacMachine): Float64Array | undefined => {
  const x = cp.mlcMm?.[machine.mlc.deviceType];
  return x !== undefined && x.length === 2 * machine.mlc.leafPairs ? x : undefined;
};

/** Travel in the stated direction from a to b (deg), in [0, 360). */
function directedTravelDeg(fromDeg: number, toDeg: number, direction: ControlPoint['gantryRotationDirection']): number {
  const raw = direction === 'CC' ? fromDeg - toDeg : toDeg - fromDeg;
  const d = ((raw % 360) + 360) % 360;
  return d > 360 - 1e-6 ? 0 : d;
}

/** The gantry rotation of interval i -> i+1 (deg) used for timing: the stated direction, or the shorter way for NONE. */
function gantryTravelDeg(a: ControlPoint, b: ControlPoint): number {
  if (a.gantryRotationDirection === 'NONE') {
    const d = directedTravelDeg(a.gantryAngleDeg, b.gantryAngleDeg, 'CW');
    return Math.min(d, d === 0 ? 0 : 360 - d);
  }
  return directedTravelDeg(a.gantryAngleDeg, b.gantryAngleDeg, a.gantryRotationDirection);
}

/** MU of interval i -> i+1 (0 when the beam has no meterset or the weight does not grow). */
function intervalMu(beam: Beam, i: number): number {
  const mu = beam.metersetMu;
  const final = beam.finalCumulativeMetersetWeight;
  if (mu === undefined || !(final > 0)) return 0;
  const dw = beam.controlPoints[i + 1]!.cumulativeMetersetWeight - beam.controlPoints[i]!.cumulativeMetersetWeight;
  return dw > 0 ? (mu * dw) / final : 0;
}

/** The time model of interval i -> i+1 (see the header). */
function intervalTime(beam: Beam, machine: LinacMachine, i: number): IntervalTime {
  const a = beam.controlPoints[i]!;
  const b = beam.controlPoints[i + 1]!;
  const dMu = intervalMu(beam, i);
  let tLo = 0;
  let limit: Limit | undefined;
  let motion = 'nothing moves';
  let still = true;
  const consider = (t: number, l: Limit, text: () => string): void => {
    if (t > tLo) {
      tLo = t;
      limit = l;
      motion = text();
    }
  };
  const dTheta = gantryTravelDeg(a, b);
  if (dTheta > 1e-6) still = false;
  const w = machine.gantry.maxSpeedDegPerS;
  consider(dTheta / w, 'gantry', () => `gantry turns ${dTheta.toFixed(1)} deg (${sec(dTheta / w)} at ${fmt(w)} deg/s)`);

  const xa = leavesOf(a, machine);
  const xb = leavesOf(b, machine);
  if (xa !== undefined && xb !== undefined) {
    let travel = 0;
    let at = -1;
    for (let k = 0; k < xa.length; k++) {
      const d = Math.abs(xb[k]! - xa[k]!);
      if (d > travel) {
        travel = d;
        at = k;
      }
    }
    const v = machine.mlc.leafSpeedMmPerS;
    const n = machine.mlc.leafPairs;
    if (travel > TOL_MM) still = false;
    if (at >= 0) {
      consider(travel / v, 'leaf', () => `leaf ${leafName(at < n ? 0 : 1, at % n)} travels ${mm(travel)} (${sec(travel / v)} at ${fmt(v)} mm/s)`);
    }
  }
  for (const jaw of machine.jaws) {
    const ja = a.jawsMm[jaw.deviceType];
    const jb = b.jawsMm[jaw.deviceType];
    if (ja === undefined || jb === undefined) continue;
    for (const which of [0, 1] as const) {
      const d = Math.abs(jb[which] - ja[which]);
      const v = jaw.speedMmPerS;
      if (d > TOL_MM) still = false;
      consider(d / v, 'jaw', () => `jaw ${jawName(jaw.deviceType, which)} (${jaw.deviceType}) travels ${mm(d)} (${sec(d / v)} at ${fmt(v)} mm/s)`);
    }
  }
  const rMax = machine.doseRate.maxMuPerMin;
  consider(dMu / (rMax / 60), 'doseRate', () => `${muText(dMu)} at the maximum dose rate of ${fmt(rMax)} MU/min take ${sec(dMu / (rMax / 60))}`);
  const rMin = machine.doseRate.minMuPerMin;
  const tHi = dMu > 0 && rMin > 0 ? dMu / (rMin / 60) : Infinity;
  return { tLoS: tLo, tHiS: tHi, dMu, limit, still, motion };
}

// ---------------------------------------------------------------------------------------------
// Checks

/** Every violation of the machine's limits in the plan, beam by beam, in control-point order. */
export function checkDeliverability(plan: RtPlan, machine: LinacMachine): Violation[] {
  const out: Violation[] = [];
  for (const beam of plan.beams) checkBeam(beam, machine, out);
  return out;
}

function checkBeam(beam: Beam, machine: LinacMachine, out: Violation[]): void {
  const prefix = `beam ${beam.number} "${beam.name}"`;
  const add = (kind: ViolationKind, controlPoint: number | readonly [number, number] | undefined, what: string): void => {
    const where = controlPoint === undefined ? '' : typeof controlPoint === 'number' ? `, control point ${controlPoint}` : `, control points ${controlPoint[0]}->${controlPoint[1]}`;
    out.push({
      beamNumber: beam.number,
      beamName: beam.name,
      ...(controlPoint !== undefined ? { controlPoint } : {}),
      kind,
      message: `${prefix}${where}: ${what}`,
    });
  };
  const cps = beam.controlPoints;
  const mlc = machine.mlc;
  const n = mlc.leafPairs;

  // devices
  const mlcTypes = new Set(Object.keys(beam.leafBoundariesMm));
  const jawTypes = new Set<string>();
  for (const cp of cps) {
    for (const t of Object.keys(cp.mlcMm ?? {})) mlcTypes.add(t);
    for (const t of Object.keys(cp.jawsMm)) jawTypes.add(t);
  }
  const machineJaws = machine.jaws.map((j) => j.deviceType);
  for (const t of mlcTypes) {
    if (t !== mlc.deviceType) add('device', undefined, `uses MLC device ${t}; the machine has ${mlc.deviceType}`);
  }
  for (const t of jawTypes) {
    if (!(machineJaws as readonly string[]).includes(t)) {
      add('device', undefined, `uses jaw device ${t}, which the machine does not have (its jaws: ${machineJaws.length > 0 ? machineJaws.join(', ') : 'none'})`);
    }
  }
  let leavesUsable = mlcTypes.has(mlc.deviceType);
  if (!leavesUsable) {
    add('device', undefined, `has no ${mlc.deviceType} leaf positions; the machine shapes the field with its ${mlc.deviceType} of ${n} pairs`);
  } else {
    const bnd = beam.leafBoundariesMm[mlc.deviceType];
    if (bnd !== undefined && bnd.length !== n + 1) {
      add('device', undefined, `${mlc.deviceType} has ${bnd.length - 1} leaf pairs; the machine has ${n}`);
      leavesUsable = false;
    } else if (bnd !== undefined) {
      let first = -1;
      let count = 0;
      for (let k = 0; k <= n; k++) {
        if (Math.abs(bnd[k]! - mlc.leafBoundariesMm[k]!) > BOUNDARY_TOL_MM) {
          if (first < 0) first = k;
          count++;
        }
      }
      if (first >= 0) {
        add('device', undefined, `${count} of the ${n + 1} ${mlc.deviceType} leaf boundaries differ from the machine's, the first (boundary ${first + 1}) at ${mm(bnd[first]!)} against ${mm(mlc.leafBoundariesMm[first]!)}`);
      }
    }
    for (let i = 0; i < cps.length && leavesUsable; i++) {
      const x = cps[i]!.mlcMm?.[mlc.deviceType];
      if (x !== undefined && x.length !== 2 * n) {
        add('device', i, `${mlc.deviceType} states ${x.length} leaf positions; the machine has ${2 * n} (${n} pairs)`);
        leavesUsable = false;
      }
    }
  }

  // meterset
  const final = beam.finalCumulativeMetersetWeight;
  const wTol = WEIGHT_TOL * Math.max(1, Math.abs(final));
  if (beam.metersetMu === undefined) add('meterset', undefined, 'has no BeamMeterset in the fraction group: MU, dose-rate and segment checks are skipped');
  if (!(final > 0)) add('meterset-weight', undefined, `final cumulative meterset weight ${fmt(final)} is not positive`);
  if (cps.length > 0 && Math.abs(cps[0]!.cumulativeMetersetWeight) > wTol) {
    add('meterset-weight', 0, `cumulative meterset weight ${fmt(cps[0]!.cumulativeMetersetWeight)} at the first control point; expected 0`);
  }
  for (let i = 0; i + 1 < cps.length; i++) {
    const w0 = cps[i]!.cumulativeMetersetWeight;
    const w1 = cps[i + 1]!.cumulativeMetersetWeight;
    if (w1 < w0 - wTol) add('meterset-weight', [i, i + 1], `cumulative meterset weight decreases from ${fmt(w0)} to ${fmt(w1)}`);
  }
  const last = cps.length - 1;
  if (last >= 0 && Math.abs(cps[last]!.cumulativeMetersetWeight - final) > wTol) {
    add('meterset-weight', last, `cumulative meterset weight ${fmt(cps[last]!.cumulativeMetersetWeight)} at the last control point; expected the final weight ${fmt(final)}`);
  }

  // control points
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    const g = cp.gantryAngleDeg;
    if (!(g >= 0 && g <= 360)) add('gantry-angle', i, `gantry angle ${fmt(g)} deg is outside 0..360 deg`);
    if (leavesUsable) {
      const x = leavesOf(cp, machine);
      if (x !== undefined) checkLeaves(x, machine, (kind, what) => add(kind, i, what));
    }
    for (const jaw of machine.jaws) {
      const j = cp.jawsMm[jaw.deviceType];
      if (j === undefined) continue;
      const [lo, hi] = jaw.positionRangeMm;
      const ot = jaw.maxOverTravelMm;
      for (const which of [0, 1] as const) {
        const v = j[which];
        const name = `jaw ${jawName(jaw.deviceType, which)} (${jaw.deviceType})`;
        if (v < lo - TOL_MM || v > hi + TOL_MM) {
          add('jaw-range', i, `${name} at ${mm(v)} is outside its range ${fmt(lo)}..${fmt(hi)} mm`);
        } else if (ot !== undefined && (which === 0 ? v > ot + TOL_MM : v < -ot - TOL_MM)) {
          add('jaw-range', i, `${name} at ${mm(v)} passes the central axis by ${mm(Math.abs(v))}, more than its over-travel of ${fmt(ot)} mm`);
        }
      }
      if (j[0] > j[1] + TOL_MM) add('jaws-crossed', i, `jaws ${jawName(jaw.deviceType, 0)} at ${mm(j[0])} and ${jawName(jaw.deviceType, 1)} at ${mm(j[1])} cross`);
    }
  }

  // intervals
  for (let i = 0; i + 1 < cps.length; i++) {
    const a = cps[i]!;
    const b = cps[i + 1]!;
    const interval = [i, i + 1] as const;
    const from = a.gantryAngleDeg;
    const to = b.gantryAngleDeg;
    if (a.gantryRotationDirection === 'NONE') {
      if (gantryTravelDeg(a, b) > 1e-6) add('gantry-direction', interval, `gantry moves from ${fmt(from)} to ${fmt(to)} deg but its rotation direction is NONE`);
    } else {
      const d = directedTravelDeg(from, to, a.gantryRotationDirection);
      if (d > 180) {
        const other = a.gantryRotationDirection === 'CW' ? 'counter-clockwise (CC)' : 'clockwise (CW)';
        add('gantry-direction', interval, `gantry goes from ${fmt(from)} to ${fmt(to)} deg, ${d.toFixed(1)} deg in the stated direction ${a.gantryRotationDirection}: it appears to move ${other}`);
      }
    }
    if (beam.metersetMu === undefined) continue;
    const t = intervalTime(beam, machine, i);
    if (t.tLoS > t.tHiS * (1 + REL_TOL)) {
      add('speed', interval, `${t.motion} but ${muText(t.dMu)} at the minimum dose rate of ${fmt(machine.doseRate.minMuPerMin)} MU/min last at most ${sec(t.tHiS)}`);
    }
    const segment = beam.type === 'STATIC' || t.still;
    if (segment && t.dMu > 0 && t.dMu < machine.minSegmentMu * (1 - REL_TOL)) {
      add('segment-mu', interval, `segment of ${muText(t.dMu)} is below the machine's minimum of ${fmt(machine.minSegmentMu)} MU per segment`);
    }
  }
}

/** Leaf checks of one control point: range, over-travel, crossing, gap, bank spread, interdigitation. */
function checkLeaves(x: Float64Array, machine: LinacMachine, add: (kind: ViolationKind, what: string) => void): void {
  const mlc = machine.mlc;
  const n = mlc.leafPairs;
  const [lo, hi] = mlc.positionRangeMm;
  const ot = mlc.maxOverTravelMm;
  for (const bank of [0, 1] as const) {
    let min = Infinity;
    let max = -Infinity;
    let minAt = 0;
    let maxAt = 0;
    for (let p = 0; p < n; p++) {
      const v = x[bank * n + p]!;
      const name = `leaf ${leafName(bank, p)}`;
      if (v < lo - TOL_MM || v > hi + TOL_MM) {
        add('leaf-range', `${name} at ${mm(v)} is outside the leaf range ${fmt(lo)}..${fmt(hi)} mm`);
      } else if (bank === 0 ? v > ot + TOL_MM : v < -ot - TOL_MM) {
        add('leaf-over-travel', `${name} at ${mm(v)} passes the central axis by ${mm(Math.abs(v))}, more than the over-travel of ${fmt(ot)} mm`);
      }
      if (v < min) {
        min = v;
        minAt = p;
      }
      if (v > max) {
        max = v;
        maxAt = p;
      }
    }
    const spread = mlc.maxBankSpreadMm;
    if (spread !== undefined && max - min > spread + TOL_MM) {
      add('bank-spread', `the leaves of bank ${bank === 0 ? 'A' : 'B'} spread over ${mm(max - min)} (leaf ${leafName(bank, minAt)} at ${mm(min)}, leaf ${leafName(bank, maxAt)} at ${mm(max)}), more than the ${fmt(spread)} mm one bank can span`);
    }
  }
  for (let p = 0; p < n; p++) {
    const a = x[p]!;
    const b = x[n + p]!;
    const gap = b - a;
    if (gap < -TOL_MM) {
      add('leaves-crossed', `leaves ${leafName(0, p)} at ${mm(a)} and ${leafName(1, p)} at ${mm(b)} cross by ${mm(-gap)}`);
      continue;
    }
    if (gap < mlc.minGapMm - TOL_MM) {
      add('leaf-gap', `pair ${p + 1} gap ${mm(gap)} (${leafName(0, p)} at ${mm(a)}, ${leafName(1, p)} at ${mm(b)}) is below the minimum gap of ${fmt(mlc.minGapMm)} mm`);
    }
    if (!mlc.interdigitation) {
      // bank A leaf p against the bank B leaves of pairs p - 1 and p + 1
      for (let q = p - 1; q <= p + 1; q += 2) {
        if (q < 0 || q >= n) continue;
        const bq = x[n + q]!;
        if (a > bq + TOL_MM) add('interdigitation', `leaf ${leafName(0, p)} at ${mm(a)} passes the opposing leaf ${leafName(1, q)} at ${mm(bq)}; the machine does not allow interdigitation`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Delivery time and complexity

export interface BeamDeliveryTime {
  readonly beamNumber: number;
  readonly beamName: string;
  /** Sum of t_lo over the beam's intervals, s. */
  readonly timeS: number;
  /** Seconds of timeS set by each limit (gantry speed, leaf speed, jaw speed, maximum dose rate). */
  readonly limitedByS: Readonly<Record<Limit, number>>;
}

/** Estimated delivery time of each beam (s): the time model's t_lo summed over its intervals. */
export function deliveryTime(plan: RtPlan, machine: LinacMachine): BeamDeliveryTime[] {
  return plan.beams.map((beam) => {
    const limitedByS: Record<Limit, number> = { gantry: 0, leaf: 0, jaw: 0, doseRate: 0 };
    let timeS = 0;
    for (let i = 0; i + 1 < beam.controlPoints.length; i++) {
      const t = intervalTime(beam, machine, i);
      timeS += t.tLoS;
      if (t.limit !== undefined) limitedByS[t.limit] += t.tLoS;
    }
    return { beamNumber: beam.number, beamName: beam.name, timeS, limitedByS };
  });
}

export interface BeamComplexity {
  readonly beamNumber: number;
  readonly beamName: string;
  /** BeamMeterset (MU), undefined when the plan states none. */
  readonly mu: number | undefined;
  /** MU-weighted mean aperture area inside the jaws, cm^2 (NaN when no MU is delivered or X is unbounded). */
  readonly meanApertureAreaCm2: number;
  /** Leaf travel summed over every leaf and interval, mm. */
  readonly leafTravelMm: number;
}

/** First jaw pair of the listed device types a control point states. */
const jawPair = (cp: ControlPoint, types: readonly string[]): readonly [number, number] => {
  for (const t of types) {
    const j = cp.jawsMm[t];
    if (j !== undefined) return j;
  }
  return [-Infinity, Infinity];
};

/** Open area (mm^2) of one control point: MLCX leaves (on the given boundaries) inside the X and Y jaws. */
function apertureAreaMm2(cp: ControlPoint, boundaries: Float64Array | undefined): number {
  const [x1, x2] = jawPair(cp, ['ASYMX', 'X']);
  const [y1, y2] = jawPair(cp, ['ASYMY', 'Y']);
  const leaves = cp.mlcMm?.['MLCX'];
  if (leaves === undefined || boundaries === undefined || leaves.length !== 2 * (boundaries.length - 1)) {
    return Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  }
  const n = boundaries.length - 1;
  let area = 0;
  for (let p = 0; p < n; p++) {
    const w = Math.min(boundaries[p + 1]!, y2) - Math.max(boundaries[p]!, y1);
    if (w <= 0) continue;
    const open = Math.min(leaves[n + p]!, x2) - Math.max(leaves[p]!, x1);
    if (open > 0) area += open * w;
  }
  return area;
}

/** MU, mean aperture area and leaf travel of each beam. */
export function planComplexity(plan: RtPlan): BeamComplexity[] {
  return plan.beams.map((beam) => {
    const cps = beam.controlPoints;
    const boundaries = beam.leafBoundariesMm['MLCX'];
    let weighted = 0;
    let weights = 0;
    let travel = 0;
    let previousArea = cps.length > 0 ? apertureAreaMm2(cps[0]!, boundaries) : 0;
    for (let i = 0; i + 1 < cps.length; i++) {
      const area = apertureAreaMm2(cps[i + 1]!, boundaries);
      const dw = cps[i + 1]!.cumulativeMetersetWeight - cps[i]!.cumulativeMetersetWeight;
      if (dw > 0) {
        weighted += dw * 0.5 * (previousArea + area);
        weights += dw;
      }
      previousArea = area;
      const xa = cps[i]!.mlcMm?.['MLCX'];
      const xb = cps[i + 1]!.mlcMm?.['MLCX'];
      if (xa !== undefined && xb !== undefined && xa.length === xb.length) {
        for (let k = 0; k < xa.length; k++) travel += Math.abs(xb[k]! - xa[k]!);
      }
    }
    const mean = weights > 0 && Number.isFinite(weighted) ? weighted / weights / 100 : NaN;
    return { beamNumber: beam.number, beamName: beam.name, mu: beam.metersetMu, meanApertureAreaCm2: mean, leafTravelMm: travel };
  });
}
