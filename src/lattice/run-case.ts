/**
 * Vertex placement on a planning case, end to end: structures in (masks on the CT grid), the
 * placement, its audit, and the new structures out (the sphere union, e.g. PTV_6670; optionally each
 * vertex; the valley; optionally an avoidance ring). `runPlacementForCase` reads a DICOM case and
 * writes, into a folder, a new RTSTRUCT holding every input ROI plus the new ones and vertices.json
 * (the audit). The CLI (`lattice place`) and `lattice demo` call these.
 */

import { join } from 'node:path';
import { DicomError, InputError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import { contourVolumeCc, findStructure, rasterizeStructures } from '../geometry/structure-set.js';
import type { ContourStructure, MaskStructure, PlanarContour, Rgb } from '../geometry/structure.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readCaseWithCtHeaders } from '../io/dicom/case.js';
import type { StructureSet } from '../io/dicom/model.js';
import { contoursToWrite } from '../io/dicom/write/case.js';
import { addRoisToStructureSet, referencedCtOf } from '../io/dicom/write/rtstruct.js';
import { buildAudit, summaryLines, type VertexAudit } from './audit.js';
import { selectOars, type OarSelection } from './oars.js';
import { resolvePlacementParams, type PlacementParams } from './params.js';
import { placeVertices, type PlacementResult, type SearchOptions } from './placement.js';
import { sphereUnionRoi, targetSections } from './sphere-contours.js';
import { avoidanceRingMask, valleyMask } from './spheres.js';

export interface LatticeOutputOptions {
  /** Name of the sphere union. Default from boostGy: PTV_6670 for 66.7 Gy. */
  readonly unionName?: string;
  /** Boost dose level (Gy) that names the union; default 66.7 (the case report's SIB). */
  readonly boostGy?: number;
  /** Crop the union (and each vertex ROI) to the target. Default true. */
  readonly cropToTarget?: boolean;
  /**
   * The target's own contours (LPS), e.g. from its RTSTRUCT: where they lie on the CT planes, partial
   * spheres are clipped to them; elsewhere to the outline of the target mask (sphere-contours.ts).
   */
  readonly targetContours?: readonly PlanarContour[];
  /** Write each vertex as its own ROI (V01, V02, ... prefixed by vertexPrefix). Default false. */
  readonly vertexRois?: boolean;
  readonly vertexPrefix?: string;
  /** Valley = target minus the spheres grown by this margin, mm; default 5; null: no valley. */
  readonly valleyMarginMm?: number | null;
  readonly valleyName?: string;
  /** Avoidance ring between radius + inner and radius + outer (mm) around each sphere; none by default. */
  readonly ring?: { readonly innerMm: number; readonly outerMm: number };
  readonly ringName?: string;
}

export interface StructurePlacement {
  readonly result: PlacementResult;
  readonly selection: OarSelection;
  readonly audit: VertexAudit;
  /**
   * The new structures, in output order. The sphere union and each vertex carry exact contours
   * (circles on the CT planes, clipped to the target) and, as mask, what those contours fill.
   */
  readonly newStructures: readonly MaskStructure[];
  readonly summary: readonly string[];
}

const COLOURS: Record<string, Rgb> = { union: [255, 0, 255], vertex: [255, 105, 180], valley: [0, 128, 255], ring: [255, 255, 0] };

/** Default union name for a boost dose: PTV_6670 for 66.7 Gy (dose in cGy, as clinics name them). */
export function unionNameForDose(boostGy: number): string {
  if (!(boostGy > 0) || !Number.isFinite(boostGy)) throw new InputError(`boost dose must be a positive number of Gy, found ${fmt(boostGy)}`);
  return `PTV_${Math.round(boostGy * 100)}`;
}

/** Placement on mask structures: target by name, organs 'auto' or named; `search` reports the search's progress. */
export function placeInStructures(
  structures: readonly MaskStructure[],
  targetName: string,
  oarSpec: 'auto' | readonly string[],
  params: Partial<PlacementParams> = {},
  output: LatticeOutputOptions = {},
  search: SearchOptions = {},
): StructurePlacement {
  const target = findStructure(structures, targetName, 'target');
  const selection = selectOars(structures, target, oarSpec);
  const result = placeVertices(target, selection.oars, params, search);
  const p = result.context.params;
  const grid = target.mask.grid;
  const kept = result.best.candidates.filter((c) => c.status === 'intact' || c.status === 'partial').map((c) => c.centreLps);
  const crop = output.cropToTarget ?? true;
  const sections = crop ? targetSections(target.mask, target.name, output.targetContours) : undefined;
  const audit = buildAudit(result, selection, target, sections);
  const spheres = (name: string, centres: readonly Vec3[]): Pick<MaskStructure, 'mask' | 'contours'> =>
    sphereUnionRoi(grid, centres, p.radiusMm, name, sections);
  const unionName = output.unionName ?? unionNameForDose(output.boostGy ?? 66.7);
  const out: MaskStructure[] = [];
  const existing = new Set(structures.map((s) => s.name));
  const add = (s: MaskStructure): void => {
    if (existing.has(s.name) || out.some((o) => o.name === s.name)) {
      throw new InputError(`output structure name "${s.name}" already exists in the structure set; choose another name`);
    }
    out.push(s);
  };
  if (kept.length > 0) {
    add({ name: unionName, interpretedType: 'PTV', colorRgb: COLOURS.union!, ...spheres(unionName, kept) });
    if (output.vertexRois === true) {
      const prefix = output.vertexPrefix ?? 'Vertex_';
      kept.forEach((c, n) => {
        const name = `${prefix}${String(n + 1).padStart(2, '0')}`;
        add({ name, interpretedType: 'PTV', colorRgb: COLOURS.vertex!, ...spheres(name, [c]) });
      });
    }
    const margin = output.valleyMarginMm === undefined ? 5 : output.valleyMarginMm;
    if (margin !== null) {
      add({ name: output.valleyName ?? `Valley_${target.name}`, interpretedType: 'CONTROL', colorRgb: COLOURS.valley!, mask: valleyMask(target.mask, kept, p.radiusMm, margin) });
    }
    if (output.ring !== undefined) {
      add({
        name: output.ringName ?? 'Lattice_Ring',
        interpretedType: 'AVOIDANCE',
        colorRgb: COLOURS.ring!,
        mask: avoidanceRingMask(grid, kept, p.radiusMm, output.ring.innerMm, output.ring.outerMm),
      });
    }
  }
  return { result, selection, audit, newStructures: out, summary: summaryLines(audit) };
}

export interface CasePlacementOptions {
  readonly target: string;
  readonly oars?: 'auto' | readonly string[];
  readonly params?: Partial<PlacementParams>;
  readonly output?: LatticeOutputOptions;
  /** Output folder: RTSTRUCT.dcm (input ROIs + new ones) and vertices.json. */
  readonly outDir: string;
  /** Called once per rotation of the layout search (placement.ts SearchProgress). */
  readonly onProgress?: SearchOptions['onProgress'];
}

export interface CasePlacementResult extends StructurePlacement {
  /** What the run noticed, e.g. a structure cut off at the CT's edge (also first in `summary`). */
  readonly warnings: readonly string[];
  readonly rtstructFile: string | undefined;
  readonly verticesFile: string;
  readonly structureSet: StructureSet | undefined;
}

/** Read a DICOM case, place vertices, write RTSTRUCT.dcm and vertices.json into options.outDir. */
export function runPlacementForCase(casePath: string, options: CasePlacementOptions): CasePlacementResult {
  // Parameters first: bad input fails before the case is read.
  resolvePlacementParams(options.params);
  if (options.output?.boostGy !== undefined) unionNameForDose(options.output.boostGy);
  // The CT's grid and slices are all placement needs: its pixels are not read.
  const dc = readCaseWithCtHeaders(casePath);
  if (dc.structureSet === undefined) {
    throw new DicomError('vertex placement: expected a structure set (RTSTRUCT) with the target, found none', { file: casePath });
  }
  const grid = dc.ct.grid;
  const warnings: string[] = [];
  const masks = rasterizeStructures(dc.structureSet.structures, grid, (w) => warnings.push(w));
  // An unknown target lists every ROI of the structure set (not only those with contours).
  const named = findStructure(dc.structureSet.structures, options.target, 'target');
  if (!masks.some((m) => m.name === named.name)) {
    throw new InputError(`target "${named.name}" has no closed planar contours to place vertices in`, { file: dc.structureSet.file });
  }
  const placed = placeInStructures(masks, named.name, options.oars ?? 'auto', options.params, {
    ...options.output,
    targetContours: options.output?.targetContours ?? named.contours,
  }, options.onProgress !== undefined ? { onProgress: options.onProgress } : {});
  const verticesFile = join(options.outDir, 'vertices.json');
  let rtstructFile: string | undefined;
  let written: StructureSet | undefined;
  if (placed.newStructures.length > 0) {
    const next = Math.max(0, ...dc.structureSet.structures.map((s) => s.roiNumber)) + 1;
    const rois: ContourStructure[] = placed.newStructures.map((s, n) => ({
      roiNumber: next + n,
      name: s.name,
      interpretedType: s.interpretedType,
      colorRgb: s.colorRgb,
      contours: contoursToWrite(s),
    }));
    rtstructFile = join(options.outDir, 'RTSTRUCT.dcm');
    written = addRoisToStructureSet(dc.structureSet, rois, rtstructFile, {
      referencedCt: referencedCtOf(dc.ct),
      roiGenerationAlgorithm: 'AUTOMATIC',
    });
  }
  // The written ROIs as a planning system will see them: volume of the contours (slab convention);
  // for the spheres and their union, the sum of the exact sections' areas times the slice spacing.
  const writtenVolumesCc = (written?.structures ?? [])
    .filter((s) => placed.newStructures.some((n) => n.name === s.name))
    .map((s) => ({ name: s.name, contourVolumeCc: Number((contourVolumeCc(s) ?? 0).toFixed(3)) }));
  writeFileAtomic(
    verticesFile,
    `${JSON.stringify({ ...placed.audit, rtstructFile: rtstructFile ?? null, rtstructSopInstanceUid: written?.sopInstanceUid ?? null, writtenRoiVolumesCc: writtenVolumesCc }, null, 2)}\n`,
  );
  const summary = [
    ...warnings.map((w) => `warning: ${w}`),
    ...placed.summary,
    ...writtenVolumesCc.map((v) => `written ROI ${v.name}: ${v.contourVolumeCc} cc as contours (slab convention)`),
  ];
  return { ...placed, summary, warnings, rtstructFile, verticesFile, structureSet: written };
}
