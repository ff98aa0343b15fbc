/**
 * The seed phantom's organs as implicit shapes in the anatomy frame (body.ts), each with the label
 * it paints (labels.ts). Positions follow a typical adult abdomen at T10-L4, supine, head first
 * (LPS: right = -x, anterior = -y); sizes from general anatomy texts (Gray's Anatomy, 42nd ed.).
 *
 * Set so that the right-lobe tumour (tumour.ts) is crowded by the structures a lattice plan must
 * avoid: the duodenum, the gastric antrum, the right kidney, the inferior vena cava and the hepatic
 * flexure of the colon all come within 15 mm of it. Kidney sizes give the case's volumes: left
 * 200 cc, right 177.8 cc (physics.md §0) as ellipsoids 4/3·π·a·b·c.
 */

import type { Vec3 } from '../core/vec3.js';
import { aboveDiaphragmF, belowDiaphragmF, cavityTest, DIAPHRAGM_THICKNESS_MM, diaphragmHeightMm } from './body.js';
import { Label } from './labels.js';
import {
  axesFromAngles,
  ellipsoid,
  intersect,
  subtract,
  superellipsoid,
  tube,
  type Shape,
} from './shapes.js';
import { GTV_AXES, gtvLocalToAnatomy } from './tumour.js';

export interface OrganShapes {
  readonly label: number;
  readonly shapes: readonly Shape[];
  /** Labels these shapes may overwrite; default: visceral fat and lower-priority organs. */
  readonly overwrite?: readonly number[];
}

const below = (s: Shape): Shape => intersect(s, belowDiaphragmF);

/** Kidney semi-axes (mm): 4/3·π·32·25.7·58 = 199.8 cc; 4/3·π·31·24.9·55 = 177.8 cc. */
export const KIDNEY_L_SEMI_MM: Vec3 = [32, 25.7, 58];
export const KIDNEY_R_SEMI_MM: Vec3 = [31, 24.9, 55];

export function kidneyShapes(): { left: Shape; right: Shape } {
  // Long axis tilted: upper pole medial and posterior; hilum facing antero-medially.
  return {
    left: ellipsoid([82, 46, -62], KIDNEY_L_SEMI_MM, axesFromAngles(35, 12)),
    right: ellipsoid([-84, 47, -94], KIDNEY_R_SEMI_MM, axesFromAngles(-35, 12)),
  };
}

export function liverShapes(): Shape[] {
  const rightLobe = superellipsoid(gtvLocalToAnatomy(4, 6, 24), [86, 46, 100], 2.4, GTV_AXES);
  const medial = ellipsoid([-25, -40, 72], [34, 30, 30]);
  const left = ellipsoid([18, -64, 84], [58, 21.5, 27.5], axesFromAngles(-12));
  return [rightLobe, medial, left].map((s) => intersect(below(s), cavityTest()));
}

export function spleenShape(): Shape {
  return below(ellipsoid([100, 50, 56], [24, 46, 52], axesFromAngles(-60)));
}

/** A hollow organ's centreline (control points, anatomy mm) and radius at each (mm). */
export interface TubeSpec {
  readonly points: readonly Vec3[];
  readonly radiiMm: readonly number[];
}

/** Stomach: fundus under the left dome, body curving down and forwards, antrum, pylorus. */
export const STOMACH: TubeSpec = {
  points: [
    [58, 22, 98],
    [62, -12, 78],
    [48, -42, 48],
    [22, -60, 10],
    [0, -56, -22],
    [-12, -48, -38],
  ],
  radiiMm: [30, 36, 34, 26, 20, 13],
};

export function stomachShapes(): Shape[] {
  return tube(STOMACH.points, STOMACH.radiiMm).map(below);
}

export function esophagusShapes(): Shape[] {
  return tube(
    [
      [-2, -4, 160],
      [2, -6, 125],
      [16, -12, 106],
      [34, -2, 96],
    ],
    [8, 8, 8.5, 10],
  );
}

/** Duodenum: bulb (D1), descending (D2), horizontal (D3) and ascending (D4) parts. */
export const DUODENUM: TubeSpec = {
  points: [
    [-12, -48, -38],
    [-32, -38, -58],
    [-50, -18, -68],
    [-56, -8, -84],
    [-50, -10, -104],
    [-24, -18, -114],
    [8, -22, -112],
    [30, -20, -98],
    [36, -24, -80],
  ],
  radiiMm: [13, 14, 14, 13, 13, 12, 12, 12, 12],
};

export function duodenumShapes(): Shape[] {
  return tube(DUODENUM.points, DUODENUM.radiiMm);
}

/** Colon: ascending, hepatic flexure, transverse, splenic flexure, descending. */
export const COLON: TubeSpec = {
  points: [
    [-104, -4, -160],
    [-104, -6, -110],
    [-100, -14, -86],
    [-80, -44, -78],
    [-40, -72, -72],
    [0, -76, -84],
    [40, -72, -72],
    [80, -44, -40],
    [100, -10, -8],
    [110, 4, -50],
    [110, 6, -100],
    [108, 4, -160],
  ],
  radiiMm: [26, 26, 25, 23, 22, 22, 22, 22, 20, 19, 19, 19],
};

export function colonShapes(): Shape[] {
  return tube(COLON.points, COLON.radiiMm);
}

/**
 * Jejunum and ileum: a deterministic meander of loops in the lower abdomen, below the transverse
 * colon and in front of the duodenum and the great vessels. The centreline runs up and down through
 * a lattice of columns (so that axial slices cut it as round loops), column to column in a
 * boustrophedon order, with gentle wiggles so that no loop is a straight rod.
 */
export function smallBowelCentreline(): Vec3[] {
  const pts: Vec3[] = [];
  const xs = [-56, -28, 0, 28, 56, 80];
  const ys = [-70, -42];
  const zTop = -100;
  const zBottom = -150;
  let up = false;
  for (let r = 0; r < ys.length; r++) {
    const row = r % 2 === 0 ? xs : [...xs].reverse();
    for (const x of row) {
      const y = ys[r]!;
      const zs = up ? [zBottom, (zBottom + zTop) / 2, zTop] : [zTop, (zBottom + zTop) / 2, zBottom];
      for (let q = 0; q < zs.length; q++) {
        const wiggle = q === 1 ? 6 : 0;
        pts.push([x + wiggle * Math.sin(0.1 * x + r), y + wiggle * Math.cos(0.1 * x), zs[q]!]);
      }
      up = !up;
    }
  }
  return pts;
}

/** Jejunum and ileum, radius 12 mm. */
export function smallBowel(): TubeSpec {
  const points = smallBowelCentreline();
  return { points, radiiMm: points.map(() => 12) };
}

export function smallBowelShapes(): Shape[] {
  const b = smallBowel();
  return tube(b.points, b.radiiMm);
}

export function aortaShapes(): Shape[] {
  return tube(
    [
    [14, 6, -160],
    [14, 6, 40],
    [16, 10, 100],
    [18, 14, 160],
    ],
    [10, 11, 11, 12],
  );
}

export function ivcShapes(): Shape[] {
  return tube(
    [
    [-22, 8, -160],
    [-24, 8, 20],
    [-28, 4, 90],
    [-24, -6, 130],
    [-20, -14, 160],
    ],
    [11, 12, 12, 13, 14],
  );
}

export function heartShape(): Shape {
  return intersect(ellipsoid([18, -34, 182], [82, 62, 76]), aboveDiaphragmF);
}

/** Lungs: the thoracic cavity above the diaphragm, lateral to the mediastinum and outside the heart. */
export function lungShapes(): { left: Shape; right: Shape } {
  const heart = ellipsoid([18, -34, 182], [82, 62, 76]);
  const thorax = (side: 1 | -1, medialMm: number): Shape => {
    const cavityF = cavityTest();
    const box: Shape = {
      min: side > 0 ? [medialMm, -130, 40] : [-180, -130, 40],
      max: side > 0 ? [180, 130, 200] : [-medialMm, 130, 200],
      f: (x, y, z) => Math.max(cavityF(x, y, z), aboveDiaphragmF(x, y, z), medialMm - side * x),
    };
    return subtract(box, heart.f);
  };
  return { left: thorax(1, 30), right: thorax(-1, 26) };
}

/** The diaphragm muscle sheet: the cavity between zd and zd + thickness. */
export function diaphragmShape(): Shape {
  const cavityF = cavityTest();
  return {
    min: [-180, -130, 40],
    max: [180, 130, 130],
    f: (x, y, z) => {
      const zd = diaphragmHeightMm(x, y);
      return Math.max(cavityF(x, y, z), zd - z, z - zd - DIAPHRAGM_THICKNESS_MM);
    },
  };
}

/** Psoas and quadratus lumborum muscles (label MUSCLE). */
export function retroperitonealMuscleShapes(): Shape[] {
  const out: Shape[] = [];
  for (const side of [-1, 1]) {
    // Psoas: from T12 downwards, thickening caudally.
    out.push(...tube([[side * 26, 36, 40], [side * 34, 34, -40], [side * 44, 28, -160]], [6, 16, 24], 6));
    out.push(...tube([[side * 60, 70, 20], [side * 66, 68, -160]], [8, 14], 6));
  }
  return out;
}

/** Paraspinal (erector spinae) muscles, which reach into the posterior wall (label MUSCLE). */
export function paraspinalShapes(): Shape[] {
  return [-1, 1].map((side) => ellipsoid([side * 38, 88, 0], [28, 20, 400]));
}

/** Shapes that fill soft organs, in the order listed; priorities decide overlaps. */
export function organShapes(): OrganShapes[] {
  const kidneys = kidneyShapes();
  const lungs = lungShapes();
  return [
    { label: Label.MUSCLE, shapes: [diaphragmShape(), ...retroperitonealMuscleShapes()] },
    { label: Label.MUSCLE, shapes: paraspinalShapes(), overwrite: [Label.WALL_MUSCLE, Label.FAT_VISCERAL] },
    { label: Label.HEART, shapes: [heartShape()] },
    { label: Label.SPLEEN, shapes: [spleenShape()] },
    { label: Label.LIVER, shapes: liverShapes() },
    { label: Label.BOWEL_SMALL, shapes: smallBowelShapes() },
    { label: Label.COLON, shapes: colonShapes() },
    { label: Label.STOMACH, shapes: stomachShapes() },
    { label: Label.ESOPHAGUS, shapes: esophagusShapes() },
    { label: Label.DUODENUM, shapes: duodenumShapes() },
    { label: Label.LUNG_L, shapes: [lungs.left] },
    { label: Label.LUNG_R, shapes: [lungs.right] },
    { label: Label.IVC, shapes: ivcShapes() },
    { label: Label.AORTA, shapes: aortaShapes() },
    { label: Label.KIDNEY_L, shapes: [kidneys.left] },
    { label: Label.KIDNEY_R, shapes: [kidneys.right] },
  ];
}
