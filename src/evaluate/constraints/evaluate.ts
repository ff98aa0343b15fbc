/**
 * Check a constraint set against a plan's structures, in the style of the seed case report's
 * Table 1: organ, metric, value, limit, pass / fail / not achievable, margin.
 *
 * Inputs: the set (tg101.ts or custom.ts), the plan's structures as DVH samples of the PLANNED
 * physical dose (dvh.ts), and the basis:
 * - 'planned-physical' (default): the planned dose against the limits as written; the plan's
 *   planned fractions must equal the set's (a 5-fraction limit says nothing about 3 fractions).
 * - 'eqd2': the DELIVERED dose (schedule: planned and delivered fractions) converted voxel by voxel
 *   to EQD2 with the organ's α/β, against the limit converted to EQD2 from the set's schedule.
 * Every row says which basis it used (physics reference §1.4). Doses of critical-volume thresholds
 * and Vx metrics convert like limits. Organs with no structure are listed in `missing`.
 */

import { InputError, fmt } from '../../core/errors.js';
import type { RoiInterpretedType } from '../../geometry/structure.js';
import { combineDvhs, computeDvh, DEFAULT_BIN_WIDTH_GY, type DoseSamples, type Dvh } from '../dvh.js';
import { deliveredEqd2Samples, checkSchedule, type Schedule } from '../fractions.js';
import { doseAtVolumeCc, doseAtVolumePercent, evaluateMetric, parseMetric, volumeBelowDoseCc, type MetricSpec } from '../metrics.js';
import { alphaBetaFor, eqd2Gy, eqd2Label } from '../radiobiology.js';
import { matchStructures, type NameMapping, type NameMatch } from './names.js';
import type { Constraint, ConstraintResult, ConstraintSet, ConstraintStatus } from './types.js';

export interface PlanStructure {
  readonly name: string;
  readonly interpretedType?: RoiInterpretedType;
  /** Samples of the planned physical dose, or a function that makes them when first needed. */
  readonly samples: DoseSamples | (() => DoseSamples);
  /**
   * DVHs the caller has already made from those samples (evaluatePlan), used instead of making them
   * again when their bin width is the one asked for: the planned physical dose, and the delivered
   * EQD2 (fractions.ts deliveredEqd2Map) of the same schedule for one α/β.
   */
  readonly dvhs?: {
    readonly planned?: Dvh;
    readonly deliveredEqd2?: { readonly alphaBetaGy: number; readonly dvh: Dvh };
  };
}

export type ConstraintBasis = 'planned-physical' | 'eqd2';

export interface EvaluateConstraintsOptions {
  readonly basis?: ConstraintBasis;
  /** Planned and delivered fractions; default: the set's fractions, all delivered. */
  readonly schedule?: Schedule;
  /** α/β overrides by structure or TG-263 name (Gy); defaults from radiobiology.ts. */
  readonly alphaBeta?: Readonly<Record<string, number>>;
  readonly mapping?: NameMapping;
  readonly binWidthGy?: number;
}

export interface ConstraintEvaluation {
  readonly set: string;
  readonly basis: ConstraintBasis;
  readonly results: readonly ConstraintResult[];
  readonly matches: readonly NameMatch[];
  /** TG-263 organs the set names that no structure matched. */
  readonly missing: readonly string[];
  readonly warnings: readonly string[];
}

const pointVolumeCc = { 'D0.035cc': 0.035, 'D0.03cc': 0.03 } as const;

export function evaluateConstraints(
  set: ConstraintSet,
  structures: readonly PlanStructure[],
  options: EvaluateConstraintsOptions = {},
): ConstraintEvaluation {
  const basis = options.basis ?? 'planned-physical';
  const schedule = options.schedule ?? { fractionsPlanned: set.fractions, fractionsDelivered: set.fractions };
  checkSchedule(schedule);
  if (basis === 'planned-physical' && schedule.fractionsPlanned !== set.fractions) {
    throw new InputError(
      `constraint set ${set.name} holds ${set.fractions}-fraction limits but the plan has ${schedule.fractionsPlanned} ` +
        'planned fractions: physical limits do not transfer between schedules; evaluate in EQD2 instead',
    );
  }
  const { byOrgan, ambiguous } = matchStructures(
    structures.map((s) => s.name),
    options.mapping,
  );
  const warnings = ambiguous.map(
    (m) => `structure "${m.structure}" also matches TG-263 ${m.tg263} (by ${m.how}); "${byOrgan.get(m.tg263)!.structure}" is used`,
  );
  const byName = new Map(structures.map((s) => [s.name, s]));
  const binWidthGy = options.binWidthGy;
  const cache = new Map<string, Dvh>();

  // α/β: an override by structure name, else by TG-263 organ name, else the structure's default.
  const abOf = (s: PlanStructure, organ: string): number => {
    const ov = options.alphaBeta ?? {};
    const byStructure = alphaBetaFor(s, ov);
    if (byStructure.source === 'override') return byStructure.alphaBetaGy;
    const byOrgan = alphaBetaFor({ name: organ }, ov);
    return byOrgan.source === 'override' ? byOrgan.alphaBetaGy : byStructure.alphaBetaGy;
  };
  const dvhOf = (s: PlanStructure, ab: number): Dvh => {
    const key = basis === 'eqd2' ? `${s.name}|${ab}` : s.name;
    let d = cache.get(key);
    if (d === undefined) {
      const given = basis === 'eqd2' ? (s.dvhs?.deliveredEqd2?.alphaBetaGy === ab ? s.dvhs.deliveredEqd2.dvh : undefined) : s.dvhs?.planned;
      if (given !== undefined && given.binWidthGy === (binWidthGy ?? DEFAULT_BIN_WIDTH_GY)) d = given;
      else {
        const planned = typeof s.samples === 'function' ? s.samples() : s.samples;
        const samples = basis === 'eqd2' ? deliveredEqd2Samples(planned, schedule, ab) : planned;
        d = computeDvh(samples, binWidthGy !== undefined ? { binWidthGy } : {});
      }
      cache.set(key, d);
    }
    return d;
  };
  const basisText = (ab: number): string =>
    basis === 'eqd2'
      ? `delivered ${eqd2Label(ab)}, ${schedule.fractionsDelivered} of ${schedule.fractionsPlanned} fx; limit converted from ${set.fractions} fx`
      : `planned physical dose, ${set.fractions} fx`;
  const toBasis = (doseGy: number, ab: number): number => (basis === 'eqd2' ? eqd2Gy(doseGy, set.fractions, ab) : doseGy);

  const results: ConstraintResult[] = [];
  const missing = new Set<string>();
  for (const c of set.constraints) {
    const present = c.organs.filter((o) => byOrgan.has(o));
    for (const o of c.organs) if (!byOrgan.has(o)) missing.add(o);
    if (present.length === 0) continue;
    const groups: string[][] = c.combine === 'sum' ? [present] : present.map((o) => [o]);
    for (const group of groups) {
      const members = group.map((o) => byName.get(byOrgan.get(o)!.structure)!);
      // Each member with its own α/β; a summed limit (both kidneys, both lungs) needs one α/β.
      const abs = members.map((m, n) => abOf(m, group[n]!));
      const ab = abs[0]!;
      if (basis === 'eqd2' && abs.some((x) => x !== ab)) {
        throw new InputError(
          `constraint "${c.label}" sums ${members.map((m, n) => `${m.name} (α/β ${fmt(abs[n]!)} Gy)`).join(' and ')}: ` +
            'expected one α/β for the organs it adds up; give them the same --alpha-beta',
        );
      }
      const dvhs = members.map((m, n) => dvhOf(m, abs[n]!));
      const dvh = dvhs.length === 1 ? dvhs[0]! : combineDvhs(group.join(' + '), dvhs);
      const notes: string[] = [];
      if (c.note !== undefined) notes.push(c.note);
      for (const o of group) {
        const matchNote = byOrgan.get(o)!.note;
        if (matchNote !== undefined) notes.push(matchNote);
      }
      if (c.combine === 'sum' && group.length < c.organs.length) {
        notes.push(`only ${group.join(', ')} present of ${c.organs.join(', ')}`);
      }
      if (dvh.outsideFraction > 0) notes.push(`${(100 * dvh.outsideFraction).toFixed(1)} % of the volume is outside the dose grid`);
      results.push(
        checkOne(c, dvh, ab, toBasis, {
          organ: group.join(' + '),
          structures: members.map((m) => m.name),
          basis: basisText(ab),
          notes,
        }),
      );
    }
  }
  return { set: set.name, basis, results, matches: [...byOrgan.values()], missing: [...missing], warnings };
}

function checkOne(
  c: Constraint,
  dvh: Dvh,
  ab: number,
  toBasis: (doseGy: number, ab: number) => number,
  row: { organ: string; structures: string[]; basis: string; notes: string[] },
): ConstraintResult {
  const base = {
    id: c.id,
    label: c.label,
    organ: row.organ,
    structures: row.structures,
    basis: row.basis,
    sources: c.sources,
    unverified: c.unverified === true,
  };
  const finish = (r: {
    metric: string;
    value: number;
    unit: 'Gy' | 'cc' | '%';
    limit: number;
    comparison: '<' | '>=';
    status?: ConstraintStatus;
  }): ConstraintResult => {
    const margin = r.comparison === '<' ? r.limit - r.value : r.value - r.limit;
    const status: ConstraintStatus =
      r.status ?? (Number.isNaN(r.value) ? 'not evaluated' : r.comparison === '<' ? (r.value < r.limit ? 'pass' : 'fail') : r.value >= r.limit ? 'pass' : 'fail');
    const note = row.notes.length > 0 ? row.notes.join('; ') : undefined;
    return { ...base, ...r, status, margin, ...(note !== undefined ? { note } : {}) };
  };
  switch (c.kind) {
    case 'max-point': {
      const value = c.pointMetric === 'Dmax' ? dvh.maxGy : doseAtVolumeCc(dvh, pointVolumeCc[c.pointMetric]);
      return finish({ metric: c.pointMetric, value, unit: 'Gy', limit: toBasis(c.limitGy, ab), comparison: '<' });
    }
    case 'dose-at-volume': {
      const metric = c.volumeUnit === 'cc' ? `D${fmt(c.volume)}cc` : `D${fmt(Number(c.volume.toFixed(1)))}%`;
      const limit = toBasis(c.limitGy, ab);
      if (c.volumeUnit === 'cc' && dvh.dosedVolumeCc <= c.volume) {
        row.notes.push(`organ volume ${fmt(dvh.dosedVolumeCc)} cc is not above ${fmt(c.volume)} cc: the volume limit holds at any dose`);
        return finish({ metric, value: NaN, unit: 'Gy', limit, comparison: '<', status: 'pass' });
      }
      const value = c.volumeUnit === 'cc' ? doseAtVolumeCc(dvh, c.volume) : doseAtVolumePercent(dvh, c.volume);
      return finish({ metric, value, unit: 'Gy', limit, comparison: '<' });
    }
    case 'critical-volume': {
      const thr = toBasis(c.thresholdGy, ab);
      const metric = `V(<${fmt(Number(thr.toFixed(2)))} Gy)`;
      // The part of the organ outside the dose grid receives no calculated dose: it counts as
      // below the threshold (as a planning system's zero dose outside its grid would), said in a note.
      const value = volumeBelowDoseCc(dvh, thr) + dvh.outsideCc;
      if (dvh.outsideCc > 0) {
        row.notes.push(`${fmt(Number(dvh.outsideCc.toFixed(1)))} cc outside the dose grid counted as below ${fmt(Number(thr.toFixed(2)))} Gy`);
      }
      if (dvh.volumeCc < c.criticalVolumeCc) {
        row.notes.push(
          `organ volume ${fmt(Number(dvh.volumeCc.toFixed(1)))} cc is smaller than the critical volume ${fmt(c.criticalVolumeCc)} cc: cannot be met at any dose`,
        );
        return finish({ metric, value, unit: 'cc', limit: c.criticalVolumeCc, comparison: '>=', status: 'not achievable' });
      }
      return finish({ metric, value, unit: 'cc', limit: c.criticalVolumeCc, comparison: '>=' });
    }
    case 'metric': {
      let spec: MetricSpec = parseMetric(c.metric);
      if (spec.kind === 'volume-at-dose' || spec.kind === 'volume-below-dose') spec = { ...spec, doseGy: toBasis(spec.doseGy, ab) };
      const v = evaluateMetric(dvh, spec);
      const limit = v.unit === 'Gy' ? toBasis(c.limit, ab) : c.limit;
      return finish({ metric: c.metric, value: v.value, unit: v.unit, limit, comparison: c.bound === 'max' ? '<' : '>=' });
    }
  }
}
