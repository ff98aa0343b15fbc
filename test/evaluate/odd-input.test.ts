/**
 * Odd but legal input through the evaluation (issue 11 §1): self-intersecting contours, ROIs that
 * enclose nothing, and doses that are plausibly cGy labelled Gy. Expected values derived here.
 */
import { describe, expect, it } from 'vitest';
import type { ContourStructure, PlanarContour } from '../../src/geometry/structure.js';
import { contourVolumeCc } from '../../src/geometry/structure-set.js';
import { combineDvhs, computeDvh, DEFAULT_BIN_WIDTH_GY, MAX_DVH_BINS, sampleDose, sampleOccupancy, sampleStructure } from '../../src/evaluate/dvh.js';
import { IMPLAUSIBLE_DOSE_GY, evaluatePlan } from '../../src/evaluate/plan.js';
import { doseAtVolumePercent } from '../../src/evaluate/metrics.js';
import { createMask, createScalarVolume } from '../../src/geometry/volume.js';
import { createGrid } from '../../src/geometry/grid.js';
import { doseGridAround, linearDose, polygon, sphereContours } from './analytic.js';

const roi = (roiNumber: number, name: string, contours: PlanarContour[]): ContourStructure => ({ roiNumber, name, interpretedType: 'ORGAN', contours });

describe('a self-intersecting (bow-tie) contour', () => {
  // Vertices (0,0) (10,10) (10,0) (0,10): two triangles meeting at (5,5), each 25 mm², whose signed
  // areas cancel. Five planes 2.5 mm apart: by the even-odd rule 50 mm² x 12.5 mm = 0.625 cc.
  const bowtie = roi(1, 'Bowtie', [0, 2.5, 5, 7.5, 10].map((z) => polygon(z, [0, 0, 10, 10, 10, 0, 0, 10])));

  it('is filled by the even-odd rule in evaluation as in info and place: 0.625 cc', () => {
    const dose = createGrid({ size: [20, 20, 20], spacingMm: [1, 1, 1], originMm: [-4, -4, -4] });
    for (const model of ['slab', 'interpolated'] as const) {
      expect(sampleStructure(bowtie, dose, { betweenPlanes: model }).volumeCc).toBeCloseTo(0.625, 3);
    }
    expect(contourVolumeCc(bowtie)).toBeCloseTo(0.625, 3);
  });
});

describe('an ROI that encloses nothing', () => {
  it('is left out with its reason while every other structure is evaluated', () => {
    const grid = doseGridAround([0, 0, 0], 30, [2, 2, 2]);
    const dose = linearDose(grid, 20, [0, 0, 0], [0, 0, 0]);
    // Every point of the "Line" ROI lies on one line; "Flat" has three planes of zero-area triangles.
    const line = roi(2, 'Line', [polygon(0, [0, 0, 5, 0, 10, 0]), polygon(2, [0, 0, 5, 0, 10, 0])]);
    const flat = roi(3, 'Flat', [0, 2, 4].map((z) => polygon(z, [0, 0, 10, 0, 5, 0])));
    const ev = evaluatePlan([roi(1, 'Ball', sphereContours([0, 0, 0], 10, 2, 1)), line, flat], dose, {
      schedule: { fractionsPlanned: 5, fractionsDelivered: 5 },
    });
    expect(ev.structures.map((s) => s.name)).toEqual(['Ball']);
    // A uniform 20 Gy: the ball's mean is 20 Gy.
    expect(ev.structures[0]!.planned.meanGy).toBeCloseTo(20, 6);
    expect(ev.warnings.filter((w) => /"Line" not evaluated: .*lie on one line/.test(w))).toHaveLength(1);
    expect(ev.warnings.filter((w) => /"Flat" not evaluated/.test(w))).toHaveLength(1);
  });
});

describe('a dose plausibly in cGy labelled Gy', () => {
  const grid = doseGridAround([0, 0, 0], 30, [2, 2, 2]);
  const ball = roi(1, 'Ball', sphereContours([0, 0, 0], 10, 2, 1));
  // 19.86 Gy at the centre rising 0.1 Gy/mm along x, then the same x 100 (1986 "Gy").
  const gy = linearDose(grid, 19.86, [0.1, 0, 0], [0, 0, 0]);
  const cgy = { grid, data: gy.data.map((v) => v * 100) };

  it('gets one warning naming the likely mix-up, and figures 100 times those of the dose in Gy', () => {
    const a = evaluatePlan([ball], gy, { schedule: { fractionsPlanned: 5, fractionsDelivered: 5 } });
    const b = evaluatePlan([ball], cgy, { schedule: { fractionsPlanned: 5, fractionsDelivered: 5 } });
    expect(a.warnings.some((w) => /cGy/.test(w))).toBe(false);
    expect(b.warnings.filter((w) => new RegExp(`over ${IMPLAUSIBLE_DOSE_GY} Gy.*cGy labelled Gy`).test(w))).toHaveLength(1);
    const pa = a.structures[0]!.planned, pb = b.structures[0]!.planned;
    // the same points; each dose value x 100 rounded to float32 (2^-24 relative), the means' ratio within a few such roundings
    expect(Math.abs(pb.meanGy / pa.meanGy - 100)).toBeLessThan(100 * 2 ** -22);
    // D95 is read off 0.01 Gy bins in both (the physical dose stays under 1310 Gy): within a bin of
    // each, scaled.
    expect(Math.abs(pb.D95pctGy - 100 * pa.D95pctGy)).toBeLessThan(100 * 0.02 + 0.1);
  });

  it('keeps the histogram bounded: bins widen by powers of two beyond MAX_DVH_BINS', () => {
    const huge = { grid, data: gy.data.map((v) => v * 1e4) }; // ~2e5 "Gy": 2e7 bins at 0.01 Gy
    const dvh = computeDvh(sampleDose(sampleStructure(ball, grid), huge));
    expect(dvh.differentialCc.length).toBeLessThanOrEqual(MAX_DVH_BINS);
    const ratio = dvh.binWidthGy / DEFAULT_BIN_WIDTH_GY;
    expect(Math.log2(ratio)).toBeCloseTo(Math.round(Math.log2(ratio)), 9);
    // Smallest power of two that fits: the one below it would not.
    expect(Math.floor(dvh.maxGy / (dvh.binWidthGy / 2)) + 1).toBeGreaterThan(MAX_DVH_BINS);
    // The volume is all there and the median is the centre dose (linear field over a ball).
    const sum = dvh.differentialCc.reduce((x, y) => x + y, 0);
    expect(sum).toBeCloseTo(dvh.dosedVolumeCc, 6);
    expect(doseAtVolumePercent(dvh, 50) / 198600).toBeCloseTo(1, 2);
  });

  it('combines DVHs whose bins differ by a power of two into the wider bins', () => {
    const g = createGrid({ size: [4, 1, 1], spacingMm: [10, 10, 10], originMm: [0, 0, 0] });
    const m = createMask(g);
    m.data.fill(1);
    const d = createScalarVolume(g);
    d.data.set([1, 2, 3, 4]);
    const fine = computeDvh(sampleDose(sampleOccupancy('a', m), d, { spread: false }), { binWidthGy: 0.5 });
    const coarse = computeDvh(sampleDose(sampleOccupancy('b', m), d, { spread: false }), { binWidthGy: 1 });
    const both = combineDvhs('a+b', [fine, coarse]);
    expect(both.binWidthGy).toBe(1);
    // Each voxel is 1 cc: doses 1, 2, 3, 4 Gy twice, one per 1 Gy bin [b, b + 1).
    expect(Array.from(both.differentialCc)).toEqual([0, 2, 2, 2, 2]);
  });
});
