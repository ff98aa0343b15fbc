/**
 * The phantom's body outline, its layers, and the diaphragm, in the anatomy frame (LPS axes, mm;
 * x = 0 on the midline, y = 0 half-way between the anterior and posterior skin, z = 0 near L1).
 *
 * - Outline: a superellipse |x/a|^p + |y/b|^p <= 1 per slice, p = 2 anteriorly and 2.6 posteriorly
 *   (a flatter back, as on a couch), with a(z), b(z) varying slowly: about 340 x 236 mm.
 * - Layers, inwards: subcutaneous fat (16 mm), wall muscle (10 mm), then the body cavity, which
 *   the organs fill; visceral fat is the default filling.
 * - Diaphragm: two domes (right higher than left) over a lower central tendon, dropping towards the
 *   costophrenic recesses, lowest posteriorly. Abdominal organs lie below its height zd(x, y), the
 *   diaphragm muscle occupies zd .. zd + 5 mm, and the lungs and the heart lie above.
 * Anatomical proportions from general anatomy texts (e.g. Gray's Anatomy, 42nd ed., 2020).
 */

import { superellipseHalfWidth } from './shapes.js';

export const SUBCUTANEOUS_FAT_MM = 16;
export const WALL_MUSCLE_MM = 10;
/** Depth of the body cavity below the skin. */
export const CAVITY_INSET_MM = SUBCUTANEOUS_FAT_MM + WALL_MUSCLE_MM;
export const DIAPHRAGM_THICKNESS_MM = 5;

/** Half-axes (mm) of the outline at height z: left-right a, anterior-posterior b. */
export function bodySemiAxesMm(z: number): { a: number; b: number } {
  return { a: 170 + 5 * Math.sin((Math.PI * z) / 400), b: 118 - 4 * Math.cos((Math.PI * z) / 300) };
}

/** Half-width in x of the outline inset by `insetMm` at (y, z), or -1 outside. */
export function bodyHalfWidthMm(y: number, z: number, insetMm: number): number {
  const { a, b } = bodySemiAxesMm(z);
  return superellipseHalfWidth(y, a - insetMm, b - insetMm, y < 0 ? 2 : 2.6);
}

/** Implicit test of the body cavity: <= 0 inside (|x| minus the cavity half-width). */
export function cavityF(x: number, y: number, z: number): number {
  const h = bodyHalfWidthMm(y, z, CAVITY_INSET_MM);
  return h < 0 ? 1000 : Math.abs(x) - h;
}

/**
 * cavityF with a one-row memory: the cavity half-width depends on (y, z) only, and painting
 * evaluates whole rows at a time, so it is computed once per row. Same values as cavityF; one
 * instance per shape (its memory is its own).
 */
export function cavityTest(): (x: number, y: number, z: number) => number {
  let rowY = NaN;
  let rowZ = NaN;
  let h = -1;
  return (x, y, z) => {
    if (y !== rowY || z !== rowZ) {
      h = bodyHalfWidthMm(y, z, CAVITY_INSET_MM);
      rowY = y;
      rowZ = z;
    }
    return h < 0 ? 1000 : Math.abs(x) - h;
  };
}

/** Height (mm) of the abdominal surface of the diaphragm at (x, y). */
export function diaphragmHeightMm(x: number, y: number): number {
  const yr = y - 5;
  const right = 122 - 0.006 * ((x + 62) * (x + 62) + 0.8 * yr * yr);
  const yl = y - 10;
  const left = 112 - 0.006 * ((x - 62) * (x - 62) + 0.8 * yl * yl);
  const yc = y + 10;
  const centre = 104 - 0.004 * (x * x + yc * yc);
  const recess = y > 40 ? 0.5 * (y - 40) : 0;
  return Math.max(right, left, centre) - recess;
}

/** <= 0 below the diaphragm (in the abdomen). */
export const belowDiaphragmF = (x: number, y: number, z: number): number => z - diaphragmHeightMm(x, y);

/** <= 0 above the diaphragm muscle (in the thorax). */
export const aboveDiaphragmF = (x: number, y: number, z: number): number =>
  diaphragmHeightMm(x, y) + DIAPHRAGM_THICKNESS_MM - z;
