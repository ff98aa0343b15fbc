/**
 * Tissue CT numbers (Hounsfield units) for the phantom, and the map from label to HU.
 *
 * Typical portal-venous-phase abdominal CT values (general radiology knowledge, not a measured
 * calibration): air -1000, lung -820, fat -100, muscle 45, liver 60, hepatocellular carcinoma 40
 * (hypodense to the liver), kidney 30, blood 40, cortical bone 700, cancellous bone 250, bowel
 * content 20, bowel gas -950. They are chosen so that each tissue is recognisable, not to calibrate a
 * dose engine; a CT-to-density table belongs to the dose stage.
 */

import { Label, LABEL_COUNT } from './labels.js';

export const TISSUE_HU = {
  AIR: -1000,
  LUNG: -820,
  FAT: -100,
  MUSCLE: 45,
  SOFT_TISSUE: 40,
  LIVER: 60,
  TUMOUR: 40,
  KIDNEY: 30,
  SPLEEN: 48,
  BLOOD: 40,
  BONE_CORTICAL: 700,
  BONE_CANCELLOUS: 250,
  /** A rib is thin: cortex and marrow averaged over a 2-3 mm voxel. */
  RIB: 450,
  DISC: 80,
  CSF: 10,
  SPINAL_CORD: 35,
  BOWEL_CONTENT: 20,
  BOWEL_GAS: -950,
} as const;

/** Base HU of each label (before texture and noise), indexed by label value. Vertebra voxels get
 * the cancellous value here; the cortex is found from the label map (seed-case CT step). */
export function huByLabel(): Float32Array {
  const t = new Float32Array(LABEL_COUNT);
  t[Label.AIR] = TISSUE_HU.AIR;
  t[Label.FAT_SUBCUTANEOUS] = TISSUE_HU.FAT;
  t[Label.WALL_MUSCLE] = TISSUE_HU.MUSCLE;
  t[Label.RIB] = TISSUE_HU.RIB;
  t[Label.FAT_VISCERAL] = TISSUE_HU.FAT;
  t[Label.MUSCLE] = TISSUE_HU.MUSCLE;
  t[Label.HEART] = TISSUE_HU.BLOOD;
  t[Label.SPLEEN] = TISSUE_HU.SPLEEN;
  t[Label.LIVER] = TISSUE_HU.LIVER;
  t[Label.BOWEL_SMALL] = TISSUE_HU.BOWEL_CONTENT;
  t[Label.COLON] = TISSUE_HU.BOWEL_CONTENT;
  t[Label.STOMACH] = TISSUE_HU.BOWEL_CONTENT;
  t[Label.ESOPHAGUS] = TISSUE_HU.SOFT_TISSUE;
  t[Label.DUODENUM] = TISSUE_HU.BOWEL_CONTENT;
  t[Label.GTV] = TISSUE_HU.TUMOUR;
  t[Label.LUNG_L] = TISSUE_HU.LUNG;
  t[Label.LUNG_R] = TISSUE_HU.LUNG;
  t[Label.IVC] = TISSUE_HU.BLOOD;
  t[Label.AORTA] = TISSUE_HU.BLOOD;
  t[Label.KIDNEY_L] = TISSUE_HU.KIDNEY;
  t[Label.KIDNEY_R] = TISSUE_HU.KIDNEY;
  t[Label.DISC] = TISSUE_HU.DISC;
  t[Label.VERTEBRA] = TISSUE_HU.BONE_CANCELLOUS;
  t[Label.CANAL] = TISSUE_HU.CSF;
  t[Label.SPINAL_CORD] = TISSUE_HU.SPINAL_CORD;
  return t;
}
