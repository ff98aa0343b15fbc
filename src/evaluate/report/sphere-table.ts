/**
 * The per-sphere table of the report: for each lattice sphere (peak structure) its volume and the
 * mean, D95 and D50 of the planned physical dose, as sfrt.ts computed them (perSphere), and the
 * same for all spheres together.
 */

import type { PlanEvaluation } from '../plan.js';
import { num, type Table } from './tables.js';

export function sphereTable(ev: PlanEvaluation): Table | undefined {
  const m = ev.sfrt?.planned.physical;
  if (m === undefined || m.perSphere.length === 0) return undefined;
  const rows = m.perSphere.map((p) => [p.name, num(p.volumeCc, 3), num(p.meanGy), num(p.D95Gy), num(p.D50Gy)]);
  if (m.peak !== undefined) rows.push(['All spheres', num(m.peak.volumeCc, 3), num(m.peak.meanGy), num(m.peak.D95Gy), num(m.peak.D50Gy)]);
  return {
    title: 'Per sphere (planned physical dose)',
    headers: ['Sphere', 'Volume (cc)', 'Mean (Gy)', 'D95 (Gy)', 'D50 (Gy)'],
    rows,
  };
}
