/**
 * Dose-volume constraints: the shape shared by the TG-101 tables, custom sets and the results.
 *
 * A constraint names an organ by its TG-263 name (names.ts maps plan structure names to it) and
 * states the schedule its limit belongs to (`fractions`): a 5-fraction limit is checked on a
 * 5-fraction plan in physical dose, or in EQD2 with the limit converted from its own schedule.
 * Kinds:
 * - 'max-point': a maximum point dose, evaluated as `pointMetric` (D0.035cc by default, the usual
 *   reading of TG-101's "point" [IBA, TG101-RS]; D0.03cc and Dmax are the alternatives). Pass: value < limit.
 * - 'dose-at-volume': a serial volume limit "less than V cc (or V %) above L Gy", i.e. V(>= L) < V,
 *   evaluated as D_V < L (the same statement, with the margin in Gy).
 * - 'critical-volume': parallel organs, "at least Vc cc below T Gy": pass if V(< T) >= Vc; an organ
 *   smaller than Vc is 'not achievable' whatever the dose.
 * - 'metric': any metric of metrics.ts (parseMetric) with an upper ('max') or lower ('min') limit.
 */

export type PointMetric = 'D0.035cc' | 'D0.03cc' | 'Dmax';

interface ConstraintBase {
  /** Stable id, e.g. 'tg101-5fx/Stomach/D10cc'. */
  readonly id: string;
  /** TG-263 name(s) of the organ; several with `combine`. */
  readonly organs: readonly string[];
  /** 'each': every listed organ present is checked on its own; 'sum': their DVHs are added (paired organs). */
  readonly combine: 'each' | 'sum';
  /** Label for reports, e.g. 'Spinal cord & medulla'. */
  readonly label: string;
  /** Number of fractions the limit belongs to. */
  readonly fractions: number;
  readonly endpoint?: string;
  /** Source keys as in the physics reference (e.g. 'TG101-WB'). */
  readonly sources: readonly string[];
  /** True where the value is marked [U] (not found in a stored source). */
  readonly unverified?: boolean;
  readonly note?: string;
}

export type Constraint =
  | (ConstraintBase & { readonly kind: 'max-point'; readonly limitGy: number; readonly pointMetric: PointMetric })
  | (ConstraintBase & {
      readonly kind: 'dose-at-volume';
      readonly volume: number;
      readonly volumeUnit: 'cc' | '%';
      readonly limitGy: number;
    })
  | (ConstraintBase & { readonly kind: 'critical-volume'; readonly criticalVolumeCc: number; readonly thresholdGy: number })
  | (ConstraintBase & { readonly kind: 'metric'; readonly metric: string; readonly bound: 'max' | 'min'; readonly limit: number });

export interface ConstraintSet {
  readonly name: string;
  /** Schedule of the set's limits. */
  readonly fractions: number;
  readonly source: string;
  readonly constraints: readonly Constraint[];
}

export type ConstraintStatus = 'pass' | 'fail' | 'not achievable' | 'not evaluated';

export interface ConstraintResult {
  readonly id: string;
  readonly label: string;
  readonly organ: string;
  /** Plan structures the value came from. */
  readonly structures: readonly string[];
  /** Metric as written in reports, e.g. 'D0.035cc', 'D5cc', 'V(<21 Gy)'. */
  readonly metric: string;
  readonly value: number;
  readonly unit: 'Gy' | 'cc' | '%';
  readonly limit: number;
  /** '<' (value must stay below) or '>=' (value must reach). */
  readonly comparison: '<' | '>=';
  readonly status: ConstraintStatus;
  /** Distance to the limit in the value's unit, positive when passing. */
  readonly margin: number;
  /** What was compared, e.g. 'planned physical dose, 5 fx' or 'delivered EQD2 (LQ, α/β = 3 Gy), 2 of 5 fx'. */
  readonly basis: string;
  readonly sources: readonly string[];
  readonly unverified: boolean;
  readonly note?: string;
}
