/**
 * Bone in the seed phantom: the vertebral column (bodies separated by discs, a continuous posterior
 * arch around the spinal canal, transverse and spinous processes), the spinal canal and cord, and
 * the lower ribs. Anatomy frame (body.ts), mm.
 *
 * Vertebrae repeat every 34 mm (a 26 mm body and an 8 mm disc, lumbar proportions); the cord ends in
 * a conus at about L1-L2 (z = -55), below which the canal holds only cerebrospinal fluid and the
 * cauda equina. Ribs 7-12 run in the wall layer, descending steeply anteriorly; 11 and 12 are short.
 */

import type { Shape } from './shapes.js';

const PERIOD_MM = 34;
const HALF_BODY_MM = 13;
/** z of the centre of one vertebral body; the others follow every PERIOD_MM. */
const BODY_PHASE_MM = 3;

/** Position of z within its vertebral level: -17 .. 17 mm, 0 at the centre of the body. */
function levelZ(z: number): number {
  const t = (z - BODY_PHASE_MM) / PERIOD_MM;
  return (t - Math.round(t)) * PERIOD_MM;
}

const BODY_CENTRE_Y = 40;
const BODY_SEMI_X = 24;
const BODY_SEMI_Y = 18;
export const CANAL_CENTRE_Y = 67;
export const CANAL_SEMI_MM = [10, 9] as const;
export const CORD_SEMI_MM = [5.5, 4.5] as const;
/** Lowest point of the spinal cord (tip of the conus). */
export const CONUS_TIP_Z_MM = -58;

/** (|q| - 1) * scale for an axis-aligned ellipse in the axial plane: about a distance in mm. */
function ellipse2(x: number, y: number, cx: number, cy: number, ax: number, ay: number): number {
  const a = (x - cx) / ax;
  const b = (y - cy) / ay;
  return (Math.sqrt(a * a + b * b) - 1) * Math.min(ax, ay);
}

/** Distance in the axial plane from (x, y) to the segment (ax, ay)-(bx, by). */
function segment2(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const ex = bx - ax;
  const ey = by - ay;
  let t = ((x - ax) * ex + (y - ay) * ey) / (ex * ex + ey * ey);
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  return Math.hypot(x - ax - t * ex, y - ay - t * ey);
}

const Z_MIN = -400;
const Z_MAX = 400;

/** Intervertebral discs (and, painted under the bone, the whole column of vertebral bodies). */
export function discColumnShape(): Shape {
  return {
    min: [-BODY_SEMI_X, BODY_CENTRE_Y - BODY_SEMI_Y, Z_MIN],
    max: [BODY_SEMI_X, BODY_CENTRE_Y + BODY_SEMI_Y, Z_MAX],
    f: (x, y) => ellipse2(x, y, 0, BODY_CENTRE_Y, BODY_SEMI_X, BODY_SEMI_Y),
  };
}

/** Vertebral bodies, posterior arch and processes. */
export function vertebraShape(): Shape {
  return {
    min: [-50, BODY_CENTRE_Y - BODY_SEMI_Y, Z_MIN],
    max: [50, 110, Z_MAX],
    f: (x, y, z) => {
      const lz = levelZ(z);
      const body = Math.max(ellipse2(x, y, 0, BODY_CENTRE_Y, BODY_SEMI_X, BODY_SEMI_Y), Math.abs(lz) - HALF_BODY_MM);
      const arch = ellipse2(x, y, 0, CANAL_CENTRE_Y, CANAL_SEMI_MM[0] + 8, CANAL_SEMI_MM[1] + 7);
      const ax = Math.abs(x);
      const transverse = Math.max(segment2(ax, y, 12, 62, 44, 66) - 5, Math.abs(lz) - 6);
      const spinous = Math.max(segment2(x, y, 0, 80, 0, 104) - 5, Math.abs(lz + 5) - 8);
      return Math.min(body, arch, transverse, spinous);
    },
  };
}

/** The spinal canal (bone is painted first; the canal and the cord overwrite it). */
export function canalShape(): Shape {
  const [ax, ay] = CANAL_SEMI_MM;
  return {
    min: [-ax, CANAL_CENTRE_Y - ay, Z_MIN],
    max: [ax, CANAL_CENTRE_Y + ay, Z_MAX],
    f: (x, y) => ellipse2(x, y, 0, CANAL_CENTRE_Y, ax, ay),
  };
}

/** The spinal cord, tapering to the conus over its last 15 mm. */
export function cordShape(): Shape {
  const [ax, ay] = CORD_SEMI_MM;
  return {
    min: [-ax, CANAL_CENTRE_Y - ay, CONUS_TIP_Z_MM],
    max: [ax, CANAL_CENTRE_Y + ay, Z_MAX],
    f: (x, y, z) => {
      const taper = Math.min(1, (z - CONUS_TIP_Z_MM) / 15);
      if (taper <= 0.05) return 1;
      return ellipse2(x, y, 0, CANAL_CENTRE_Y, ax * taper, ay * taper);
    },
  };
}

/** Ribs: posterior-end height (mm) and how far round towards the front each reaches (0 = back, pi = front). */
const RIBS: readonly { readonly zBackMm: number; readonly psiEnd: number }[] = [
  { zBackMm: 190, psiEnd: 2.4 },
  { zBackMm: 164, psiEnd: 2.4 },
  { zBackMm: 138, psiEnd: 2.3 },
  { zBackMm: 112, psiEnd: 2.2 },
  { zBackMm: 86, psiEnd: 1.8 },
  { zBackMm: 60, psiEnd: 1.3 },
];
const RIB_HALF_HEIGHT_MM = 5;
/** How far a rib descends from its back end to the front of the chest (psi = pi). */
const RIB_DROP_MM = 110;

/** Ribs, as a test on the wall layer (paint only over wall muscle). */
export function ribShape(): Shape {
  return {
    min: [-200, -200, RIBS[RIBS.length - 1]!.zBackMm - RIB_DROP_MM - 10],
    max: [200, 200, RIBS[0]!.zBackMm + 10],
    f: (x, y, z) => {
      const psi = Math.atan2(Math.abs(x), y);
      if (psi < 0.35) return 1;
      let best = 1;
      for (const r of RIBS) {
        if (psi > r.psiEnd) continue;
        const zc = r.zBackMm - (RIB_DROP_MM * psi) / Math.PI;
        best = Math.min(best, Math.abs(z - zc) - RIB_HALF_HEIGHT_MM);
      }
      return best;
    },
  };
}
