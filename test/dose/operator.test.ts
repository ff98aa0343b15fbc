/** The matrix-free beamlet operator: linearity, exact adjoint, and agreement with the open-field engine. */

import { describe, expect, test } from 'vitest';
import { staticFieldDose } from '../../src/dose/field-dose.js';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { createBeamletOperator } from '../../src/dose/operator.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { points, slabPhantom } from './water-phantom.js';

const beam = (gantryDeg: number, iso: readonly [number, number, number] = [0, 0, 0]) => ({ geometry: { gantryDeg, collimatorDeg: 0, couchDeg: 0, isocenterLps: iso, sadMm: 1000 } });

/** Seeded LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('beamlet operator', () => {
  // a water cylinder (r 80 mm) along z, a small target at the centre, points on a coarse grid
  const n = 33;
  const grid = createGrid({ size: [n, n, 9], spacingMm: [6, 6, 6], originMm: [-96, -96, -24] });
  const data = new Float32Array(n * n * 9);
  for (let k = 0; k < 9; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) data[i + n * (j + n * k)] = Math.hypot(-96 + 6 * i, -96 + 6 * j) < 80 ? 1 : 0;
  const ph = createScalarVolume(grid, data);
  const pts: [number, number, number][] = [];
  for (let z = -12; z <= 12; z += 6) for (let y = -60; y <= 60; y += 6) for (let x = -60; x <= 60; x += 6) pts.push([x, y, z]);
  const target = points([[-10, -10, -5], [10, 10, 5], [0, 0, 0], [10, -10, 0]]);
  const op = createBeamletOperator(PHOTON_6MV, ph, points(pts), target, [beam(0), beam(72), beam(144), beam(216), beam(288)], { beamletMm: 5, marginMm: 5 });

  test('beamlets cover the target projection plus margin', () => {
    expect(op.beams).toHaveLength(5);
    for (const b of op.beams) {
      expect(b.count).toBeGreaterThan(0);
      // the central beamlets (+-2.5 mm) must be there
      expect([...b.uMm].some((u, i) => Math.abs(u - 2.5) < 1e-9 && Math.abs(b.vMm[i]! - 2.5) < 1e-9)).toBe(true);
    }
  });

  test('forward equals the sum of individually computed beamlet doses', () => {
    const r = rng(1);
    // a dozen beamlets spread over all beams (the engine is linear; planes are float32)
    const chosen = Array.from({ length: 12 }, (_, i) => Math.floor((i * op.nBeamlets) / 12));
    const w = new Float64Array(op.nBeamlets);
    for (const j of chosen) w[j] = 0.5 + r();
    const total = new Float64Array(op.nPoints);
    op.forward(w, total);
    const sum = new Float64Array(op.nPoints);
    const unit = new Float64Array(op.nBeamlets);
    const single = new Float64Array(op.nPoints);
    for (const j of chosen) {
      unit.fill(0);
      unit[j] = w[j]!;
      op.forward(unit, single);
      for (let p = 0; p < op.nPoints; p++) sum[p] = sum[p]! + single[p]!;
    }
    const max = Math.max(...total);
    for (let p = 0; p < op.nPoints; p++) expect(Math.abs(sum[p]! - total[p]!) / max).toBeLessThan(1e-6);
  });

  test('dot-product test <D w, g> = <w, D^T g> to 1e-5 relative', () => {
    const r = rng(7);
    for (let trial = 0; trial < 3; trial++) {
      const w = Float64Array.from({ length: op.nBeamlets }, () => r() - 0.3);
      const g = Float64Array.from({ length: op.nPoints }, () => r() - 0.5);
      const dw = new Float64Array(op.nPoints);
      const dtg = new Float64Array(op.nBeamlets);
      op.forward(w, dw);
      op.adjoint(g, dtg);
      let a = 0, b = 0, sa = 0;
      for (let p = 0; p < op.nPoints; p++) { a += dw[p]! * g[p]!; sa += Math.abs(dw[p]! * g[p]!); }
      for (let j = 0; j < op.nBeamlets; j++) b += w[j]! * dtg[j]!;
      expect(Math.abs(a - b) / sa).toBeLessThan(1e-5);
    }
  });

  test('with worker threads, forward and adjoint equal the one-thread results to 1e-6 and pass the dot-product test', () => {
    const beams = [beam(0), beam(72), beam(144), beam(216), beam(288)];
    const par = createBeamletOperator(PHOTON_6MV, ph, points(pts), target, beams, { beamletMm: 5, marginMm: 5, threads: 3 });
    try {
      // the workers really run (no silent fallback to one thread)
      expect(par.threads).toBe(3);
      expect(par.nBeamlets).toBe(op.nBeamlets);
      const r = rng(11);
      for (let trial = 0; trial < 2; trial++) {
        const w = Float64Array.from({ length: op.nBeamlets }, () => r() - 0.3);
        const g = Float64Array.from({ length: op.nPoints }, () => r() - 0.5);
        const d1 = new Float64Array(op.nPoints), dT = new Float64Array(op.nPoints);
        const a1 = new Float64Array(op.nBeamlets), aT = new Float64Array(op.nBeamlets);
        op.forward(w, d1);
        par.forward(w, dT);
        op.adjoint(g, a1);
        par.adjoint(g, aT);
        const dMax = Math.max(...d1.map(Math.abs)), aMax = Math.max(...a1.map(Math.abs));
        for (let p = 0; p < op.nPoints; p++) expect(Math.abs(dT[p]! - d1[p]!)).toBeLessThanOrEqual(1e-6 * dMax);
        for (let j = 0; j < op.nBeamlets; j++) expect(Math.abs(aT[j]! - a1[j]!)).toBeLessThanOrEqual(1e-6 * aMax);
        let x = 0, y = 0, sx = 0;
        for (let p = 0; p < op.nPoints; p++) { x += dT[p]! * g[p]!; sx += Math.abs(dT[p]! * g[p]!); }
        for (let j = 0; j < op.nBeamlets; j++) y += w[j]! * aT[j]!;
        expect(Math.abs(x - y) / sx).toBeLessThan(1e-5);
      }
    } finally {
      par.close();
    }
    expect(par.threads).toBe(1);
    // after close the operator still works, on the calling thread
    const w = new Float64Array(op.nBeamlets).fill(1);
    const d1 = new Float64Array(op.nPoints), dT = new Float64Array(op.nPoints);
    op.forward(w, d1);
    par.forward(w, dT);
    for (let p = 0; p < op.nPoints; p++) expect(dT[p]).toBe(d1[p]);
  });
});

test('the beamlets of a 10 x 10 cm field sum to the open-field dose within 0.5 %', () => {
  const water = slabPhantom(0, 260);
  // target points in the iso plane (the surface, SSD 1000 mm) whose 5 mm beamlets tile [-50, 50]^2 exactly
  const t: [number, number, number][] = [];
  for (let x = -47.5; x <= 47.5; x += 5) for (let z = -47.5; z <= 47.5; z += 5) t.push([x, 0, z]);
  const pts: [number, number, number][] = [];
  for (const y of [15, 50, 100, 200]) for (let x = -40; x <= 40; x += 10) pts.push([x, y, 0], [0, y, x]);
  const op = createBeamletOperator(PHOTON_6MV, water, points(pts), points(t), [beam(0)], { beamletMm: 5, marginMm: 0 });
  expect(op.nBeamlets).toBe(400);
  const d = new Float64Array(op.nPoints);
  op.forward(new Float64Array(op.nBeamlets).fill(100), d);
  const open = staticFieldDose(PHOTON_6MV, water, points(pts), [{ geometry: beam(0).geometry, aperture: { jawXMm: [-50, 50], jawYMm: [-50, 50] }, mu: 100 }], { pixelMm: 1 });
  for (let p = 0; p < pts.length; p++) expect(Math.abs(d[p]! / open[p]! - 1), `point ${pts[p]}`).toBeLessThan(0.005);
});
