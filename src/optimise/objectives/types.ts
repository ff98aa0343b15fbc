/**
 * Optimisation objectives: the shared shape of every term.
 *
 * Inputs: the dose at all optimisation points (Gy, one Float64Array, indexed like the points of the
 * problem) and, per term, the subset of points of its structure with each point's relative volume
 * (weights summing to 1: points may stand for different volumes where the point cloud is coarser far
 * from the targets). Output: the term's value (dimensionless: squared dose deviations are divided by
 * the square of the term's reference level, so that weights of different terms are comparable) and,
 * on request, its gradient with respect to the dose at the points. The problem (problem.ts) multiplies
 * by the term's weight and maps the dose gradient to beamlet weights through the operator's adjoint.
 *
 * Specs (`ObjectiveSpec`) are plain data as written in plan templates (YAML/JSON, Gy, %, cc, mm);
 * `createObjective` (index.ts) turns one spec plus its structure's points into an `Objective`.
 */

/** The optimisation points of one structure. */
export interface PointSet {
  /** Indices into the problem's point (and dose) arrays, ascending. */
  readonly indices: Int32Array;
  /** Relative volume of each point (same length as indices), summing to 1. */
  readonly weights: Float64Array;
  /** Volume of the structure the points stand for, cc (converts cc volumes to fractions). */
  readonly volumeCc: number;
}

export interface Objective {
  /** One line for reports, e.g. "PTV_2000 D95% >= 20 Gy". */
  readonly label: string;
  readonly structure: string;
  readonly spec: ObjectiveSpec;
  /**
   * Value of the term at `dose` (unweighted). When `grad` is given, adds `scale` times the gradient
   * with respect to dose[i] to grad[i] for the term's points (other entries untouched). Allocates
   * nothing per call, except terms that need a sorted copy (DVH terms keep their own scratch).
   */
  evaluate(dose: Float64Array, grad?: Float64Array, scale?: number): number;
}

interface SpecBase {
  /** Structure (ROI) name as in the structure set or built by the plan (PTV_2000, PTV_6670, ...). */
  readonly structure: string;
  /** Relative importance (>= 0; default 1). */
  readonly weight?: number;
  /** Free text for reports (e.g. which constraint row it came from). */
  readonly note?: string;
}

/**
 * Kinds (L = doseGy):
 * - underdose: mean over points of max(0, L - d)^2 / L^2
 * - overdose:  mean over points of max(0, d - L)^2 / L^2
 * - min-dvh:   at least volume V receives L (D_V >= L, V_L >= V); Wu & Mohan (2000): points with
 *              d < L that are among the hottest V of the structure (D_V <= d < L) are pulled up:
 *              sum over them of w (L - d)^2 / L^2, i.e. the mean over the whole structure of a penalty
 *              that is 0 at the other points (so V = 100 % is underdose)
 * - max-dvh:   at most volume V receives more than L (D_V <= L); points with d > L outside the hottest
 *              V, i.e. those with L < d <= D_V, are pushed down: sum over them of w (d - L)^2 / L^2
 *              (V as volumePct of the structure or volumeCc, converted through PointSet.volumeCc and
 *              clamped to 100 %; exactly one of them). D_V: hottest points first, the dose of the
 *              first point at which the accumulated weight reaches V. The gradient of both holds D_V
 *              fixed.
 * - mean-upper / mean-lower: max(0, mean - L)^2 / L^2 and max(0, L - mean)^2 / L^2
 * - max-dose:  sum (not mean) over points of max(0, d - L)^2 / L^2 (a hot spot is not diluted in a big organ)
 * - geud-upper / geud-lower: gEUD = (sum w d^a)^(1/a); max(0, gEUD - L)^2 / L^2 (resp. L - gEUD);
 *              a != 0 (a < 0 for targets, a >= 1 for organs); doses below 1e-6 Gy count as 1e-6 Gy
 * - fall-off:  normal-tissue fall-off: per point an upper limit that falls with the distance r from
 *              the targets: limit(r) = highGy for r <= startMm, else lowGy + (highGy - lowGy)
 *              exp(-(r - startMm) / fallOffMm); mean of max(0, d - limit)^2 / highGy^2
 */
export type ObjectiveSpec =
  | (SpecBase & { readonly kind: 'underdose' | 'overdose' | 'mean-upper' | 'mean-lower' | 'max-dose'; readonly doseGy: number })
  | (SpecBase & { readonly kind: 'min-dvh' | 'max-dvh'; readonly doseGy: number; readonly volumePct?: number; readonly volumeCc?: number })
  | (SpecBase & { readonly kind: 'geud-upper' | 'geud-lower'; readonly doseGy: number; readonly a: number })
  | (SpecBase & {
      readonly kind: 'fall-off';
      readonly highGy: number;
      readonly lowGy: number;
      readonly startMm: number;
      readonly fallOffMm: number;
    });

export type ObjectiveKind = ObjectiveSpec['kind'];

/** Extra per-point data some terms need (aligned with PointSet.indices). */
export interface ObjectiveContext {
  /** Distance of each point of the set to the nearest target surface, mm (fall-off only). */
  readonly distanceMm?: Float64Array;
}
