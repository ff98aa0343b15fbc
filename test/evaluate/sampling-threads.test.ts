/**
 * The largest structure sampled in two parts on two threads (issue 10 §5): the parts, concatenated,
 * must be the whole structure's sampling point for point, and a whole evaluation with a worker must
 * give exactly the numbers it gives on one thread. The reference is the unsplit path.
 */
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/core/vec3.js';
import { indexToLps } from '../../src/geometry/grid.js';
import type { ContourStructure, PlanarContour } from '../../src/geometry/structure.js';
import { createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';
import { mergeDoseSamples, sampleDose, sampleStructure, type StructureSampling } from '../../src/evaluate/dvh.js';
import { evaluatePlan } from '../../src/evaluate/plan.js';
import { planSampling, sampleStructures, THREADED_MIN_NODES } from '../../src/evaluate/sampling-threads.js';
import { circle, cylinderContours, doseGridAround, sphereContours } from './analytic.js';

/** A worker for any work, however small. */
const ALWAYS = { minNodes: 0, workerStartNodes: 0 };

const roi = (roiNumber: number, name: string, contours: PlanarContour[], interpretedType = 'ORGAN'): ContourStructure => ({
  roiNumber,
  name,
  interpretedType: interpretedType as ContourStructure['interpretedType'],
  contours,
});

/** A peaked, curved dose (gaussian on a slope) so that the spread clamps and gradients all act. */
function peakedDose(c: Vec3, halfWidthMm: number, spacingMm: number): ScalarVolume {
  const grid = doseGridAround(c, halfWidthMm, [spacingMm, spacingMm, spacingMm]);
  const v = createScalarVolume(grid);
  const [nx, ny, nz] = grid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const x = indexToLps(grid, [i, j, k]);
        const r2 = (x[0] - c[0]) ** 2 + (x[1] - c[1]) ** 2 + (x[2] - c[2] - 10) ** 2;
        v.data[p] = 40 * Math.exp(-r2 / (2 * 25 * 25)) + 0.02 * Math.max(0, x[0] - c[0] + halfWidthMm);
      }
    }
  }
  return v;
}

function concat(parts: readonly StructureSampling[]): { index: number[]; weight: number[]; core: number[]; partial: number[]; offset: number[] } {
  const out = { index: [] as number[], weight: [] as number[], core: [] as number[], partial: [] as number[], offset: [] as number[] };
  for (const p of parts) {
    const before = out.index.length;
    out.index.push(...p.index);
    out.weight.push(...p.weightCc);
    out.core.push(...p.core);
    out.partial.push(...[...(p.partial ?? [])].map((q) => q + before));
    out.offset.push(...(p.offset ?? []));
  }
  return out;
}

describe('a structure sampled in parts along its contour normal', () => {
  const c: Vec3 = [3.3, -20.1, 7.4];
  const dose = peakedDose(c, 40, 3);
  const shapes = [
    { label: 'a sphere of radius 20 mm on 2.5 mm planes (slab)', s: roi(1, 'Ball', sphereContours(c, 20, 2.5, 0.7)), model: 'slab' as const },
    { label: 'a cylinder along the planes on 3 mm planes (slab)', s: roi(2, 'Can', cylinderContours(c, 25, 45, 3)), model: 'slab' as const },
  ];
  for (const { label, s, model } of shapes) {
    it(`gives, concatenated, exactly the whole structure's points and doses: ${label}`, () => {
      const whole = sampleStructure(s, dose.grid, { betweenPlanes: model });
      const n = whole.info.grid.size[2];
      const wholeDose = sampleDose(whole, dose);
      for (const cut of [1, Math.floor(n / 3), Math.floor(n / 2), n - 2]) {
        const a = sampleStructure(s, dose.grid, { betweenPlanes: model, subSlices: [0, cut] });
        const b = sampleStructure(s, dose.grid, { betweenPlanes: model, subSlices: [cut, n] });
        expect(a.info.grid).toEqual(whole.info.grid);
        const joined = concat([a, b]);
        expect(joined.index).toEqual([...whole.index]);
        expect(joined.weight).toEqual([...whole.weightCc]);
        expect(joined.core).toEqual([...whole.core]);
        expect(joined.partial).toEqual([...whole.partial!]);
        expect(joined.offset).toEqual([...whole.offset!]);
        const merged = mergeDoseSamples([sampleDose(a, dose, { warnOutside: false }), sampleDose(b, dose, { warnOutside: false })]);
        expect([...merged.doseGy]).toEqual([...wholeDose.doseGy]);
        expect([...merged.loGy]).toEqual([...wholeDose.loGy]);
        expect([...merged.hiGy]).toEqual([...wholeDose.hiGy]);
        expect(merged.volumeCc).toBeCloseTo(wholeDose.volumeCc, 9);
      }
    });
  }

  it('refuses sub-slices outside the sampling grid', () => {
    const n = sampleStructure(shapes[0]!.s, dose.grid, { gridOnly: true }).info.grid.size[2];
    expect(() => sampleStructure(shapes[0]!.s, dose.grid, { subSlices: [2, n + 1] })).toThrow(/subSlices .* within 0 \.\. \d+, found \[2, \d+\]/);
  });

  it('is sampled by a worker thread with the same points as on the calling thread', () => {
    // the ball whole and the can's upper part in the worker (forced by a large third structure)
    const big = roi(3, 'Big', cylinderContours(c, 38, 76, 3));
    const structures = [shapes[0]!.s, shapes[1]!.s, big];
    const plan = planSampling(structures, dose.grid, 'slab', ALWAYS);
    expect(plan?.jobs).toEqual(['worker', 'worker', 'split']);
    const threaded = sampleStructures(structures, dose, { betweenPlanes: 'slab', threads: 2, thresholds: ALWAYS });
    const single = sampleStructures(structures, dose, { betweenPlanes: 'slab', threads: 1 });
    expect(threaded.map((r) => ('samples' in r ? [r.points, [...r.samples.doseGy], [...r.samples.weightCc], r.samples.warnings] : r))).toEqual(
      single.map((r) => ('samples' in r ? [r.points, [...r.samples.doseGy], [...r.samples.weightCc], r.samples.warnings] : r)),
    );
  });

  it('gives the reasons for leaving structures out whichever thread samples them', () => {
    // every point on one line: no area, a GeometryError turned into a reason
    const line = roi(9, 'Line', [0, 2, 4].map((z) => ({ geometricType: 'CLOSED_PLANAR' as const, pointsLps: Float64Array.from([0, 0, z, 5, 0, z, 10, 0, z]) })));
    const open = roi(10, 'Open', [{ geometricType: 'OPEN_PLANAR' as const, pointsLps: Float64Array.from([0, 0, 0, 5, 0, 0, 5, 5, 0]) }]);
    const big = roi(3, 'Big', cylinderContours(c, 38, 76, 3));
    const structures = [line, big, open, shapes[0]!.s];
    const single = sampleStructures(structures, dose, { betweenPlanes: 'slab', threads: 1 });
    expect(single[0]).toEqual({ skipped: expect.stringMatching(/^structure "Line" not evaluated: .*line/) });
    expect(single[2]).toEqual({ skipped: 'structure "Open" has no closed contour; not evaluated' });
    expect(planSampling(structures, dose.grid, 'slab', ALWAYS)?.jobs).toEqual(['main', 'split', 'main', 'worker']);
    const threaded = sampleStructures(structures, dose, { betweenPlanes: 'slab', threads: 2, thresholds: ALWAYS });
    expect(threaded[0]).toEqual(single[0]);
    expect(threaded[2]).toEqual(single[2]);
  });
});

describe('an evaluation whose largest structure is split between two threads', () => {
  // A 300 mm wide, 150 mm long body on 2.5 mm planes over a 3 mm dose grid: in-plane 2.5 mm, 2
  // sub-slices per plane, about 123 x 123 x 122 = 1.8 million sampling nodes, above SPLIT_MIN_NODES.
  const c: Vec3 = [0, 0, 0];
  const body = roi(1, 'BODY', Array.from({ length: 61 }, (_, k) => circle(c[0], c[1], -75 + 2.5 * k, 150, 256)), 'EXTERNAL');
  const ptv = roi(2, 'PTV', sphereContours([0, 0, 10], 25, 2.5, 0.4), 'PTV');
  const dose = peakedDose(c, 160, 3);

  it('gives the worker the PTV and the upper part of the body, the largest sampling grid, when it is sampled by the slab model (exact parts)', () => {
    const plan = planSampling([body, ptv], dose.grid, 'auto');
    expect(plan?.jobs).toEqual(['split', 'worker']);
    expect(plan!.split!.slices * 123 * 123).toBeGreaterThan(THREADED_MIN_NODES);
    expect(plan!.split!.at).toBeGreaterThan(plan!.split!.slices / 2);
    expect(plan!.split!.at).toBeLessThan(plan!.split!.slices);
    // interpolated between planes: no split, the PTV alone goes to the worker
    expect(planSampling([body, ptv], dose.grid, 'interpolated')?.jobs).toEqual(['main', 'worker']);
  });

  it('gives every figure of the report exactly as on one thread', () => {
    const options = { schedule: { fractionsPlanned: 5, fractionsDelivered: 2 }, prescriptions: [{ structure: 'PTV', doseGy: 30 }] };
    const one = evaluatePlan([body, ptv], dose, { ...options, threads: 1 });
    const two = evaluatePlan([body, ptv], dose, { ...options, threads: 2 });
    expect(two.structures[0]!.sampling.points).toBeGreaterThan(1_000_000);
    expect(JSON.parse(JSON.stringify(two))).toEqual(JSON.parse(JSON.stringify(one)));
  });
});
