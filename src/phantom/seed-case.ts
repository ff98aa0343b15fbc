/**
 * The built-in seed-case phantom: a deterministic abdominal CT with structures, modelled on a 2025
 * case report of lattice SBRT for a bulky hepatocellular carcinoma of the right liver lobe
 * (lattice-rt physics reference §0: PTV_2000 1639.97 cc, liver outside the tumour 504.5 cc,
 * kidneys 200.0 and 177.8 cc; §7: baseline axial diameters 16.5 x 8.0 cm).
 *
 * Input: voxel size (mm, default 2.5 isotropic) and a seed for the CT texture, noise and gas
 * pockets (the anatomy itself does not depend on the seed).
 * Output: a grid with identity direction in the DICOM patient frame (LPS, mm; head first supine),
 * the CT in HU, and mask structures (voxel centre inside). The field of view is 400 x 300 x 300 mm
 * around a body of about 340 x 236 mm; the patient frame puts the tumour's design centre, where an
 * isocentre would go, at (0, 0, 0), and (0, 0, 0) is a voxel centre whatever the voxel size.
 *
 * How: shapes (shapes.ts) in an anatomy frame (body.ts) are painted into a label map by priority
 * (paint.ts, labels.ts), so structures never overlap except by definition (Liver ⊃ GTV, Liver-GTV =
 * Liver minus GTV, GreatVessels = Aorta ∪ IVC); CT numbers come from the labels (ct.ts); PTV_2000 = expandMask(GTV, 5 mm).
 */

import { InputError, fmt } from '../core/errors.js';
import { pointLps, type PointLps, type Vec3 } from '../core/vec3.js';
import { createGrid, type Grid } from '../geometry/grid.js';
import { expandMask } from '../geometry/margins.js';
import type { MaskStructure } from '../geometry/structure.js';
import { createMask, createScalarVolume, type ScalarVolume } from '../geometry/volume.js';
import { bodyHalfWidthMm, CAVITY_INSET_MM, SUBCUTANEOUS_FAT_MM } from './body.js';
import { NOISE_SIGMA_HU, synthesiseCt } from './ct.js';
import { bowelGas } from './gas.js';
import { TISSUE_HU } from './hu.js';
import { bodyLabelsBelow, cavityLabelsBelow, Label } from './labels.js';
import { organShapes } from './organs.js';
import { createCanvas, overwriteTable, paintRows, paintShape, paintShapes, type LabelCanvas } from './paint.js';
import { mulberry32 } from './prng.js';
import { canalShape, cordShape, discColumnShape, ribShape, vertebraShape } from './spine.js';
import { SEED_STRUCTURES } from './structures.js';
import { GTV_CENTRE_MM, gtvShape } from './tumour.js';

export interface SeedPhantomOptions {
  /** Voxel size in mm: one number (isotropic) or [x, y, z]. Default 2.5. */
  readonly voxelSizeMm?: number | Vec3;
  /** Seed of the CT texture, noise and gas pockets. Default 1. */
  readonly seed?: number;
}

/** Volumes (cc) the seed case reports, for comparison with the phantom's. */
export interface SeedCaseReference {
  readonly ptv2000Cc: number;
  readonly liverOutsideGtvCc: number;
  readonly kidneyLeftCc: number;
  readonly kidneyRightCc: number;
  /** Baseline axial diameters of the tumour (longest, perpendicular), cm. */
  readonly tumourDiametersCm: readonly [number, number];
}

export interface SeedPhantomDescription {
  readonly name: string;
  readonly source: string;
  readonly voxelSizeMm: Vec3;
  readonly seed: number;
  /** Patient position (LPS, mm) of the tumour's design centre: where an isocentre would go. */
  readonly isocentreLps: PointLps;
  readonly patientPosition: 'HFS';
  readonly reference: SeedCaseReference;
  /** Base CT numbers of the tissues (before texture and noise). */
  readonly tissuesHu: Readonly<Record<string, number>>;
  readonly noiseSigmaHu: number;
  readonly notes: readonly string[];
}

export interface SeedPhantom {
  readonly grid: Grid;
  /** CT in Hounsfield units. */
  readonly ct: ScalarVolume;
  readonly structures: readonly MaskStructure[];
  readonly description: SeedPhantomDescription;
}

export const SEED_CASE_REFERENCE: SeedCaseReference = {
  ptv2000Cc: 1639.97,
  liverOutsideGtvCc: 504.5,
  kidneyLeftCc: 200.0,
  kidneyRightCc: 177.8,
  tumourDiametersCm: [16.5, 8.0],
};

/** Field of view in the anatomy frame (mm). */
const FOV_MIN_MM: Vec3 = [-200, -150, -150];
const FOV_MAX_MM: Vec3 = [200, 150, 150];

const DEFAULT_VOXEL_MM = 2.5;
const MIN_VOXEL_MM = 0.5;
const MAX_VOXEL_MM = 10;
export const PTV_MARGIN_MM = 5;

function voxelSize(option: number | Vec3 | undefined): Vec3 {
  const d = DEFAULT_VOXEL_MM;
  const v: Vec3 = option === undefined ? [d, d, d] : typeof option === 'number' ? [option, option, option] : option;
  if (v.length !== 3 || v.some((s) => !Number.isFinite(s) || s < MIN_VOXEL_MM || s > MAX_VOXEL_MM)) {
    throw new InputError(
      `phantom voxel size must be between ${MIN_VOXEL_MM} and ${MAX_VOXEL_MM} mm along each axis, ` +
        `found [${[...v].map(fmt).join(', ')}]`,
    );
  }
  return Object.freeze([v[0], v[1], v[2]]) as Vec3;
}

/**
 * The grid: voxel centres on multiples of the spacing in the patient frame (so (0, 0, 0) is a voxel
 * centre), covering the field of view.
 */
export function seedPhantomGrid(voxelSizeMm: Vec3): Grid {
  const size: [number, number, number] = [0, 0, 0];
  const origin: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const s = voxelSizeMm[a]!;
    const lo = FOV_MIN_MM[a]! - GTV_CENTRE_MM[a]!;
    const hi = FOV_MAX_MM[a]! - GTV_CENTRE_MM[a]!;
    const first = Math.ceil(lo / s - 1e-9);
    const last = Math.floor(hi / s + 1e-9);
    size[a] = last - first + 1;
    origin[a] = first * s;
  }
  return createGrid({ size, spacingMm: voxelSizeMm, originMm: origin });
}

/** The label map of the phantom (labels.ts) on the phantom grid. */
export function paintSeedLabels(grid: Grid): LabelCanvas {
  const canvas = createCanvas(grid, GTV_CENTRE_MM);
  // Body layers, outside in.
  paintRows(canvas, (y, z) => bodyHalfWidthMm(y, z, 0), Label.FAT_SUBCUTANEOUS, overwriteTable([Label.AIR]));
  paintRows(
    canvas,
    (y, z) => bodyHalfWidthMm(y, z, SUBCUTANEOUS_FAT_MM),
    Label.WALL_MUSCLE,
    overwriteTable([Label.FAT_SUBCUTANEOUS]),
  );
  paintRows(
    canvas,
    (y, z) => bodyHalfWidthMm(y, z, CAVITY_INSET_MM),
    Label.FAT_VISCERAL,
    overwriteTable([Label.WALL_MUSCLE]),
  );
  paintShape(canvas, ribShape(), Label.RIB, overwriteTable([Label.WALL_MUSCLE]));
  // Soft organs, then the tumour, then bone.
  for (const organ of organShapes()) {
    paintShapes(canvas, organ.shapes, organ.label, overwriteTable(organ.overwrite ?? cavityLabelsBelow(organ.label)));
  }
  paintShape(canvas, gtvShape(), Label.GTV, overwriteTable(cavityLabelsBelow(Label.GTV)));
  paintShape(canvas, discColumnShape(), Label.DISC, overwriteTable(bodyLabelsBelow(Label.DISC)));
  paintShape(canvas, vertebraShape(), Label.VERTEBRA, overwriteTable(bodyLabelsBelow(Label.VERTEBRA)));
  paintShape(canvas, canalShape(), Label.CANAL, overwriteTable([Label.VERTEBRA, Label.DISC]));
  paintShape(canvas, cordShape(), Label.SPINAL_CORD, overwriteTable([Label.CANAL]));
  return canvas;
}

/**
 * One mask per structure (1 where the voxel's label is one of the structure's labels), in one pass
 * over the label map: runs of equal labels are filled into the masks of the structures they belong to.
 */
function structureMasks(labels: Uint8Array, defs: readonly { readonly labels: readonly number[] }[]): Uint8Array[] {
  const n = labels.length;
  const data = defs.map(() => new Uint8Array(n));
  const byLabel: Uint8Array[][] = Array.from({ length: 256 }, () => []);
  defs.forEach((def, s) => {
    for (const l of new Set(def.labels)) byLabel[l]!.push(data[s]!);
  });
  let p = 0;
  while (p < n) {
    const l = labels[p]!;
    let q = p + 1;
    while (q < n && labels[q] === l) q++;
    const targets = byLabel[l]!;
    for (let t = 0; t < targets.length; t++) targets[t]!.fill(1, p, q);
    p = q;
  }
  return data;
}

/** Build the seed-case phantom. Same options -> identical bytes. */
export function buildSeedPhantom(options: SeedPhantomOptions = {}): SeedPhantom {
  const spacing = voxelSize(options.voxelSizeMm);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new InputError(`phantom seed must be an integer, found ${fmt(seed)}`);
  const grid = seedPhantomGrid(spacing);
  const canvas = paintSeedLabels(grid);
  const prng = mulberry32(seed);
  const gas = bowelGas(canvas, prng);
  const ct = createScalarVolume(grid, synthesiseCt(canvas, gas, prng));

  const structures: MaskStructure[] = [];
  const masksData = structureMasks(canvas.labels, SEED_STRUCTURES);
  for (let s = 0; s < SEED_STRUCTURES.length; s++) {
    const def = SEED_STRUCTURES[s]!;
    const mask = createMask(grid, masksData[s]!);
    structures.push({ name: def.name, interpretedType: def.interpretedType, colorRgb: def.colorRgb, mask });
    if (def.name === 'GTV') {
      structures.push({
        name: 'PTV_2000',
        interpretedType: 'PTV',
        colorRgb: [0, 255, 255],
        mask: expandMask(mask, PTV_MARGIN_MM, { name: 'GTV' }),
      });
    }
  }

  return {
    grid,
    ct,
    structures,
    description: {
      name: 'lattice-rt seed-case abdominal phantom',
      source:
        'Modelled on a 2025 case report of lattice SBRT (20 Gy / 5 fx to the PTV, 66.7 Gy SIB to 1.5 cm vertices) ' +
        'for a bulky hepatocellular carcinoma of the right liver lobe; synthetic anatomy, not patient data.',
      voxelSizeMm: spacing,
      seed,
      isocentreLps: pointLps(0, 0, 0),
      patientPosition: 'HFS',
      reference: SEED_CASE_REFERENCE,
      tissuesHu: TISSUE_HU,
      noiseSigmaHu: NOISE_SIGMA_HU,
      notes: [
        'Liver includes the GTV; Liver-GTV is the liver outside the tumour (normal liver, for TG-101 liver limits).',
        'GreatVessels = Aorta ∪ IVC. PTV_2000 = GTV expanded by 5 mm (geometry/margins.ts).',
        'Structures other than these never share a voxel (priority painting).',
        'The seed changes CT texture, noise and gas pockets only; masks do not depend on it.',
      ],
    },
  };
}
