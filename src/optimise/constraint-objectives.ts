/**
 * Organ constraint sets (evaluate/constraints: TG-101 tables, custom sets) turned into optimisation
 * objective specs, so that the optimiser aims at the limits the plan is then checked against.
 *
 * Inputs: the set; the plan's number of fractions; a safety margin in % below each limit; the plan's
 * structures with their volumes (cc); the name mapping the evaluation uses; the structures that are
 * targets (never matched as organs). Organs are matched with the evaluation's `matchStructures`
 * (names.ts), so the optimised structure is the evaluated one.
 * Output: ObjectiveSpecs (Gy TOTAL over the plan's schedule) and the constraints that give none, with
 * the reason (no structure, not achievable, always met, a metric with no objective).
 *
 * Conversions:
 * - Schedule. A limit of a set whose fractions differ from the plan's is converted to the plan's
 *   schedule through EQD2 (LQ model, α/β = 3 Gy for late-responding organs, radiobiology.ts; physics
 *   reference §1.1): L_plan solves EQD2(L_plan, n_plan) = EQD2(L_set, n_set), i.e.
 *   L_plan = n/2 (-α/β + sqrt(α/β² + 4 E (2 + α/β) / n)) with E = EQD2(L_set, n_set), n = n_plan. The
 *   conversion treats the limit as a uniform dose, as the evaluation's EQD2 basis does for its limits.
 * - Margin. A dose level L (after the schedule conversion) becomes L (1 - marginPct / 100) for an
 *   upper limit and L (1 + marginPct / 100) for a lower one: the margin is always on the safe side
 *   and always on the dose (volumes of dose-volume limits are kept as written).
 * Kinds:
 * - max-point -> max-dose at the level (the point metric, D0.035cc by default, is at most the maximum).
 * - dose-at-volume "< V cc (or V %) above L" -> max-dvh at the level with volumeCc (volumePct) V;
 *   skipped when the organ is no larger than V cc (the evaluation passes it at any dose).
 * - critical-volume "at least Vc cc below T" -> max-dvh at the level of T with volumeCc = organ
 *   volume - Vc; skipped as not achievable when the organ is no larger than Vc (the evaluation still
 *   reports the constraint).
 * - metric: Dmean max -> mean-upper, Dmean min -> mean-lower, Dmax max -> max-dose, Dmin min and
 *   D<x>% / D<x>cc min -> min-dvh (Dmin as 100 %), D<x>% / D<x>cc max -> max-dvh, V<x>Gy (cc or %)
 *   max -> max-dvh at x Gy with the limit as the volume, V<x>Gy min -> min-dvh, V<<x>Gy min (a critical
 *   volume) as critical-volume, gEUD(a) max / min -> geud-upper / geud-lower; anything else is skipped.
 * combine 'sum' (paired organs counted together): one spec on the matched structures joined with
 * ' + ' (e.g. 'Kidney_L + Kidney_R'; the pipeline optimises their union), their volumes added.
 * combine 'each': one spec per matched organ. Every spec's note is the constraint id and label.
 */

import { InputError, fmt } from '../core/errors.js';
import { matchStructures, type NameMapping } from '../evaluate/constraints/names.js';
import type { Constraint, ConstraintSet } from '../evaluate/constraints/types.js';
import { parseMetric } from '../evaluate/metrics.js';
import { DEFAULT_ALPHA_BETA_LATE_NORMAL_GY, checkFractions, eqd2Gy, eqd2Label } from '../evaluate/radiobiology.js';
import type { ObjectiveSpec } from './objectives/types.js';

export interface ConstraintObjectivesArgs {
  /** The plan's number of fractions. */
  readonly fractions: number;
  /** Safety margin, % of each dose limit, in [0, 100). */
  readonly marginPct: number;
  /** Weight of every spec (default: none given, i.e. the objective's default 1). */
  readonly weight?: number;
  /** Structure name -> volume (cc), every structure of the plan. */
  readonly structures: ReadonlyMap<string, number>;
  readonly mapping?: NameMapping;
  /** Structures never matched as organs (the targets). */
  readonly exclude?: ReadonlySet<string>;
}

export interface SkippedConstraint {
  readonly constraintId: string;
  /** TG-263 organ name(s), ' + ' between summed organs. */
  readonly organ: string;
  readonly reason: string;
}

export interface ConstraintObjectives {
  readonly objectives: ObjectiveSpec[];
  readonly skipped: SkippedConstraint[];
}

/** α/β used to move organ limits between schedules (late-responding normal tissue). */
export const CONSTRAINT_ALPHA_BETA_GY = DEFAULT_ALPHA_BETA_LATE_NORMAL_GY;

/**
 * Total dose in `fractions` equal fractions whose EQD2 (α/β) is `eqd2`: the positive root of
 * D^2 / n + α/β D - E (2 + α/β) = 0.
 */
export function totalDoseForEqd2Gy(eqd2: number, fractions: number, alphaBetaGy: number): number {
  const n = fractions;
  const ab = alphaBetaGy;
  return (n / 2) * (-ab + Math.sqrt(ab * ab + (4 * eqd2 * (2 + ab)) / n));
}

const round = (x: number): number => Number(x.toPrecision(12));

export function constraintObjectives(set: ConstraintSet, args: ConstraintObjectivesArgs): ConstraintObjectives {
  checkFractions(args.fractions, 'plan fractions');
  if (!(Number.isFinite(args.marginPct) && args.marginPct >= 0 && args.marginPct < 100)) {
    throw new InputError(`constraint margin must be a percentage in [0, 100), found ${fmt(args.marginPct)}`);
  }
  if (args.weight !== undefined && !(Number.isFinite(args.weight) && args.weight >= 0)) {
    throw new InputError(`constraint weight must be a number >= 0, found ${fmt(args.weight)}`);
  }
  const exclude = args.exclude ?? new Set<string>();
  const names = [...args.structures.keys()].filter((s) => !exclude.has(s));
  const { byOrgan } = matchStructures(names, args.mapping);

  const ab = CONSTRAINT_ALPHA_BETA_GY;
  const converted = set.fractions !== args.fractions;
  /** A limit of the set's schedule in the plan's schedule. */
  const toPlan = (gy: number): number =>
    converted ? totalDoseForEqd2Gy(eqd2Gy(gy, set.fractions, ab), args.fractions, ab) : gy;
  const upper = (gy: number): number => round(toPlan(gy) * (1 - args.marginPct / 100));
  const lower = (gy: number): number => round(toPlan(gy) * (1 + args.marginPct / 100));
  const conversionNote = converted
    ? `; limit converted from ${set.fractions} to ${args.fractions} fx through ${eqd2Label(ab)}`
    : '';

  const objectives: ObjectiveSpec[] = [];
  const skipped: SkippedConstraint[] = [];
  for (const c of set.constraints) {
    const present = c.organs.filter((o) => byOrgan.has(o));
    const missing = c.organs.filter((o) => !byOrgan.has(o));
    if (c.combine === 'each' || present.length === 0) {
      for (const o of missing) skipped.push({ constraintId: c.id, organ: o, reason: 'no structure' });
    }
    const groups: string[][] = present.length === 0 ? [] : c.combine === 'sum' ? [present] : present.map((o) => [o]);
    for (const group of groups) {
      const structures = group.map((o) => byOrgan.get(o)!.structure);
      const structure = structures.join(' + ');
      const volumeCc = structures.reduce((s, n) => s + args.structures.get(n)!, 0);
      const partial = c.combine === 'sum' && group.length < c.organs.length ? `; only ${group.join(', ')} present of ${c.organs.join(', ')}` : '';
      const base = {
        structure,
        ...(args.weight !== undefined ? { weight: args.weight } : {}),
        note: `${c.id} (${c.label})${c.unverified === true ? ' [U]' : ''}${conversionNote}${partial}`,
      };
      const r = specFor(c, { structure, volumeCc, upper, lower, converted, planFractions: args.fractions });
      if (typeof r === 'string') skipped.push({ constraintId: c.id, organ: group.join(' + '), reason: r });
      else objectives.push({ ...r, ...base } as ObjectiveSpec);
    }
  }
  return { objectives, skipped };
}

type SpecBody =
  | { kind: 'max-dose' | 'mean-upper' | 'mean-lower'; doseGy: number }
  | { kind: 'max-dvh' | 'min-dvh'; doseGy: number; volumePct?: number; volumeCc?: number }
  | { kind: 'geud-upper' | 'geud-lower'; doseGy: number; a: number };

interface Ctx {
  readonly structure: string;
  readonly volumeCc: number;
  readonly upper: (gy: number) => number;
  readonly lower: (gy: number) => number;
  readonly converted: boolean;
  readonly planFractions: number;
}

/** The spec body of one constraint on one structure (group), or the reason it gives none. */
function specFor(c: Constraint, x: Ctx): SpecBody | string {
  const cc = (v: number): string => fmt(Number(v.toFixed(1)));
  const criticalVolume = (criticalCc: number, thresholdGy: number): SpecBody | string => {
    if (x.volumeCc <= criticalCc) {
      return (
        `not achievable: "${x.structure}" is ${x.volumeCc.toFixed(1)} cc, the limit needs ${fmt(criticalCc)} cc below ${fmt(thresholdGy)} Gy` +
        (x.converted ? ` (${fmt(Number(x.upper(thresholdGy).toFixed(2)))} Gy with the margin, in ${x.planFractions} fx)` : '')
      );
    }
    return { kind: 'max-dvh', doseGy: x.upper(thresholdGy), volumeCc: round(x.volumeCc - criticalCc) };
  };
  switch (c.kind) {
    case 'max-point':
      return { kind: 'max-dose', doseGy: x.upper(c.limitGy) };
    case 'dose-at-volume':
      if (c.volumeUnit === 'cc') {
        if (x.volumeCc <= c.volume) {
          return `always met: "${x.structure}" is ${cc(x.volumeCc)} cc, not more than the ${fmt(c.volume)} cc allowed above ${fmt(c.limitGy)} Gy`;
        }
        return { kind: 'max-dvh', doseGy: x.upper(c.limitGy), volumeCc: c.volume };
      }
      return { kind: 'max-dvh', doseGy: x.upper(c.limitGy), volumePct: c.volume };
    case 'critical-volume':
      return criticalVolume(c.criticalVolumeCc, c.thresholdGy);
    case 'metric':
      return metricSpec(c, x, criticalVolume);
  }
}

function metricSpec(
  c: Extract<Constraint, { kind: 'metric' }>,
  x: Ctx,
  criticalVolume: (criticalCc: number, thresholdGy: number) => SpecBody | string,
): SpecBody | string {
  const max = c.bound === 'max';
  const what = `${c.metric} ${max ? '<' : '>='} ${fmt(c.limit)}`;
  const none = (why: string): string => `no objective for ${what}: ${why}`;
  let m;
  try {
    m = parseMetric(c.metric);
  } catch {
    return none('unknown metric');
  }
  switch (m.kind) {
    case 'mean':
      return { kind: max ? 'mean-upper' : 'mean-lower', doseGy: max ? x.upper(c.limit) : x.lower(c.limit) };
    case 'max':
      return max ? { kind: 'max-dose', doseGy: x.upper(c.limit) } : none('a lower limit on the maximum dose asks for a hot spot');
    case 'min':
      return max ? none('an upper limit on the minimum dose asks for a cold spot') : { kind: 'min-dvh', doseGy: x.lower(c.limit), volumePct: 100 };
    case 'dose-at-volume': {
      const volume = m.unit === 'cc' ? { volumeCc: m.volume } : { volumePct: m.volume };
      return max ? { kind: 'max-dvh', doseGy: x.upper(c.limit), ...volume } : { kind: 'min-dvh', doseGy: x.lower(c.limit), ...volume };
    }
    case 'volume-at-dose': {
      // V(>= x Gy) compared with a volume: the dose x is the level, the limit the volume.
      if (!(c.limit > 0)) return none(`expected a positive volume limit`);
      if (m.unit === '%' && c.limit > 100) return none('a volume above 100 %');
      const volume = m.unit === 'cc' ? { volumeCc: c.limit } : { volumePct: c.limit };
      return max ? { kind: 'max-dvh', doseGy: x.upper(m.doseGy), ...volume } : { kind: 'min-dvh', doseGy: x.lower(m.doseGy), ...volume };
    }
    case 'volume-below-dose':
      // V(< x Gy) >= Vc is a critical volume; an upper limit on the spared volume asks for dose.
      return max ? none('an upper limit on the volume below a dose asks for dose in the organ') : criticalVolume(c.limit, m.doseGy);
    case 'geud':
      return { kind: max ? 'geud-upper' : 'geud-lower', doseGy: max ? x.upper(c.limit) : x.lower(c.limit), a: m.a };
  }
}
