/**
 * Reading a whole case: CT + structure set + dose with frame-of-reference checks and coverage
 * warnings, and `lattice info` volumes from contours (analytic cylinder).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DicomError } from '../../../src/core/errors.js';
import { createGrid } from '../../../src/geometry/grid.js';
import type { ContourStructure } from '../../../src/geometry/structure.js';
import { createMask, createScalarVolume } from '../../../src/geometry/volume.js';
import { readDicomCase, readRtCase } from '../../../src/io/dicom/case.js';
import { describeDicomWithVolumes } from '../../../src/io/dicom/info.js';
import { addRoisToStructureSet, referencedCtOf, writeCase, writeRtDose, writeStructureSet } from '../../../src/io/dicom/write/index.js';

/** A cylinder of radius r along z from z0 to z1, contoured as exact 180-gons on planes every dz. */
function cylinder(r: number, z0: number, z1: number, dz: number): ContourStructure {
  const contours = [];
  for (let z = z0; z <= z1 + 1e-9; z += dz) {
    const p = new Float64Array(180 * 3);
    for (let n = 0; n < 180; n++) {
      const t = (2 * Math.PI * n) / 180;
      p.set([r * Math.cos(t), r * Math.sin(t), z], 3 * n);
    }
    contours.push({ geometricType: 'CLOSED_PLANAR' as const, pointsLps: p });
  }
  return { roiNumber: 1, name: 'Cylinder', interpretedType: 'ORGAN', colorRgb: [255, 0, 0], contours };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-case-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeCtOnly(seed: string) {
  const grid = createGrid({ size: [40, 40, 21], spacingMm: [2, 2, 2], originMm: [-39, -39, -20] });
  const ct = createScalarVolume(grid, new Float32Array(40 * 40 * 21).fill(0));
  return writeCase(dir, {
    ct,
    structures: [{ name: 'BODY', interpretedType: 'EXTERNAL', colorRgb: [0, 255, 0], mask: createMask(grid, new Uint8Array(40 * 40 * 21).fill(1)) }],
    patientId: 'P',
    patientName: 'Test^Case',
    structureSetLabel: 'TEST',
    seed,
  });
}

describe('readDicomCase', () => {
  it('reads the CT, the structure set and a dose that share the frame of reference', () => {
    const w = writeCtOnly('a');
    const grid = createGrid({ size: [10, 10, 5], spacingMm: [3, 3, 3], originMm: [-15, -15, -6] });
    writeRtDose(
      { ...w.series, seriesInstanceUid: `${w.series.seriesInstanceUid}.9`, dose: createScalarVolume(grid, new Float32Array(500).fill(2)), summationType: 'RECORD' },
      join(dir, 'RTDOSE.dcm'),
    );
    const c = readDicomCase(dir);
    expect(c.ct.hu.grid.size).toEqual([40, 40, 21]);
    expect(c.structureSet?.structures.map((s) => s.name)).toEqual(['BODY']);
    expect(c.doses).toHaveLength(1);
    // The 30 x 30 x 15 mm dose grid does not cover the 80 x 80 x 42 mm body: warned, naming both.
    expect(c.warnings.some((m) => /does not cover structure "BODY"/.test(m))).toBe(true);
  });

  it('does not warn for a structure that reaches exactly the edge of the dose grid footprint', () => {
    // Dose voxel centres at -13.5 .. 13.5 mm (3 mm): the footprint is -15 .. 15 mm, the extent the
    // DVH counts as covered. A 15 mm radius cylinder touches it and is covered.
    const w = writeCtOnly('f');
    writeStructureSet(
      { label: 'EDGE', structures: [cylinder(15, -6, 6, 2)], referencedCt: referencedCtOf(w.series) },
      join(dir, 'RTSTRUCT.dcm'),
    );
    const grid = createGrid({ size: [10, 10, 5], spacingMm: [3, 3, 3], originMm: [-13.5, -13.5, -6] });
    writeRtDose(
      { ...w.series, seriesInstanceUid: `${w.series.seriesInstanceUid}.9`, dose: createScalarVolume(grid, new Float32Array(500).fill(2)), summationType: 'RECORD' },
      join(dir, 'RTDOSE.dcm'),
    );
    const c = readDicomCase(dir);
    expect(c.warnings.filter((m) => /Cylinder/.test(m))).toEqual([]);
  });

  it('refuses a dose in another frame of reference, naming the file and both UIDs', () => {
    const w = writeCtOnly('b');
    const grid = createGrid({ size: [4, 4, 4], spacingMm: [3, 3, 3], originMm: [0, 0, 0] });
    writeRtDose(
      {
        ...w.series,
        seriesInstanceUid: `${w.series.seriesInstanceUid}.9`,
        frameOfReferenceUid: '1.2.3.4',
        dose: createScalarVolume(grid, new Float32Array(64).fill(1)),
        summationType: 'RECORD',
      },
      join(dir, 'RTDOSE.dcm'),
    );
    expect(() => readDicomCase(dir)).toThrow(DicomError);
    expect(() => readDicomCase(dir)).toThrow(new RegExp(`frame of reference 1\\.2\\.3\\.4, expected the CT's ${w.series.frameOfReferenceUid.replace(/\./g, '\\.')}.*RTDOSE\\.dcm`));
  });

  it('uses the structure set that holds every ROI of the others (ROIs added to a copy), and says so', () => {
    const w = writeCtOnly('d');
    const derived = join(dir, 'derived', 'RTSTRUCT.dcm');
    addRoisToStructureSet(w.structureSet, [{ ...cylinder(10, -6, 6, 2), roiNumber: 2 }], derived, {
      referencedCt: referencedCtOf(w.series),
    });
    const c = readDicomCase(dir);
    expect(c.structureSet?.file).toBe(derived);
    expect(c.structureSet?.structures.map((s) => s.name)).toEqual(['BODY', 'Cylinder']);
    expect(c.warnings.some((m) => /2 structure sets reference the CT; using .*derived/.test(m))).toBe(true);
  });

  it('refuses two unrelated structure sets for one CT, listing both', () => {
    const w = writeCtOnly('e');
    writeStructureSet(
      { label: 'OTHER', structures: [cylinder(10, -6, 6, 2)], referencedCt: referencedCtOf(w.series) },
      join(dir, 'other', 'RTSTRUCT.dcm'),
    );
    expect(() => readDicomCase(dir)).toThrow(/expected one structure set for CT series .*, found 2: .*label TEST.*label OTHER|expected one structure set for CT series .*, found 2: .*label OTHER.*label TEST/);
  });

  it('says there is no CT series in a folder without one', () => {
    expect(() => readDicomCase(dir)).toThrow(/expected a CT series.*found none/);
  });
});

describe('readRtCase (a DVH case: the CT optional, read from its headers)', () => {
  // writeCtOnly's CT: 40 x 40 x 21 voxels of 2 mm, centres -39 .. 39 mm in x and y: footprint -40 .. 40 mm.
  it('reads a structure set and a dose with no CT, tied by the structure set\'s frame of reference', () => {
    const w = writeCtOnly('g');
    rmSync(w.ctDir, { recursive: true });
    const grid = createGrid({ size: [10, 10, 5], spacingMm: [3, 3, 3], originMm: [-13.5, -13.5, -6] });
    writeRtDose(
      { ...w.series, seriesInstanceUid: `${w.series.seriesInstanceUid}.9`, dose: createScalarVolume(grid, new Float32Array(500).fill(2)), summationType: 'RECORD' },
      join(dir, 'RTDOSE.dcm'),
    );
    const c = readRtCase(dir);
    expect(c.ct).toBeUndefined();
    expect(c.frameOfReferenceUid).toBe(w.series.frameOfReferenceUid);
    expect(c.structureSet?.structures.map((s) => s.name)).toEqual(['BODY']);
    expect(c.doses).toHaveLength(1);
    expect(() => readDicomCase(dir)).toThrow(/expected a CT series.*found none/);
  });

  it('refuses a dose in another frame than the structure set when there is no CT, naming both', () => {
    const w = writeCtOnly('h');
    rmSync(w.ctDir, { recursive: true });
    const grid = createGrid({ size: [4, 4, 4], spacingMm: [3, 3, 3], originMm: [0, 0, 0] });
    writeRtDose(
      { ...w.series, seriesInstanceUid: `${w.series.seriesInstanceUid}.9`, frameOfReferenceUid: '1.2.3.4', dose: createScalarVolume(grid, new Float32Array(64).fill(1)), summationType: 'RECORD' },
      join(dir, 'RTDOSE.dcm'),
    );
    expect(() => readRtCase(dir)).toThrow(new RegExp(`frame of reference 1\\.2\\.3\\.4, expected the structure set's \\(.*RTSTRUCT\\.dcm\\) ${w.series.frameOfReferenceUid.replace(/\./g, '\\.')}`));
  });

  it('reads a CT present from its headers: the grid it was written on, no pixel values', () => {
    writeCtOnly('i');
    const c = readRtCase(dir);
    expect(c.ct?.grid).toEqual(createGrid({ size: [40, 40, 21], spacingMm: [2, 2, 2], originMm: [-39, -39, -20] }));
    expect(c.ct?.slices).toHaveLength(21);
    expect(c.ct).not.toHaveProperty('hu');
    expect(readDicomCase(dir).ct.hu.grid).toEqual(c.ct?.grid);
  });

  it('warns of contour points outside the CT, giving the fraction', () => {
    // A 180-gon of radius 10 mm centred at x = 35 mm: its points with x > 40 mm (the CT's edge) are
    // those with cos θ > 1/2, |θ| < 60°: n = -29 .. 29 of the 180 (n = ±30 sit on the edge): 59/180.
    const w = writeCtOnly('j');
    const cyl = cylinder(10, -6, 6, 2);
    const shifted = { ...cyl, name: 'Edge', contours: cyl.contours.map((c) => ({ ...c, pointsLps: c.pointsLps.map((v, i) => (i % 3 === 0 ? v + 35 : v)) })) };
    writeStructureSet({ label: 'EDGE', structures: [shifted], referencedCt: referencedCtOf(w.series) }, join(dir, 'other', 'RTSTRUCT.dcm'));
    const c = readRtCase(dir, { structureSetFile: join(dir, 'other', 'RTSTRUCT.dcm') });
    expect(c.warnings).toContain(`structure "Edge": ${((100 * 59) / 180).toFixed(1)} % of its contour points lie outside the CT`);
  });

  it('warns of a dose grid reaching beyond the CT by its distance, and refuses one wholly outside', () => {
    const w = writeCtOnly('k');
    // Dose voxel centres x = 30 .. 57 mm (3 mm), footprint 28.5 .. 58.5 mm: 18.5 mm past the CT's 40 mm.
    const beyond = createGrid({ size: [10, 4, 4], spacingMm: [3, 3, 3], originMm: [30, -4.5, -4.5] });
    writeRtDose(
      { ...w.series, seriesInstanceUid: `${w.series.seriesInstanceUid}.9`, dose: createScalarVolume(beyond, new Float32Array(160).fill(1)), summationType: 'RECORD' },
      join(dir, 'RTDOSE.dcm'),
    );
    expect(readRtCase(dir).warnings).toContain(`dose ${join(dir, 'RTDOSE.dcm')} reaches 18.5 mm beyond the CT`);
    // Voxel centres from x = 60 mm: footprint 58.5 mm onwards, clear of the CT.
    const outside = createGrid({ size: [4, 4, 4], spacingMm: [3, 3, 3], originMm: [60, 0, 0] });
    writeRtDose(
      { ...w.series, seriesInstanceUid: `${w.series.seriesInstanceUid}.9`, dose: createScalarVolume(outside, new Float32Array(64).fill(1)), summationType: 'RECORD' },
      join(dir, 'RTDOSE.dcm'),
    );
    expect(() => readRtCase(dir)).toThrow(/dose grid lies wholly outside the CT.*RTDOSE\.dcm/);
  });
});

describe('lattice info volumes', () => {
  it('gives a contoured cylinder the volume of its slabs: pi r^2 (n planes x dz)', () => {
    const w = writeCtOnly('c');
    // Planes at z = -10 .. 10 every 2 mm: 11 planes, each a slab of 2 mm (end caps 1 mm beyond the
    // end planes), so the slab volume is the polygon area times 22 mm. A regular 180-gon of radius r
    // has area (180/2) r^2 sin(2 pi / 180).
    const r = 12;
    const area = 90 * r * r * Math.sin((2 * Math.PI) / 180);
    writeStructureSet(
      { label: 'CYL', structures: [cylinder(r, -10, 10, 2)], referencedCt: referencedCtOf(w.series) },
      join(dir, 'RTSTRUCT.dcm'),
    );
    const summary = describeDicomWithVolumes(dir);
    const rois = summary.patients[0]!.studies[0]!.series.flatMap((s) => s.structureSets ?? []).flatMap((s) => s.rois);
    const roi = rois.find((x) => x.name === 'Cylinder')!;
    expect(roi.volumeCc).toBeDefined();
    expect(Math.abs(roi.volumeCc! / ((area * 22) / 1000) - 1)).toBeLessThan(0.002);
  });
});
