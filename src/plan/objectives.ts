/**
 * The objective list of a plan, from its template and its planning structures:
 * - the primary (low-dose) target: D_cov% >= its prescription (min-dvh) and a squared underdose to it;
 *   the part of it outside the spheres' margin (the periphery) an overdose above 1.1 x the prescription;
 * - the lattice (when placed): every sphere its own mean-dose terms (lower and upper) and a
 *   squared underdose at the peak prescription, so that no sphere is left cold; the valley an upper
 *   median (D50% <= goal) and an upper mean;
 * - normal tissue: a fall-off term on the body outside the targets (limit from the primary
 *   prescription, falling with the distance from the primary target);
 * - the constraint set (TG-101 ...) turned into terms with a safety margin (constraint-objectives.ts);
 * - the template's own extra objectives.
 * Weights are the defaults below unless the template's objectives carry their own (tuned on the
 * built-in phantom; docs/planning.md).
 */

import type { ObjectiveSpec } from '../optimise/objectives/types.js';
import type { PlanTemplate } from './template.js';
import type { PlanningStructures } from './structures.js';

/** Default weights (dimensionless; terms are squared relative deviations). */
export const DEFAULT_WEIGHTS = {
  coverage: 3000,
  underdose: 200,
  periphery: 2,
  sphereMean: 100,
  sphereUnderdose: 20,
  valleyMedian: 30,
  valleyMean: 10,
  normalTissue: 20,
  normalTissueMax: 100,
  constraint: 100,
} as const;

/** Coverage terms aim this factor above the prescription. */
const COVERAGE_AIM = 1.01;

/** The normal-tissue region's maximum dose is held this factor below the primary prescription. */
const NT_MAX_AIM = 0.9;

export interface PlanObjectives {
  readonly specs: readonly ObjectiveSpec[];
  /** Structures the terms need that are not in the structure set: name -> how to build. */
  readonly derived: ReadonlyMap<string, { readonly from: string; readonly minus: string; readonly marginMm: number }>;
}

export function planObjectives(template: PlanTemplate, ps: PlanningStructures, constraintSpecs: readonly ObjectiveSpec[]): PlanObjectives {
  const specs: ObjectiveSpec[] = [];
  const derived = new Map<string, { from: string; minus: string; marginMm: number }>();
  const primaryRx = template.prescriptions.find((p) => p.role === 'target')!;
  const rx = primaryRx.doseGy;
  const W = DEFAULT_WEIGHTS;
  const primary = primaryRx.structure;
  // coverage aimed 1 % above the prescription: the final dose is recomputed on the full grid
  specs.push({ kind: 'min-dvh', structure: primary, doseGy: COVERAGE_AIM * rx, volumePct: primaryRx.coverage?.volumePct ?? 95, weight: W.coverage, note: 'prescription coverage' });
  specs.push({ kind: 'underdose', structure: primary, doseGy: rx, weight: W.underdose, note: 'prescription' });
  // every other target with role 'target'
  for (const p of template.prescriptions) {
    if (p.role !== 'target' || p === primaryRx) continue;
    specs.push({ kind: 'min-dvh', structure: p.structure, doseGy: COVERAGE_AIM * p.doseGy, volumePct: p.coverage?.volumePct ?? 95, weight: W.coverage, note: 'prescription coverage' });
    specs.push({ kind: 'underdose', structure: p.structure, doseGy: p.doseGy, weight: W.underdose, note: 'prescription' });
  }
  const peakRx = template.prescriptions.find((p) => p.role === 'peaks');
  if (ps.peaks !== undefined && peakRx !== undefined && template.lattice !== undefined) {
    const peak = peakRx.doseGy;
    for (const s of ps.peaks.spheres) {
      specs.push({ kind: 'mean-lower', structure: s.name, doseGy: peak, weight: W.sphereMean, note: 'peak mean' });
      specs.push({ kind: 'mean-upper', structure: s.name, doseGy: peak, weight: W.sphereMean, note: 'peak mean' });
      specs.push({ kind: 'underdose', structure: s.name, doseGy: peak, weight: W.sphereUnderdose, note: 'no cold sphere' });
    }
    const goal = template.lattice.valleyMedianMaxGy ?? 1.3 * rx;
    specs.push({ kind: 'max-dvh', structure: ps.peaks.valley.name, doseGy: 0.9 * goal, volumePct: 50, weight: W.valleyMedian, note: `valley median <= ${goal} Gy` });
    specs.push({ kind: 'mean-upper', structure: ps.peaks.valley.name, doseGy: 0.9 * goal, weight: W.valleyMean, note: 'valley mean' });
    const periphery = `${primary} outside ${peakRx.structure} + ${template.lattice.valleyMarginMm} mm`;
    derived.set(periphery, { from: primary, minus: ps.peaks.union.name, marginMm: template.lattice.valleyMarginMm });
    specs.push({ kind: 'overdose', structure: periphery, doseGy: 1.1 * rx, weight: W.periphery, note: 'periphery near its prescription' });
  } else {
    specs.push({ kind: 'overdose', structure: primary, doseGy: 1.07 * rx, weight: W.periphery, note: 'homogeneity' });
  }
  const nt = template.normalTissue;
  if (nt !== undefined) {
    // the fall-off applies outside the primary target (inside it the prescriptions rule)
    const base = nt.structure ?? ps.body.name;
    const outside = `${base} outside ${primary}`;
    derived.set(outside, { from: base, minus: primary, marginMm: 0 });
    specs.push({
      kind: 'fall-off',
      structure: outside,
      highGy: (nt.highPct / 100) * rx,
      lowGy: (nt.lowPct / 100) * rx,
      startMm: nt.startMm,
      fallOffMm: nt.fallOffMm,
      weight: nt.weight ?? W.normalTissue,
      note: 'normal-tissue fall-off',
    });
  }
  // the plan's normal-tissue goal: nothing beyond the primary target + 20 mm above its prescription
  specs.push({ kind: 'max-dose', structure: ps.normalTissue.name, doseGy: NT_MAX_AIM * rx, weight: W.normalTissueMax, note: 'normal tissue beyond the target + 20 mm' });
  specs.push(...constraintSpecs, ...template.objectives);
  return { specs, derived };
}
