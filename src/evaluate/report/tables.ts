/**
 * The report's tables as plain rows of text, shared by the Markdown and HTML renderers: per-structure
 * dose figures, the constraint results (as the seed case report's Table 1: organ, metric, value,
 * limit, result, margin, basis) and the SFRT metrics side by side in physical dose and EQD2.
 */

import type { SfrtMetrics } from '../sfrt.js';
import type { PlanEvaluation } from '../plan.js';

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

/** A number for a table: '—' for NaN / undefined, else fixed decimals. */
export const num = (v: number | undefined, digits = 2): string =>
  v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);

/** The schedule as one line of text, or the note saying why it is not known. */
export function scheduleLine(ev: PlanEvaluation): string {
  const s = ev.schedule;
  return s !== undefined
    ? `Schedule: ${s.fractionsPlanned} fractions planned, ${s.fractionsDelivered} delivered.`
    : `Schedule: not known. Note: ${ev.notes.join('; ')}.`;
}

export function structureTable(ev: PlanEvaluation): Table {
  const s = ev.schedule;
  // EQD2 and delivered-dose columns need the schedule.
  const scheduled = (x: PlanEvaluation['structures'][number]): string[] =>
    s === undefined ? [] : [num(x.plannedEqd2?.meanGy), num(x.delivered?.D0_035ccGy), num(x.deliveredEqd2?.D0_035ccGy)];
  return {
    title: 'Structures (planned physical dose unless stated)',
    headers: [
      'Structure', 'TG-263', 'α/β (Gy)', 'Volume (cc)', 'Outside dose grid', 'Dmin (Gy)', 'Dmean (Gy)', 'Dmax (Gy)',
      'D0.035cc (Gy)', 'D2% (Gy)', 'D95% (Gy)',
      ...(s === undefined
        ? []
        : ['Dmean EQD2 (Gy)', `D0.035cc delivered ${s.fractionsDelivered}/${s.fractionsPlanned} fx (Gy)`, 'D0.035cc delivered EQD2 (Gy)']),
    ],
    rows: ev.structures.map((x) => [
      x.name,
      x.tg263 ?? '',
      `${x.alphaBetaGy}`,
      num(x.volumeCc, 3),
      `${(100 * x.outsideFraction).toFixed(1)} %`,
      num(x.planned.minGy),
      num(x.planned.meanGy),
      num(x.planned.maxGy),
      num(x.planned.D0_035ccGy),
      num(x.planned.D2pctGy),
      num(x.planned.D95pctGy),
      ...scheduled(x),
    ]),
    notes: [
      'Dmax: maximum over sampling points of voxels at least half inside (occupancy >= 0.5). D0.035cc: the usual reading of a TG-101 maximum point dose.',
      ...(s !== undefined ? ['EQD2 columns: linear-quadratic model with the α/β shown.'] : []),
    ],
  };
}

export function constraintTable(ev: PlanEvaluation): Table | undefined {
  const c = ev.constraints;
  if (c === undefined) return undefined;
  return {
    title: `Constraints: ${c.set} (${c.basis === 'eqd2' ? 'EQD2, delivered fractions' : 'planned physical dose'})`,
    headers: ['Organ', 'Structure(s)', 'Metric', 'Value', 'Limit', 'Result', 'Margin', 'Basis', 'Source', 'Note'],
    rows: c.results.map((r) => [
      r.label,
      r.structures.join(' + '),
      r.metric,
      `${num(r.value)} ${r.unit}`,
      `${r.comparison} ${num(r.limit)} ${r.unit}`,
      r.status.toUpperCase(),
      r.status === 'not achievable' || !Number.isFinite(r.margin) ? '—' : `${r.margin >= 0 ? '+' : ''}${num(r.margin)} ${r.unit}`,
      r.basis,
      r.sources.join(', ') + (r.unverified ? ' [U]' : ''),
      r.note ?? '',
    ]),
    notes: [
      ...(c.missing.length > 0 ? [`Organs in the set with no matching structure: ${c.missing.join(', ')}.`] : []),
      ...c.matches.filter((m) => m.how !== 'standard name').map((m) => `"${m.structure}" read as TG-263 ${m.tg263} (${m.how}).`),
    ],
  };
}

export function sfrtTable(ev: PlanEvaluation): Table | undefined {
  const s = ev.sfrt;
  if (s === undefined) return undefined;
  // Without a schedule only the planned physical column (EQD2 and delivered need the fraction count).
  const cols: SfrtMetrics[] = [s.planned.physical];
  const headers = ['Metric', 'Planned, physical'];
  if (ev.schedule !== undefined && s.planned.eqd2 !== undefined && s.delivered !== undefined) {
    const sched = `${ev.schedule.fractionsDelivered} of ${ev.schedule.fractionsPlanned} fx`;
    cols.push(s.planned.eqd2, s.delivered.physical, s.delivered.eqd2);
    headers.push(`Planned, EQD2 (α/β = ${s.alphaBetaGy} Gy)`, `Delivered ${sched}, physical`, `Delivered ${sched}, EQD2`);
  }
  const row = (label: string, f: (m: SfrtMetrics) => number | undefined, digits = 2): string[] => [label, ...cols.map((m) => num(f(m), digits))];
  const rows: string[][] = [
    row('Peak dose, mean over all spheres (Gy)', (m) => m.peak?.meanGy),
    row('Peak dose, D50 over all spheres (Gy)', (m) => m.peak?.D50Gy),
    row('Peak dose, D95 over all spheres (Gy)', (m) => m.peak?.D95Gy),
    row('Valley dose, mean of the valley structure (Gy)', (m) => m.valley?.meanGy),
    row('Valley dose, D50 of the valley structure (Gy)', (m) => m.valley?.D50Gy),
    row('Valley surrogate, GTV D90% (Gy)', (m) => m.valleyGtvD90Gy),
    row('PVDR_DVH = GTV D10% / D90%', (m) => m.pvdrDvh, 3),
    row('PVDR_struct = mean peak / mean valley', (m) => m.pvdrStruct, 3),
    row('VPDR_struct = mean valley / mean peak', (m) => m.vpdrStruct, 3),
    row('GTV Dmean (Gy)', (m) => m.gtv.meanGy),
  ];
  for (let i = 0; i < s.spheres.length; i++) {
    rows.push(row(`${s.spheres[i]} mean (Gy)`, (m) => m.perSphere[i]?.meanGy));
  }
  return {
    title: `SFRT metrics (GTV ${s.gtv}; peak structures ${s.spheres.join(', ')}; valley ${s.valley ?? 'none'})`,
    headers,
    rows,
    notes: [
      `Peak structures ${s.planned.physical.vertexCount} (one per vertex when each sphere is its own ROI; a sphere union counts once); peak fraction of GTV volume (V_spheres / V_GTV) ${(100 * s.planned.physical.peakVolumeFraction).toFixed(2)} %.`,
      ...s.planned.physical.perSphere.map((p) => `${p.name}: ${p.volumeCc.toFixed(3)} cc (a 15 mm sphere is 1.767 cc).`),
    ],
  };
}

export function conformityTable(ev: PlanEvaluation): Table | undefined {
  const c = ev.conformity;
  if (c === undefined || c.length === 0) return undefined;
  return {
    title: 'Conformity and homogeneity (planned physical dose)',
    headers: ['Target', 'Rx (Gy)', 'Volume (cc)', 'Coverage V(Rx) %', 'V_Rx isodose (cc)', 'RTOG CI', 'Paddick CI', 'Gradient index', 'HI (ICRU 83)'],
    rows: c.map((r) => [
      r.structure,
      num(r.prescriptionGy),
      num(r.targetCc, 3),
      num(r.coveragePct, 1),
      num(r.prescriptionIsodoseCc, 3),
      num(r.rtogCi, 3),
      num(r.paddickCi, 3),
      num(r.gradientIndex, 3),
      num(r.homogeneityIndexIcru83, 3),
    ]),
    notes: [
      'RTOG CI = V_Rx / TV; Paddick CI = TV_Rx² / (TV x V_Rx); gradient index = V_50%Rx / V_Rx; HI = (D2% - D98%) / D50%.',
      'Isodose volumes by voxel counting over the whole dose grid. For a lattice SIB the prescription isodose of the low-dose target includes the peaks.',
    ],
  };
}
