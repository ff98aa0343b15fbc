/**
 * The reference case report's Table 1 (lattice SBRT for a bulky hepatocellular carcinoma, Frontiers in
 * Oncology 2025; summarised in the project's shared/reference/seed-case.md): planned 5-fraction totals
 * of its Monaco VMAT plan, for side-by-side display with a plan of the built-in phantom. Values as
 * printed; physics.md §0 lists the report's own inconsistencies (liver and right kidney).
 */

export interface ReferenceRow {
  /** TG-263 name(s) the evaluation's constraint rows use. */
  readonly organs: readonly string[];
  readonly label: string;
  /** What the report gives: a maximum point dose (Gy) or a volume below a dose (cc). */
  readonly metric: 'Dmax' | 'volume below';
  readonly value: number;
  readonly unit: 'Gy' | 'cc';
}

export const SEED_CASE_TABLE1: readonly ReferenceRow[] = [
  { organs: ['SpinalCord'], label: 'Spinal cord', metric: 'Dmax', value: 12.51, unit: 'Gy' },
  { organs: ['GreatVessels'], label: 'Great vessels', metric: 'Dmax', value: 27.52, unit: 'Gy' },
  { organs: ['Esophagus'], label: 'Esophagus', metric: 'Dmax', value: 4.88, unit: 'Gy' },
  { organs: ['Stomach'], label: 'Stomach', metric: 'Dmax', value: 22.02, unit: 'Gy' },
  { organs: ['Duodenum'], label: 'Duodenum', metric: 'Dmax', value: 16.72, unit: 'Gy' },
  { organs: ['Bowel_Small'], label: 'Jejunum and ileum', metric: 'Dmax', value: 23.35, unit: 'Gy' },
  { organs: ['Colon'], label: 'Colon', metric: 'Dmax', value: 24.25, unit: 'Gy' },
  { organs: ['Liver'], label: 'Liver', metric: 'volume below', value: 504.5, unit: 'cc' },
  { organs: ['Kidney_L', 'Kidney_R'], label: 'Kidneys (left 200.0 + right 177.5 cc)', metric: 'volume below', value: 377.5, unit: 'cc' },
];
