/** Beam geometry (IEC 61217 -> LPS), Siddon ray tracing, HU -> RED table, FFT and kernel algebra,
 * against hand derivations. */

import { describe, expect, test } from 'vitest';
import { beamCoordinates, beamFrame } from '../../src/dose/beam-geometry.js';
import { fft2, fft2Plan } from '../../src/dose/fft.js';
import { DEFAULT_HLUT, huToRed, redVolumeOfCt, validateHlut } from '../../src/dose/hlut.js';
import { depthComponent, kernelCellTable, squareIntegralPlain } from '../../src/dose/kernels.js';
import { createRayTracer, radiologicalPath } from '../../src/dose/siddon.js';
import { InputError, PlanError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';

const geo = (gantryDeg: number, collimatorDeg = 0, couchDeg = 0) => ({ gantryDeg, collimatorDeg, couchDeg, isocenterLps: [10, 20, 30] as const, sadMm: 1000 });
const close = (a: readonly number[], b: readonly number[], tol = 1e-9) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, -Math.log10(tol)));

describe('IEC 61217 beam geometry for a head-first supine patient', () => {
  test('gantry 0 irradiates from anterior, 90 from the patient left, 180 from posterior, 270 from the right', () => {
    close(beamFrame(geo(0)).sourceLps, [10, 20 - 1000, 30]);
    close(beamFrame(geo(90)).sourceLps, [10 + 1000, 20, 30]);
    close(beamFrame(geo(180)).sourceLps, [10, 20 + 1000, 30]);
    close(beamFrame(geo(270)).sourceLps, [10 - 1000, 20, 30]);
  });
  test('at gantry, collimator and couch 0, X_b is patient left and Y_b is superior (toward the gantry)', () => {
    const f = beamFrame(geo(0));
    close(f.xb, [1, 0, 0]);
    close(f.yb, [0, 0, 1]);
  });
  test('collimator 90 turns X_b onto the old Y_b; couch 90 turns the gantry-90 source toward the feet or head', () => {
    const f = beamFrame(geo(0, 90));
    close(f.xb, [0, 0, 1]);
    close(f.yb, [-1, 0, 0]);
    // couch rotates the patient by +90 deg about the vertical: a lateral source (gantry 90) ends up along -S
    const c = beamFrame(geo(90, 0, 90));
    close(c.sourceLps, [10, 20, 30 - 1000]);
  });
  test('a point projects to the iso plane along the diverging ray; the isocentre is at (0, 0, SAD)', () => {
    const f = beamFrame(geo(0));
    const out = new Float64Array(3);
    beamCoordinates(f, 10, 20, 30, out);
    close([...out], [0, 0, 1000]);
    // 100 mm deeper (posterior) and 11 mm to the left: projects to 10 mm at the iso plane
    beamCoordinates(f, 10 + 11, 20 + 100, 30, out);
    close([...out], [10, 0, 1100]);
  });
  test('rejects non-finite angles with a PlanError', () => {
    expect(() => beamFrame(geo(Number.NaN))).toThrow(PlanError);
  });
});

describe('Siddon radiological path', () => {
  const grid = createGrid({ size: [10, 10, 10], spacingMm: [2, 3, 4], originMm: [1, 1.5, 2] }); // covers [0,20]x[0,30]x[0,40]
  const uniform = createScalarVolume(grid, new Float32Array(1000).fill(0.5));
  test('a segment inside a uniform volume: density x length, any direction', () => {
    const t = createRayTracer(uniform);
    expect(radiologicalPath(t, 1, 1, 1, 19, 29, 39)).toBeCloseTo(0.5 * Math.hypot(18, 28, 38), 9);
    expect(radiologicalPath(t, 5, 5, 5, 5, 5, 35)).toBeCloseTo(15, 9);
  });
  test('only the part inside the volume counts (outside is air, 0)', () => {
    const t = createRayTracer(uniform);
    expect(radiologicalPath(t, -100, 10, 10, 100, 10, 10)).toBeCloseTo(0.5 * 20, 9);
    expect(radiologicalPath(t, -100, -10, 10, -50, -10, 10)).toBe(0);
  });
  test('a slab: exact intersection lengths through each voxel (checked against a hand sum)', () => {
    const d = new Float32Array(1000);
    for (let k = 0; k < 10; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 10; i++) d[i + 10 * (j + 10 * k)] = i; // density = i
    const t = createRayTracer(createScalarVolume(grid, d));
    // along x at y = 15, z = 20 from x = 3 to x = 11: voxels 1 (x 3..4), 2, 3, 4 (8..10), 5 (10..11)
    expect(radiologicalPath(t, 3, 15, 20, 11, 15, 20)).toBeCloseTo(1 * 1 + 2 * 2 + 3 * 2 + 4 * 2 + 5 * 1, 9);
  });
  test('a flipped grid (direction -1 on x) gives the same path as the same voxels unflipped', () => {
    const flipped = createGrid({ size: [10, 10, 10], spacingMm: [2, 3, 4], originMm: [19, 1.5, 2], direction: [-1, 0, 0, 0, 1, 0, 0, 0, 1] });
    const d = new Float32Array(1000);
    for (let k = 0; k < 10; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 10; i++) d[i + 10 * (j + 10 * k)] = 9 - i; // same physical density = x index
    const t = createRayTracer(createScalarVolume(flipped, d));
    expect(radiologicalPath(t, 3, 15, 20, 11, 15, 20)).toBeCloseTo(24, 9);
  });
});

describe('HU -> relative electron density', () => {
  test('default table: water 1, air ~0, linear in between, bone line above 0 HU', () => {
    expect(huToRed(0)).toBe(1);
    expect(huToRed(-1000)).toBeCloseTo(0.001, 9);
    expect(huToRed(-500)).toBeCloseTo(0.5005, 6);
    expect(huToRed(1000)).toBeCloseTo(1.53, 9);
    expect(huToRed(5000)).toBe(DEFAULT_HLUT.red.at(-1));
  });
  test('a custom table is used and validated', () => {
    expect(huToRed(50, { hu: [0, 100], red: [1, 2] })).toBe(1.5);
    expect(() => validateHlut({ hu: [0, 0], red: [1, 2] })).toThrow(InputError);
    const ct = createScalarVolume(createGrid({ size: [2, 1, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] }), Float32Array.from([-1000, 0]));
    expect([...redVolumeOfCt(ct).data]).toEqual([Math.fround(0.001), 1]);
  });
});

describe('FFT and kernel algebra', () => {
  test('2-D FFT matches a direct DFT and inverts', () => {
    const nu = 8, nv = 4;
    const re = Float64Array.from({ length: 32 }, (_, i) => Math.sin(i * 1.3) + (i % 3));
    const im = new Float64Array(32);
    const x = Float64Array.from(re);
    fft2(fft2Plan(nu, nv), re, im, false);
    for (const [ku, kv] of [[0, 0], [1, 2], [5, 3]] as const) {
      let sr = 0, si = 0;
      for (let v = 0; v < nv; v++) for (let u = 0; u < nu; u++) {
        const a = -2 * Math.PI * ((ku * u) / nu + (kv * v) / nv);
        sr += x[u + nu * v]! * Math.cos(a);
        si += x[u + nu * v]! * Math.sin(a);
      }
      expect(re[ku + nu * kv]).toBeCloseTo(sr, 10);
      expect(im[ku + nu * kv]).toBeCloseTo(si, 10);
    }
    fft2(fft2Plan(nu, nv), re, im, true);
    x.forEach((v, i) => expect(re[i]).toBeCloseTo(v, 12));
  });
  test('depth component: zero at the surface, maximum at ln(beta/mu)/(beta-mu), the beta -> mu limit is continuous', () => {
    const mu = 0.005, beta = 0.3;
    expect(depthComponent(0, mu, beta)).toBe(0);
    const zmax = Math.log(beta / mu) / (beta - mu);
    expect(depthComponent(zmax, mu, beta)).toBeGreaterThan(depthComponent(zmax - 0.5, mu, beta));
    expect(depthComponent(zmax, mu, beta)).toBeGreaterThan(depthComponent(zmax + 0.5, mu, beta));
    expect(depthComponent(100, mu, mu + 1e-7)).toBeCloseTo(depthComponent(100, mu, mu), 4);
  });
  test('lateral basis kernels integrate to 1: square integral -> 1, cell tables sum to 1 - tail', () => {
    expect(squareIntegralPlain(0.1, 1e4)).toBeCloseTo(1, 9);
    const b = 0.2, cell = 1, half = 150;
    const t = kernelCellTable(b, 1, cell, half, half);
    const sum = t.reduce((a, v) => a + v, 0);
    // outside the square of half-width 150.5 mm lies at most exp(-b * 150.5) of the kernel
    expect(sum).toBeLessThanOrEqual(1);
    expect(sum).toBeGreaterThan(1 - Math.exp(-b * 150.5) - 1e-3);
    // scaling f: the table of (b, f) equals the table of (b f, 1) (kernel f^2 k(f r))
    const a1 = kernelCellTable(0.1, 1.2, 2, 3, 3);
    const a2 = kernelCellTable(0.12, 1, 2, 3, 3);
    a1.forEach((v, i) => expect(v).toBeCloseTo(a2[i]!, 9));
  });
});
