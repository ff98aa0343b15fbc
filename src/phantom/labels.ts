/**
 * The phantom's tissue labels. Each voxel of the label map holds one label; a label's value is its
 * priority (paint.ts): where two shapes overlap, the higher value keeps the voxel. So the order
 * below says which organ yields to which (the tumour displaces bowel; vessels, kidneys and the spine
 * displace the tumour; the lungs never enter the abdomen).
 *
 * Labels 0-4 are the body layers from the outside in; only they are written by row filling.
 */

export const Label = {
  AIR: 0,
  FAT_SUBCUTANEOUS: 1,
  /** Abdominal and thoracic wall muscle. */
  WALL_MUSCLE: 2,
  /** Ribs, in the wall layer (CT only; no structure). */
  RIB: 3,
  /** Visceral (intra-abdominal, retroperitoneal, mediastinal) fat: what the organs are painted into. */
  FAT_VISCERAL: 4,
  /** Psoas, quadratus lumborum, paraspinal muscles and the diaphragm. */
  MUSCLE: 5,
  HEART: 6,
  SPLEEN: 7,
  LIVER: 8,
  BOWEL_SMALL: 9,
  COLON: 10,
  STOMACH: 11,
  ESOPHAGUS: 12,
  DUODENUM: 13,
  GTV: 14,
  LUNG_L: 15,
  LUNG_R: 16,
  IVC: 17,
  AORTA: 18,
  KIDNEY_L: 19,
  KIDNEY_R: 20,
  /** Intervertebral discs (CT only). */
  DISC: 21,
  VERTEBRA: 22,
  /** Spinal canal around the cord: cerebrospinal fluid and cauda equina (CT only). */
  CANAL: 23,
  SPINAL_CORD: 24,
} as const;

export type LabelValue = (typeof Label)[keyof typeof Label];

/** Number of distinct labels (values 0 .. LABEL_COUNT - 1). */
export const LABEL_COUNT = 25;

/** Labels an organ inside the body cavity may overwrite: visceral fat and organs of lower priority. */
export function cavityLabelsBelow(label: number): number[] {
  const out: number[] = [];
  for (let l = Label.FAT_VISCERAL; l < label; l++) out.push(l);
  return out;
}

/** Labels a bone may overwrite: everything inside the skin of lower priority except subcutaneous fat. */
export function bodyLabelsBelow(label: number): number[] {
  const out: number[] = [];
  for (let l = Label.WALL_MUSCLE; l < label; l++) out.push(l);
  return out;
}
