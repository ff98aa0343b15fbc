/**
 * The seed phantom's structure list: TG-263-style names, DICOM RT ROI interpreted types, display
 * colours, and which labels (labels.ts) make up each structure's mask. Liver contains the GTV (the
 * lattice engine reads it as the organ hosting the target); Liver-GTV (TG-263 style: liver minus GTV)
 * is the normal liver, the volume TG-101's liver limit applies to (physics reference §0, §2.2);
 * GreatVessels is Aorta ∪ IVC; BODY is every labelled voxel. PTV_2000 is not here: it is the GTV
 * expanded by 5 mm (seed-case.ts). Reference: AAPM TG-263, "Standardizing nomenclatures in radiation
 * oncology" (Mayo et al., IJROBP 100:1057, 2018).
 */

import type { Rgb, RoiInterpretedType } from '../geometry/structure.js';
import { Label, LABEL_COUNT } from './labels.js';

export interface LabelStructure {
  readonly name: string;
  readonly interpretedType: RoiInterpretedType;
  readonly colorRgb: Rgb;
  readonly labels: readonly number[];
}

const allBodyLabels = (): number[] => {
  const out: number[] = [];
  for (let l = 1; l < LABEL_COUNT; l++) out.push(l);
  return out;
};

/** In output order; PTV_2000 is inserted after GTV by the builder. */
export const SEED_STRUCTURES: readonly LabelStructure[] = [
  { name: 'BODY', interpretedType: 'EXTERNAL', colorRgb: [0, 128, 0], labels: allBodyLabels() },
  { name: 'GTV', interpretedType: 'GTV', colorRgb: [255, 0, 0], labels: [Label.GTV] },
  { name: 'Liver', interpretedType: 'ORGAN', colorRgb: [160, 82, 45], labels: [Label.LIVER, Label.GTV] },
  // Liver minus GTV: every liver voxel not painted as tumour (labels never overlap, so [LIVER] alone).
  { name: 'Liver-GTV', interpretedType: 'ORGAN', colorRgb: [205, 133, 63], labels: [Label.LIVER] },
  { name: 'Kidney_L', interpretedType: 'ORGAN', colorRgb: [255, 165, 0], labels: [Label.KIDNEY_L] },
  { name: 'Kidney_R', interpretedType: 'ORGAN', colorRgb: [255, 140, 0], labels: [Label.KIDNEY_R] },
  { name: 'Aorta', interpretedType: 'ORGAN', colorRgb: [220, 20, 60], labels: [Label.AORTA] },
  { name: 'IVC', interpretedType: 'ORGAN', colorRgb: [65, 105, 225], labels: [Label.IVC] },
  { name: 'GreatVessels', interpretedType: 'ORGAN', colorRgb: [199, 21, 133], labels: [Label.AORTA, Label.IVC] },
  { name: 'Esophagus', interpretedType: 'ORGAN', colorRgb: [255, 228, 181], labels: [Label.ESOPHAGUS] },
  { name: 'Stomach', interpretedType: 'ORGAN', colorRgb: [255, 182, 193], labels: [Label.STOMACH] },
  { name: 'Duodenum', interpretedType: 'ORGAN', colorRgb: [238, 130, 238], labels: [Label.DUODENUM] },
  { name: 'Bowel_Small', interpretedType: 'ORGAN', colorRgb: [218, 165, 32], labels: [Label.BOWEL_SMALL] },
  { name: 'Colon', interpretedType: 'ORGAN', colorRgb: [139, 69, 19], labels: [Label.COLON] },
  { name: 'Lung_L', interpretedType: 'ORGAN', colorRgb: [135, 206, 250], labels: [Label.LUNG_L] },
  { name: 'Lung_R', interpretedType: 'ORGAN', colorRgb: [0, 191, 255], labels: [Label.LUNG_R] },
  { name: 'Vertebrae', interpretedType: 'ORGAN', colorRgb: [245, 245, 220], labels: [Label.VERTEBRA] },
  { name: 'SpinalCord', interpretedType: 'ORGAN', colorRgb: [255, 255, 0], labels: [Label.SPINAL_CORD] },
];
