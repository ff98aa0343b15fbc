/**
 * What `lattice view` serves, prepared once from a case folder: the CT (HU as Int16, x fastest, on
 * its grid), the structures (contours in LPS, mm, with their DICOM colours), the dose (Gy as
 * Float32 on its own grid), the lattice spheres with their centres, the DVHs and, when present,
 * report.json and vertices.json.
 *
 * Input: a folder (or file) read as readDicomCase reads it (subfolders searched, as `lattice info`
 * does): exactly one CT series, its structure set, optionally RT Doses. Every file used must lie
 * under the folder once symlinks are resolved; one that does not is refused (InputError).
 * DVHs: the cumulative curves of report.json when one lies beside the dose (what `lattice plan` /
 * `lattice evaluate` computed with the library's evaluate code); without a report they are computed
 * here with the same code (structureDvh, default sampling).
 */

import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DISCLAIMER } from '../core/disclaimer.js';
import { InputError } from '../core/errors.js';
import type { Grid } from '../geometry/grid.js';
import type { ContourStructure } from '../geometry/structure.js';
import { readDicomCase } from '../io/dicom/case.js';
import type { DoseGrid } from '../io/dicom/model.js';
import { cumulativeDvh, structureDvh } from '../evaluate/dvh.js';
import type { CaseJson, DvhCurveJson, DvhJson, GridJson, SphereJson, StructureJson } from './case-json.js';

export type { CaseJson, DvhCurveJson, DvhJson, GridJson, SphereJson, StructureJson } from './case-json.js';

export interface ViewData {
  readonly root: string;
  readonly caseJson: CaseJson;
  /** CT HU, rounded and clamped to Int16, x fastest. */
  readonly ctInt16: Int16Array;
  readonly doseFloat32: Float32Array | null;
  /** The report.json text, when one was found. */
  readonly reportText: string | null;
  readonly verticesText: string | null;
  /** DVHs, computed on first use. */
  dvh(): DvhJson;
}

/** Structures without a DICOM colour are drawn in this grey. */
const FALLBACK_RGB: readonly [number, number, number] = [200, 200, 200];

/** Sphere structures: the names evaluate treats as peaks (Sphere*, Vertex*). */
export const SPHERE_NAME = /^(sphere|vertex)[_ -]?\d+$/i;

const gridJson = (g: Grid): GridJson => ({
  size: [...g.size] as [number, number, number],
  spacingMm: [...g.spacingMm] as [number, number, number],
  originMm: [...g.originMm] as unknown as [number, number, number],
  direction: [...g.direction],
});

/** Whether `file` (symlinks resolved) lies under `rootReal`. */
export function isUnder(rootReal: string, file: string): boolean {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return false;
  }
  const rel = relative(rootReal, real);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The centre of a structure's closed contours: plane-area-weighted mean of polygon centroids. */
export function contourCentre(s: ContourStructure): [number, number, number] | undefined {
  let w = 0;
  const c = [0, 0, 0];
  for (const contour of s.contours) {
    const p = contour.pointsLps;
    const n = p.length / 3;
    if (n === 0) continue;
    // Polygon area in the plane (shoelace on x, y: contours are axial); a POINT counts with weight 1.
    let a = 0;
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      a += p[3 * i]! * p[3 * j + 1]! - p[3 * j]! * p[3 * i + 1]!;
    }
    const weight = n < 3 ? 1 : Math.abs(a / 2) || 1;
    const m = [0, 0, 0];
    for (let i = 0; i < n; i++) for (let r = 0; r < 3; r++) m[r]! += p[3 * i + r]! / n;
    for (let r = 0; r < 3; r++) c[r]! += weight * m[r]!;
    w += weight;
  }
  if (w === 0) return undefined;
  return [c[0]! / w, c[1]! / w, c[2]! / w];
}

/** A JSON file named `name` under the root: beside the dose first, then the root, then one or two levels down. */
function findJson(rootReal: string, name: string, near: string | undefined): string | undefined {
  const candidates: string[] = [];
  if (near !== undefined) candidates.push(join(near, name));
  candidates.push(join(rootReal, name));
  const sub = (d: string): string[] => {
    try {
      return readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(d, e.name)).sort();
    } catch {
      return [];
    }
  };
  for (const d of sub(rootReal)) {
    candidates.push(join(d, name));
    for (const d2 of sub(d)) candidates.push(join(d2, name));
  }
  return candidates.find((f) => existsSync(f) && statSync(f).isFile() && isUnder(rootReal, f));
}

function chooseDose(doses: readonly DoseGrid[], warnings: string[]): DoseGrid | undefined {
  const gy = doses.filter((d) => d.units === 'GY');
  if (gy.length === 0) {
    if (doses.length > 0) warnings.push(`${doses.length} RT Dose file(s) in relative units: no dose is shown`);
    return undefined;
  }
  const plan = gy.filter((d) => d.summationType === 'PLAN');
  const chosen = (plan.length > 0 ? plan : gy)[0]!;
  if (gy.length > 1) warnings.push(`${gy.length} RT Dose files in Gy; showing ${chosen.file ?? chosen.sopInstanceUid}`);
  return chosen;
}

/** Read the case under `dir` and prepare everything the viewer serves. */
export function loadViewData(dir: string): ViewData {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such file or folder`);
  const rootReal = realpathSync(dir);
  const c = readDicomCase(dir);
  const files = [
    ...c.ct.slices.map((s) => s.file),
    c.structureSet?.file,
    ...c.doses.map((d) => d.file),
  ].filter((f): f is string => f !== undefined);
  for (const f of files) {
    if (!isUnder(rootReal, f)) throw new InputError(`${f} lies outside ${dir} (a symlink out of the folder): lattice view serves only files under its folder`);
  }
  const warnings = [...c.warnings];
  const dose = chooseDose(c.doses, warnings);
  const ctGrid = c.ct.hu.grid;
  const hu = c.ct.hu.data;
  const ctInt16 = new Int16Array(hu.length);
  for (let i = 0; i < hu.length; i++) ctInt16[i] = Math.max(-32768, Math.min(32767, Math.round(hu[i]!)));

  const structures = c.structureSet?.structures ?? [];
  const reportFile = findJson(rootReal, 'report.json', dose?.file !== undefined ? dirname(dose.file) : undefined);
  const verticesFile = findJson(rootReal, 'vertices.json', dose?.file !== undefined ? dirname(dose.file) : c.structureSet?.file !== undefined ? dirname(c.structureSet.file) : undefined);
  const reportText = reportFile !== undefined ? readFileSync(reportFile, 'utf8') : null;
  const verticesText = verticesFile !== undefined ? readFileSync(verticesFile, 'utf8') : null;
  let report: Record<string, unknown> | undefined;
  if (reportText !== null) {
    try {
      report = JSON.parse(reportText) as Record<string, unknown>;
    } catch {
      warnings.push(`${reportFile}: not valid JSON; its tables and DVHs are not shown`);
    }
  }

  // Spheres: the report's SFRT peak structures when it names them, else ROIs named Sphere*/Vertex*.
  const sfrt = report?.sfrt as { spheres?: unknown } | undefined;
  const sphereNames = Array.isArray(sfrt?.spheres) ? new Set(sfrt.spheres.filter((n): n is string => typeof n === 'string')) : undefined;
  const spheres: SphereJson[] = [];
  for (const s of structures) {
    if (!(sphereNames !== undefined ? sphereNames.has(s.name) : SPHERE_NAME.test(s.name))) continue;
    const centre = contourCentre(s);
    if (centre !== undefined) spheres.push({ name: s.name, centreLps: centre });
  }

  const conformity = Array.isArray(report?.conformity) ? (report.conformity as { structure?: unknown; prescriptionGy?: unknown }[]) : [];
  const prescriptionsGy = conformity
    .filter((r) => typeof r.structure === 'string' && typeof r.prescriptionGy === 'number')
    .map((r) => ({ structure: r.structure as string, gy: r.prescriptionGy as number }))
    .sort((a, b) => a.gy - b.gy);

  // the maximum the reader found as it checked the values (DoseGrid.maxGy), else a pass of its own
  let maxGy = dose?.maxGy ?? 0;
  if (dose !== undefined && dose.maxGy === undefined) for (const v of dose.dose.data) if (v > maxGy) maxGy = v;

  const caseJson: CaseJson = {
    disclaimer: DISCLAIMER,
    name: basename(rootReal),
    patientId: c.ct.patientId,
    ct: { grid: gridJson(ctGrid), seriesInstanceUid: c.ct.seriesInstanceUid },
    dose: dose !== undefined ? { grid: gridJson(dose.dose.grid), maxGy, units: dose.units, file: relative(rootReal, realpathSync(dose.file ?? rootReal)) } : null,
    structures: structures.map((s) => ({
      name: s.name,
      interpretedType: s.interpretedType,
      colorRgb: s.colorRgb !== undefined ? ([...s.colorRgb] as [number, number, number]) : FALLBACK_RGB,
      colorFromDicom: s.colorRgb !== undefined,
      contours: s.contours.filter((k) => k.geometricType === 'CLOSED_PLANAR').map((k) => Array.from(k.pointsLps, (v) => Math.round(v * 1000) / 1000)),
    })),
    spheres,
    prescriptionsGy,
    hasReport: report !== undefined,
    hasVertices: verticesText !== null,
    // the page names files relative to DIR (it may be read from another machine)
    warnings: warnings.map((w) => w.split(`${rootReal}${sep}`).join('').split(`${resolve(dir)}${sep}`).join('')),
  };

  let dvhCache: DvhJson | undefined;
  const dvh = (): DvhJson => {
    if (dvhCache !== undefined) return dvhCache;
    const reported = Array.isArray(report?.structures) ? (report.structures as { name?: unknown; curve?: { doseGy?: unknown; volumeCc?: unknown } }[]) : undefined;
    if (reported !== undefined) {
      const curves: DvhCurveJson[] = [];
      for (const s of reported) {
        const d = s.curve?.doseGy, v = s.curve?.volumeCc;
        if (typeof s.name !== 'string' || !Array.isArray(d) || !Array.isArray(v) || d.length !== v.length || d.length === 0) continue;
        const total = (v[0] as number) || 0;
        curves.push({ name: s.name, doseGy: d as number[], volumePct: (v as number[]).map((x) => (total > 0 ? (100 * x) / total : 0)) });
      }
      dvhCache = { source: 'report.json', curves };
    } else if (dose !== undefined) {
      const curves: DvhCurveJson[] = [];
      for (const s of structures) {
        if (!s.contours.some((k) => k.geometricType === 'CLOSED_PLANAR')) continue;
        try {
          const cum = cumulativeDvh(structureDvh(s, dose.dose));
          const total = cum.volumeCc[0] ?? 0;
          // thin the curve to at most ~400 points (the plot needs no more)
          const step = Math.max(1, Math.ceil(cum.doseGy.length / 400));
          const doseGy: number[] = [], volumePct: number[] = [];
          for (let i = 0; i < cum.doseGy.length; i += step) {
            doseGy.push(cum.doseGy[i]!);
            volumePct.push(total > 0 ? (100 * cum.volumeCc[i]!) / total : 0);
          }
          curves.push({ name: s.name, doseGy, volumePct });
        } catch (err) {
          (caseJson.warnings as string[]).push(`no DVH for "${s.name}": ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      dvhCache = { source: 'computed', curves };
    } else dvhCache = { source: 'computed', curves: [] };
    return dvhCache;
  };

  return {
    root: rootReal,
    caseJson,
    ctInt16,
    doseFloat32: dose !== undefined ? dose.dose.data : null,
    reportText,
    verticesText,
    dvh,
  };
}
