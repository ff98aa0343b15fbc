/**
 * AAPM TG-101 (Benedict et al., Med Phys 37:4078, 2010) SBRT tolerances for 1, 3 and 5 fractions,
 * as TOTAL doses in Gy, with the source keys of the physics reference (§2.1, §2.2; keys resolve in
 * its §8). Check letters: W = TG101-WB, P = TG101-PH, T = TG101-T1, R = TG101-RS, N = NCCN.
 * Values marked [U] there carry `unverified: true`.
 *
 * Serial rows give a volume limit ("< V cc above threshold") and a maximum point dose, checked as
 * D0.035cc (see types.ts). Parallel rows give a critical volume that must stay below a threshold.
 * Interpretations, stated in the constraints' notes:
 * - "Renal cortex (right & left)" is applied to both kidneys counted together (interpretation [U]),
 *   with the whole kidney as surrogate when no cortex is contoured; "Lung (right & left)" likewise.
 * - Liver 5 fx: 21 Gy as used by the seed case; TG101-PH has 21.5 (TODO: check the original table).
 */

import { InputError, fmt } from '../../core/errors.js';
import type { Constraint, ConstraintSet, PointMetric } from './types.js';

type Cell = number | null;
type Triple = readonly [Cell, Cell, Cell];

interface SerialRow {
  readonly label: string;
  readonly organs: readonly string[];
  readonly combine: 'each' | 'sum';
  readonly maxVolume?: { readonly value: number; readonly unit: 'cc' | '%' };
  /** Threshold for the volume limit, 1 / 3 / 5 fx. */
  readonly threshold: Triple;
  /** Maximum point dose, 1 / 3 / 5 fx. */
  readonly maxPoint: Triple;
  readonly endpoint: string;
  readonly check: string;
  /** The 1-fraction values are [U]. */
  readonly unverified1fx?: boolean;
}

interface ParallelRow {
  readonly label: string;
  readonly organs: readonly string[];
  readonly criticalVolumeCc: number;
  readonly threshold: Triple;
  readonly endpoint: string;
  readonly check: string;
  readonly unverified1fx?: boolean;
  readonly note?: string;
}

const SOURCE_OF: Readonly<Record<string, string>> = {
  W: 'TG101-WB',
  P: 'TG101-PH',
  T: 'TG101-T1',
  R: 'TG101-RS',
  N: 'NCCN',
};

const cc = (value: number): { value: number; unit: 'cc' } => ({ value, unit: 'cc' });

/** Physics reference §2.1 (serial tissues). */
export const TG101_SERIAL: readonly SerialRow[] = [
  { label: 'Optic pathway', organs: ['OpticChiasm', 'OpticNrv_L', 'OpticNrv_R'], combine: 'each', maxVolume: cc(0.2), threshold: [8, 15.3, 23], maxPoint: [10, 17.4, 25], endpoint: 'neuritis', check: 'W,P' },
  { label: 'Cochlea', organs: ['Cochlea_L', 'Cochlea_R'], combine: 'each', threshold: [null, null, null], maxPoint: [9, 17.1, 25], endpoint: 'hearing loss', check: 'W,P' },
  { label: 'Brainstem (not medulla)', organs: ['Brainstem'], combine: 'each', maxVolume: cc(0.5), threshold: [10, 18, 23], maxPoint: [15, 23.1, 31], endpoint: 'cranial neuropathy', check: 'W,P' },
  { label: 'Spinal cord & medulla', organs: ['SpinalCord'], combine: 'each', maxVolume: cc(0.35), threshold: [10, 18, 23], maxPoint: [14, 21.9, 30], endpoint: 'myelitis', check: 'W,P,N,T' },
  { label: 'Spinal cord & medulla', organs: ['SpinalCord'], combine: 'each', maxVolume: cc(1.2), threshold: [7, 12.3, 14.5], maxPoint: [null, null, null], endpoint: 'myelitis', check: 'W,P,T' },
  { label: 'Cord subvolume (5-6 mm above/below treated level)', organs: ['SpinalCord_Sub'], combine: 'each', maxVolume: { value: 10, unit: '%' }, threshold: [10, 18, 23], maxPoint: [14, 21.9, 30], endpoint: 'myelitis', check: 'W,T' },
  { label: 'Cauda equina', organs: ['CaudaEquina'], combine: 'each', maxVolume: cc(5), threshold: [14, 21.9, 30], maxPoint: [16, 24, 32], endpoint: 'neuritis', check: 'W,P' },
  { label: 'Sacral plexus', organs: ['SacralPlex'], combine: 'each', maxVolume: cc(5), threshold: [14.4, 22.5, 30], maxPoint: [16, 24, 32], endpoint: 'neuropathy', check: 'W,P' },
  { label: 'Oesophagus', organs: ['Esophagus'], combine: 'each', maxVolume: cc(5), threshold: [11.9, 17.7, 19.5], maxPoint: [15.4, 25.2, 35], endpoint: 'stenosis/fistula', check: 'W,P,R,N' },
  { label: 'Brachial plexus', organs: ['BrachialPlex_L', 'BrachialPlex_R'], combine: 'each', maxVolume: cc(3), threshold: [14, 20.4, 27], maxPoint: [17.5, 24, 30.5], endpoint: 'neuropathy', check: 'W,P,N' },
  { label: 'Heart/pericardium', organs: ['Heart'], combine: 'each', maxVolume: cc(15), threshold: [16, 24, 32], maxPoint: [22, 30, 38], endpoint: 'pericarditis', check: 'W,P,R,N' },
  { label: 'Great vessels', organs: ['GreatVessels'], combine: 'each', maxVolume: cc(10), threshold: [31, 39, 47], maxPoint: [37, 45, 53], endpoint: 'aneurysm', check: 'W,P,R,N' },
  { label: 'Trachea & large bronchus', organs: ['Trachea'], combine: 'each', maxVolume: cc(4), threshold: [10.5, 15, 16.5], maxPoint: [20.2, 30, 40], endpoint: 'stenosis/fistula', check: 'W,P,N' },
  { label: 'Bronchus, smaller airways', organs: ['Bronchus'], combine: 'each', maxVolume: cc(0.5), threshold: [12.4, 18.9, 21], maxPoint: [13.3, 23.1, 33], endpoint: 'stenosis, atelectasis', check: 'W,P' },
  { label: 'Rib', organs: ['Ribs'], combine: 'each', maxVolume: cc(1), threshold: [22, 28.8, 35], maxPoint: [30, 36.9, 43], endpoint: 'pain/fracture', check: 'W,P,N' },
  { label: 'Rib (3 fx)', organs: ['Ribs'], combine: 'each', maxVolume: cc(30), threshold: [null, 30, null], maxPoint: [null, null, null], endpoint: 'pain/fracture', check: 'W,P' },
  { label: 'Skin', organs: ['Skin'], combine: 'each', maxVolume: cc(10), threshold: [23, 30, 36.5], maxPoint: [26, 33, 39.5], endpoint: 'ulceration', check: 'W,P,R,N,T' },
  { label: 'Stomach', organs: ['Stomach'], combine: 'each', maxVolume: cc(10), threshold: [11.2, 16.5, 18], maxPoint: [12.4, 22.2, 32], endpoint: 'ulceration/fistula', check: 'W,P,N,T' },
  { label: 'Duodenum', organs: ['Duodenum'], combine: 'each', maxVolume: cc(5), threshold: [11.2, 16.5, 18], maxPoint: [12.4, 22.2, 32], endpoint: 'ulceration', check: 'W,P,T' },
  { label: 'Duodenum', organs: ['Duodenum'], combine: 'each', maxVolume: cc(10), threshold: [9, 11.4, 12.5], maxPoint: [null, null, null], endpoint: 'ulceration', check: 'W,P,T' },
  { label: 'Jejunum/ileum', organs: ['Bowel_Small'], combine: 'each', maxVolume: cc(5), threshold: [11.9, 17.7, 19.5], maxPoint: [15.4, 25.2, 35], endpoint: 'enteritis/obstruction', check: 'W,P,T' },
  { label: 'Colon', organs: ['Colon'], combine: 'each', maxVolume: cc(20), threshold: [14.3, 24, 25], maxPoint: [18.4, 28.2, 38], endpoint: 'colitis/fistula', check: 'W,P,T' },
  { label: 'Rectum', organs: ['Rectum'], combine: 'each', maxVolume: cc(20), threshold: [14.3, 24, 25], maxPoint: [18.4, 28.2, 38], endpoint: 'proctitis/fistula', check: 'W,P' },
  { label: 'Bladder wall', organs: ['Bladder'], combine: 'each', maxVolume: cc(15), threshold: [11.4, 16.8, 18.3], maxPoint: [18.4, 28.2, 38], endpoint: 'cystitis/fistula', check: 'P', unverified1fx: true },
  { label: 'Penile bulb', organs: ['PenileBulb'], combine: 'each', maxVolume: cc(3), threshold: [14, 21.9, 30], maxPoint: [34, 42, 50], endpoint: 'impotence', check: 'P', unverified1fx: true },
  { label: 'Femoral heads', organs: ['Femur_Head_L', 'Femur_Head_R'], combine: 'each', maxVolume: cc(10), threshold: [14, 21.9, 30], maxPoint: [null, null, null], endpoint: 'necrosis', check: 'P', unverified1fx: true },
  { label: 'Renal hilum/vascular trunk', organs: ['Kidney_Hilum'], combine: 'each', maxVolume: { value: 200 / 3, unit: '%' }, threshold: [10.6, 18.6, 23], maxPoint: [null, null, null], endpoint: 'malignant hypertension', check: 'P', unverified1fx: true },
];

/** Physics reference §2.2 (parallel tissues). */
export const TG101_PARALLEL: readonly ParallelRow[] = [
  { label: 'Lung, right + left', organs: ['Lung_L', 'Lung_R'], criticalVolumeCc: 1500, threshold: [7.0, 11.6, 12.5], endpoint: 'basic lung function', check: 'P', unverified1fx: true },
  { label: 'Lung, right + left', organs: ['Lung_L', 'Lung_R'], criticalVolumeCc: 1000, threshold: [7.4, 12.4, 13.5], endpoint: 'pneumonitis', check: 'P', unverified1fx: true },
  { label: 'Liver', organs: ['Liver'], criticalVolumeCc: 700, threshold: [9.1, 19.2, 21], endpoint: 'basic liver function', check: 'T,P', note: '5 fx: 21 Gy as used by the seed case; TG101-PH gives 21.5 Gy (to be checked against the original table)' },
  { label: 'Renal cortex, right + left', organs: ['Kidney_L', 'Kidney_R'], criticalVolumeCc: 200, threshold: [8.4, 16, 17.5], endpoint: 'basic renal function', check: 'T,P', note: 'applied to both kidneys counted together (interpretation, [U]); whole kidneys stand in for the cortex' },
];

export type Tg101Fractions = 1 | 3 | 5;
const COLUMN: Readonly<Record<Tg101Fractions, 0 | 1 | 2>> = { 1: 0, 3: 1, 5: 2 };

const sourcesOf = (check: string): string[] => check.split(',').map((c) => SOURCE_OF[c.trim()] ?? c.trim());
const fmtVolume = (v: { value: number; unit: 'cc' | '%' }): string =>
  v.unit === 'cc' ? `D${fmt(v.value)}cc` : `D${fmt(Number(v.value.toFixed(1)))}%`;

/** The TG-101 constraint set for 1, 3 or 5 fractions; maximum point doses as `pointMetric`. */
export function tg101Set(fractions: number, pointMetric: PointMetric = 'D0.035cc'): ConstraintSet {
  if (fractions !== 1 && fractions !== 3 && fractions !== 5) {
    throw new InputError(`TG-101 tables exist for 1, 3 and 5 fractions, found ${fmt(fractions)}`);
  }
  const c = COLUMN[fractions as Tg101Fractions];
  const set = `tg101-${fractions}fx`;
  const out: Constraint[] = [];
  for (const row of TG101_SERIAL) {
    const unverified = row.unverified1fx === true && fractions === 1;
    const base = {
      organs: row.organs,
      combine: row.combine,
      label: row.label,
      fractions,
      endpoint: row.endpoint,
      sources: sourcesOf(row.check),
      ...(unverified ? { unverified } : {}),
    };
    const thr = row.threshold[c];
    if (row.maxVolume !== undefined && thr !== null && thr !== undefined) {
      out.push({
        ...base,
        id: `${set}/${row.organs[0]}/${fmtVolume(row.maxVolume)}`,
        kind: 'dose-at-volume',
        volume: row.maxVolume.value,
        volumeUnit: row.maxVolume.unit,
        limitGy: thr,
      });
    }
    const mp = row.maxPoint[c];
    if (mp !== null && mp !== undefined) {
      const id = `${set}/${row.organs[0]}/max`;
      if (!out.some((k) => k.id === id)) out.push({ ...base, id, kind: 'max-point', limitGy: mp, pointMetric });
    }
  }
  for (const row of TG101_PARALLEL) {
    const thr = row.threshold[c];
    if (thr === null || thr === undefined) continue;
    const unverified = row.unverified1fx === true && fractions === 1;
    out.push({
      id: `${set}/${row.organs.join('+')}/V<${fmt(thr)}Gy>=${row.criticalVolumeCc}cc`,
      kind: 'critical-volume',
      organs: row.organs,
      combine: 'sum',
      label: row.label,
      fractions,
      endpoint: row.endpoint,
      sources: sourcesOf(row.check),
      criticalVolumeCc: row.criticalVolumeCc,
      thresholdGy: thr,
      ...(unverified ? { unverified } : {}),
      ...(row.note !== undefined ? { note: row.note } : {}),
    });
  }
  return {
    name: set,
    fractions,
    source: 'AAPM TG-101 (Benedict et al., Med Phys 37:4078, 2010), values per the lattice-rt physics reference §2',
    constraints: out,
  };
}
