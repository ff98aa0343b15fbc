/**
 * Planning structures for `lattice plan`, on the planning (CT) grid:
 * - targets the template builds when they are absent (PTV_2000 = GTV + 5 mm, cropped to the body);
 * - the lattice: vertices placed in the lattice target (or sphere ROIs given with `peaks`), each
 *   sphere as its own ROI, their union (PTV_6670) and the valley (lattice target minus the spheres
 *   grown by the valley margin);
 * - the body (the EXTERNAL ROI, a ROI named BODY / External / Skin, or else the CT above -500 HU);
 * - `NT_<target>_20mm`: the body outside the primary target grown by 20 mm, where the plan's
 *   normal-tissue goal (D0.03cc at most the primary prescription) is checked.
 * Inputs: masks of the structure set on the CT grid, the CT (HU). Output: every structure the plan
 * writes or optimises, with which of them are new.
 */

import { GeometryError, InputError, PlanError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import { intersectMasks, subtractMask, unionMasks } from '../geometry/booleans.js';
import { BODY_THRESHOLD_HU, bodyMaskFromCt, findBodyRoi } from '../geometry/body.js';
import { expandMask } from '../geometry/margins.js';
import { findStructure } from '../geometry/structure-set.js';
import type { ContourStructure, MaskStructure, Rgb } from '../geometry/structure.js';
import { countVoxels, maskVolumeCc, type Mask, type ScalarVolume } from '../geometry/volume.js';
import { placeInStructures, type StructurePlacement } from '../lattice/run-case.js';
import { latticePlacementParams, type PlanTemplate } from './template.js';


export interface PlanningStructures {
  /** Every structure: the input ones, then the new ones. */
  readonly all: readonly MaskStructure[];
  /** Names of the structures this plan made (written to the output RTSTRUCT). */
  readonly created: readonly string[];
  readonly body: MaskStructure;
  /** Body taken from the CT threshold (no body ROI). */
  readonly bodyFromCt: boolean;
  readonly primary: MaskStructure;
  readonly peaks?: {
    readonly union: MaskStructure;
    readonly spheres: readonly MaskStructure[];
    readonly valley: MaskStructure;
    readonly centresLps: readonly Vec3[];
  };
  readonly placement?: StructurePlacement;
  readonly normalTissue: MaskStructure;
  readonly warnings: readonly string[];
}

const COLOURS: Readonly<Record<string, Rgb>> = { target: [255, 0, 0], nt: [0, 255, 128], body: [0, 255, 0] };

/** The body mask: a body ROI by type or name, else the CT above -500 HU (geometry/body.ts). */
export function bodyStructure(structures: readonly MaskStructure[], ct: ScalarVolume): { body: MaskStructure; fromCt: boolean } {
  const roi = findBodyRoi(structures);
  if (roi !== undefined) {
    if (countVoxels(roi.mask) === 0) throw new InputError('the body contour encloses no voxel of the CT', { structure: roi.name });
    return { body: roi, fromCt: false };
  }
  const m = bodyMaskFromCt(ct);
  if (countVoxels(m) === 0) throw new InputError(`empty body: no body ROI and no CT voxel above ${BODY_THRESHOLD_HU} HU`);
  return { body: { name: 'BODY', interpretedType: 'EXTERNAL', colorRgb: COLOURS.body!, mask: m }, fromCt: true };
}

export interface PlanningStructureOptions {
  /** Use these existing ROIs as the lattice spheres instead of placing vertices. */
  readonly peaks?: readonly string[];
  /** Override the lattice target (default: the template's). */
  readonly latticeTarget?: string;
  /** Normal-tissue goal region: outside the primary target grown by this (default 20 mm). */
  readonly normalTissueMarginMm?: number;
  /** The input structure set's contours: placed spheres are clipped to the lattice target's own contours (sphere-contours.ts). */
  readonly contours?: readonly ContourStructure[];
}

export function planningStructures(
  input: readonly MaskStructure[],
  ct: ScalarVolume,
  template: PlanTemplate,
  options: PlanningStructureOptions = {},
): PlanningStructures {
  const warnings: string[] = [];
  const all: MaskStructure[] = [...input];
  const created: string[] = [];
  const names = new Set(input.map((s) => s.name));
  const add = (s: MaskStructure): MaskStructure => {
    if (names.has(s.name)) throw new InputError(`the plan would create structure "${s.name}", which already exists; rename it or use it as given`);
    names.add(s.name);
    all.push(s);
    created.push(s.name);
    return s;
  };
  const { body, fromCt } = bodyStructure(input, ct);
  if (fromCt) {
    warnings.push(`no body ROI: the body is the CT above ${BODY_THRESHOLD_HU} HU (${maskVolumeCc(body.mask).toFixed(0)} cc)`);
  }
  // targets: existing, or built as from + margin (cropped to the body)
  for (const p of template.prescriptions) {
    if (p.role !== 'target') continue;
    const existing = all.find((s) => s.name === p.structure);
    if (existing !== undefined) {
      if (countVoxels(existing.mask) === 0) throw new InputError('the target encloses no voxel of the CT', { structure: p.structure });
      continue;
    }
    if (p.build === undefined) {
      findStructure(all, p.structure, 'target');
      throw new InputError(`target "${p.structure}" is missing and the template does not say how to build it`);
    }
    const from = findStructure(all, p.build.from, `source of target "${p.structure}"`);
    if (countVoxels(from.mask) === 0) throw new InputError('the structure encloses no voxel of the CT', { structure: from.name });
    const grown = intersectMasks(expandMask(from.mask, p.build.marginMm, { name: from.name }), body.mask);
    add({ name: p.structure, interpretedType: 'PTV', colorRgb: COLOURS.target!, mask: grown });
  }
  const primaryRx = template.prescriptions.find((p) => p.role === 'target');
  if (primaryRx === undefined) throw new PlanError(`template "${template.name}": expected a prescription with role 'target'`);
  const primary = all.find((s) => s.name === primaryRx.structure)!;

  let peaks: PlanningStructures['peaks'];
  let placement: StructurePlacement | undefined;
  const peakRx = template.prescriptions.find((p) => p.role === 'peaks');
  if (template.lattice !== undefined && peakRx !== undefined) {
    const lat = template.lattice;
    const targetName = options.latticeTarget ?? lat.target;
    const latticeTarget = findStructure(all, targetName, 'lattice target');
    if (countVoxels(latticeTarget.mask) === 0) throw new InputError('the lattice target encloses no voxel of the CT', { structure: targetName });
    const valleyName = lat.valleyName ?? 'Valley';
    if (options.peaks !== undefined && options.peaks.length > 0) {
      const spheres = options.peaks.map((n) => findStructure(all, n, 'peak'));
      for (const s of spheres) if (countVoxels(s.mask) === 0) throw new InputError('the peak structure encloses no voxel of the CT', { structure: s.name });
      const unionMask = unionMasks(...spheres.map((s) => s.mask));
      const union = spheres.length === 1 && spheres[0]!.name === peakRx.structure ? spheres[0]! : add({ name: peakRx.structure, interpretedType: 'PTV', colorRgb: [255, 0, 255], mask: unionMask });
      const valley = add({
        name: valleyName,
        interpretedType: 'CONTROL',
        colorRgb: [0, 128, 255],
        mask: subtractMask(latticeTarget.mask, expandMask(unionMask, lat.valleyMarginMm, { name: peakRx.structure })),
      });
      peaks = { union, spheres, valley, centresLps: [] };
    } else {
      const params = latticePlacementParams(lat);
      placement = placeInStructures(all, latticeTarget.name, 'auto', params, {
        unionName: peakRx.structure,
        vertexRois: true,
        vertexPrefix: 'Sphere_',
        valleyMarginMm: lat.valleyMarginMm,
        valleyName,
        targetContours: options.contours?.find((c) => c.name === latticeTarget.name)?.contours ?? [],
      });
      const centres = placement.result.best.candidates.filter((c) => c.status === 'intact' || c.status === 'partial').map((c) => c.centreLps);
      if (placement.newStructures.length === 0) {
        warnings.push(
          `no room for a lattice vertex in "${latticeTarget.name}" with these parameters: planning a homogeneous SBRT of ${fmt(primaryRx.doseGy)} Gy to "${primary.name}" (no ${peakRx.structure})`,
        );
      } else {
        for (const s of placement.newStructures) add(s);
        const byName = (n: string): MaskStructure => all.find((s) => s.name === n)!;
        peaks = {
          union: byName(peakRx.structure),
          spheres: placement.newStructures.filter((s) => s.name.startsWith('Sphere_')),
          valley: byName(valleyName),
          centresLps: centres,
        };
      }
    }
  }
  const ntMargin = options.normalTissueMarginMm ?? 20;
  const ntMask = subtractMask(body.mask, expandMask(primary.mask, ntMargin, { name: primary.name }));
  if (countVoxels(ntMask) === 0) throw new GeometryError(`the body has no voxel farther than ${fmt(ntMargin)} mm from "${primary.name}"`);
  const normalTissue = add({ name: `NT_${primary.name}_${fmt(ntMargin)}mm`, interpretedType: 'CONTROL', colorRgb: COLOURS.nt!, mask: ntMask });
  if (fromCt) {
    add(body);
  }
  return {
    all,
    created,
    body,
    bodyFromCt: fromCt,
    primary,
    ...(peaks !== undefined ? { peaks } : {}),
    ...(placement !== undefined ? { placement } : {}),
    normalTissue,
    warnings,
  };
}

/** Voxels of `mask` inside `within` (for overlap reports), cc. */
export const overlapCc = (a: Mask, b: Mask): number => maskVolumeCc(intersectMasks(a, b));
