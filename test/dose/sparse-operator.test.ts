/** The truncated stored beamlet matrix: equal to the matrix-free operator where it keeps entries, exact transpose. */

import { describe, expect, test } from 'vitest';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { createBeamletOperator } from '../../src/dose/operator.js';
import { truncatedBeamletMatrix } from '../../src/dose/sparse-operator.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { points } from './water-phantom.js';

const beam = (gantryDeg: number) => ({ geometry: { gantryDeg, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0] as const, sadMm: 1000 } });

/** Seeded LCG in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('truncated beamlet matrix', () => {
  // water cylinder r = 80 mm along z with a lung-like slab, points every 6 mm
  const n = 33;
  const grid = createGrid({ size: [n, n, 9], spacingMm: [6, 6, 6], originMm: [-96, -96, -24] });
  const data = new Float32Array(n * n * 9);
  for (let k = 0; k < 9; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    const x = -96 + 6 * i, y = -96 + 6 * j;
    data[i + n * (j + n * k)] = Math.hypot(x, y) < 80 ? (y > 20 && y < 40 ? 0.3 : 1) : 0;
  }
  const ph = createScalarVolume(grid, data);
  const pts: [number, number, number][] = [];
  for (let z = -12; z <= 12; z += 6) for (let y = -60; y <= 60; y += 5) for (let x = -60; x <= 60; x += 5) pts.push([x + 0.7, y - 1.3, z + 0.4]);
  const target = points([[-15, -15, -5], [15, 15, 5], [0, 0, 0], [15, -15, 0]]);
  const op = createBeamletOperator(PHOTON_6MV, ph, points(pts), target, [beam(0), beam(100), beam(200), beam(300)], { beamletMm: 5, marginMm: 5 });
  const r = rng(7);
  const w = new Float64Array(op.nBeamlets).map(() => r());
  const full = new Float64Array(op.nPoints);
  op.forward(w, full);
  const max = Math.max(...full);

  test('with a radius covering every beamlet it equals the matrix-free forward (float32 storage)', () => {
    const all = truncatedBeamletMatrix(op, 120);
    const d = new Float64Array(op.nPoints);
    all.forward(w, d);
    let worst = 0;
    for (let p = 0; p < op.nPoints; p++) worst = Math.max(worst, Math.abs(d[p]! - full[p]!) / max);
    expect(worst).toBeLessThan(2e-5);
  });

  test('a single beamlet: kept entries equal the operator column, entries beyond the radius are dropped', () => {
    const near = truncatedBeamletMatrix(op, 10);
    const k = op.beams[1]!.first + Math.floor(op.beams[1]!.count / 2);
    const unit = new Float64Array(op.nBeamlets);
    unit[k] = 1;
    const col = new Float64Array(op.nPoints);
    op.forward(unit, col);
    const sp = new Float64Array(op.nPoints);
    near.forward(unit, sp);
    const cmax = Math.max(...col);
    let kept = 0, dropped = 0;
    for (let p = 0; p < op.nPoints; p++) {
      if (sp[p] !== 0) {
        kept++;
        expect(Math.abs(sp[p]! - col[p]!) / cmax).toBeLessThan(2e-5);
      } else if (col[p]! > 0) dropped++;
    }
    expect(kept).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    // the kept entries hold the beamlet's peak (primary) dose
    expect(Math.max(...sp)).toBeCloseTo(cmax, 5);
  });

  test('adjoint is the exact transpose: <D w, g> = <w, D^T g>', () => {
    const near = truncatedBeamletMatrix(op, 12);
    const g = new Float64Array(op.nPoints).map(() => r() - 0.5);
    const dw = new Float64Array(op.nPoints);
    near.forward(w, dw);
    const dtg = new Float64Array(op.nBeamlets);
    near.adjoint(g, dtg);
    let a = 0, b = 0;
    for (let p = 0; p < op.nPoints; p++) a += dw[p]! * g[p]!;
    for (let k = 0; k < op.nBeamlets; k++) b += w[k]! * dtg[k]!;
    expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(1e-12);
  });

  test('a bad radius is refused', () => {
    expect(() => truncatedBeamletMatrix(op, 0)).toThrow(/truncation radius/);
  });
});
