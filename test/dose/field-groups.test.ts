/** Plan dose shortcuts that must not change the dose: fields of one geometry computed as one (the dose
 * is linear in the fluence), depths shared by beams with one source, scratch arrays reused between
 * batches, and the single-sample Siddon ray. */

import { describe, expect, test } from 'vitest';
import { beamFrame, type BeamGeometry } from '../../src/dose/beam-geometry.js';
import { fieldGroups, staticFieldDose, type StaticField } from '../../src/dose/field-dose.js';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { beamDepthsMm, preparePencilBeam } from '../../src/dose/pencil-beam.js';
import type { ScratchPool } from '../../src/dose/scratch.js';
import { createRayTracer, radiologicalPath } from '../../src/dose/siddon.js';
import { createGrid, indexToLps } from '../../src/geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';

/** A 4 mm RED phantom: water cylinder (r 80 mm, along z) with a lung slab (0.3) and a bone rod (1.6). */
function phantom(): ScalarVolume {
  const n = 44, nz = 12;
  const grid = createGrid({ size: [n, n, nz], spacingMm: [4, 4, 4], originMm: [-86, -86, -22] });
  const data = new Float32Array(n * n * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    const x = -86 + 4 * i, y = -86 + 4 * j;
    let r = Math.hypot(x, y) < 80 ? 1 : 0;
    if (r > 0 && y > -40 && y < -20) r = 0.3;
    if (Math.hypot(x - 25, y - 30) < 10) r = 1.6;
    data[i + n * (j + n * k)] = r;
  }
  return createScalarVolume(grid, data);
}

/** Every other voxel centre of the body, 3N LPS. */
function bodyPoints(v: ScalarVolume): Float64Array {
  const out: number[] = [];
  const [nx, ny, nz] = v.grid.size;
  for (let k = 0; k < nz; k += 2) for (let j = 0; j < ny; j += 2) for (let i = 0; i < nx; i += 2) {
    if (v.data[i + nx * (j + ny * k)]! > 0.05) out.push(...indexToLps(v.grid, [i, j, k]));
  }
  return Float64Array.from(out);
}

const geometry = (gantryDeg: number, collimatorDeg = 0): BeamGeometry => ({ gantryDeg, collimatorDeg, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000 });
const leafBoundaries = Float64Array.from({ length: 21 }, (_, i) => -50 + 5 * i);
/** An MLC aperture: leaf pair i open over [-a_i, b_i] (mm), inside jaws X [-60, 60], Y [-50, 50]. */
function mlcField(g: BeamGeometry, mu: number, phase: number): StaticField {
  const bankA = Float64Array.from({ length: 20 }, (_, i) => -10 - 20 * Math.abs(Math.sin(i / 4 + phase)));
  const bankB = Float64Array.from({ length: 20 }, (_, i) => 5 + 25 * Math.abs(Math.cos(i / 5 + phase)));
  return { geometry: g, aperture: { jawXMm: [-60, 60], jawYMm: [-50, 50], mlc: { boundariesMm: leafBoundaries, bankA, bankB }, mlcTransmission: 0.004 }, mu };
}

const maxOf = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, a[i]!);
  return m;
};

describe('fields of one geometry computed as one', () => {
  const v = phantom();
  const pts = bodyPoints(v);

  test('fieldGroups: same geometry together, a fluence map alone, same-source groups next to each other', () => {
    const a = mlcField(geometry(10), 5, 0), b = mlcField(geometry(20), 5, 1), c = mlcField(geometry(10), 7, 2);
    const d = mlcField(geometry(20, 30), 3, 3), e = mlcField(geometry(10, 30), 2, 4);
    const map: StaticField = { geometry: geometry(10), fluence: { region: { u0Mm: 0, v0Mm: 0, nu: 1, nv: 1 }, pixelMm: 2.5, values: new Float64Array(1) }, mu: 1 };
    const groups = fieldGroups([a, b, c, d, map, e]);
    expect(groups).toEqual([[a, c], [map], [e], [b], [d]]);
  });

  test('two arcs over the same angles: the dose equals the sum of the fields computed one at a time (dose is linear in fluence)', () => {
    // arc 1 and arc 2 at the same gantry angles with different apertures and MU, and wider jaws on one
    const fields: StaticField[] = [];
    for (let g = 0; g < 4; g++) fields.push(mlcField(geometry(30 * g), 4 + g, g));
    for (let g = 3; g >= 0; g--) {
      const f = mlcField(geometry(30 * g), 2 + g, 5 - g);
      fields.push(g === 1 ? { ...f, aperture: { ...f.aperture!, jawYMm: [-70, 40] } } : f);
    }
    const together = staticFieldDose(PHOTON_6MV, v, pts, fields, { pixelMm: 2.5 });
    const alone = new Float64Array(together.length);
    for (const f of fields) {
      const d = staticFieldDose(PHOTON_6MV, v, pts, [f], { pixelMm: 2.5 });
      for (let q = 0; q < d.length; q++) alone[q] = alone[q]! + d[q]!;
    }
    const max = maxOf(alone);
    expect(max).toBeGreaterThan(0.05);
    // the convolved planes are float32: rounding of 1e-7 of the values, summed before or after
    for (let q = 0; q < alone.length; q++) expect(Math.abs(together[q]! - alone[q]!)).toBeLessThan(1e-6 * max);
  });
});

describe('depths shared by beams with one source', () => {
  const v = phantom();
  const pts = bodyPoints(v);
  const region = { u0Mm: -50, v0Mm: -50, nu: 41, nv: 41 };
  const bev = { raySpacingMm: 2, stepMm: 2, exactBelowMm: 30 };

  test('per-point rays: collimator 0 and 35 at one gantry angle give each point its own Siddon depth', () => {
    const prep = preparePencilBeam(PHOTON_6MV, v, pts, [{ geometry: geometry(40), region }, { geometry: geometry(40, 35), region }], { pixelMm: 2.5 });
    const tracer = createRayTracer(v);
    const s = beamFrame(geometry(40)).sourceLps;
    const d0 = beamDepthsMm(prep, 0), d1 = beamDepthsMm(prep, 1);
    for (let p = 0; p < pts.length / 3; p++) {
      const ref = radiologicalPath(tracer, s[0], s[1], s[2], pts[3 * p]!, pts[3 * p + 1]!, pts[3 * p + 2]!);
      expect(d0[p]).toBe(Math.fround(ref));
      expect(d1[p]).toBe(Math.fround(ref));
    }
  });

  test('depth tables: a beam\'s depths do not depend on the collimator angle nor on the beams prepared with it', () => {
    const alone = (g: BeamGeometry): Float32Array => Float32Array.from(beamDepthsMm(preparePencilBeam(PHOTON_6MV, v, pts, [{ geometry: g, region }], { pixelMm: 2.5, bevDepth: bev }), 0));
    const c0 = alone(geometry(40)), c35 = alone(geometry(40, 35));
    const both = preparePencilBeam(PHOTON_6MV, v, pts, [{ geometry: geometry(40, 35), region }, { geometry: geometry(40), region }], { pixelMm: 2.5, bevDepth: bev });
    // the same table (collimator 0's frame); only the rounding of the points' coordinates differs
    for (let p = 0; p < c0.length; p++) expect(Math.abs(c35[p]! - c0[p]!)).toBeLessThan(1e-4);
    expect(Float32Array.from(beamDepthsMm(both, 0))).toEqual(c35);
    expect(Float32Array.from(beamDepthsMm(both, 1))).toEqual(c35);
  });
});

describe('scratch arrays reused between batches', () => {
  const v = phantom();
  // the body points and one point 1200 mm anterior of the isocentre: behind the source of gantry 0
  // (source at y = -1000), in front of gantry 180's
  const pts = Float64Array.from([...bodyPoints(v), 0, -1200, 0]);
  const last = pts.length / 3 - 1;

  test('a pooled preparation gives the dose of a fresh one, whatever the previous batch left in the pool', () => {
    const front = [mlcField(geometry(180), 5, 0), mlcField(geometry(150), 4, 1)];
    const behind = [mlcField(geometry(0), 5, 2)];
    const bev = { raySpacingMm: 2, stepMm: 2, exactBelowMm: 30 };
    for (const options of [{ pixelMm: 2.5 }, { pixelMm: 2.5, bevDepth: bev }]) {
      const freshFront = staticFieldDose(PHOTON_6MV, v, pts, front, options);
      const freshBehind = staticFieldDose(PHOTON_6MV, v, pts, behind, options);
      expect(freshBehind[last]).toBe(0);
      expect(freshFront[last]).toBeGreaterThan(0);
      const scratch: ScratchPool = new Map();
      // front, behind, front: each call finds the previous one's values in the pool
      expect(Float64Array.from(staticFieldDose(PHOTON_6MV, v, pts, front, { ...options, scratch }))).toEqual(freshFront);
      expect(Float64Array.from(staticFieldDose(PHOTON_6MV, v, pts, behind, { ...options, scratch }))).toEqual(freshBehind);
      expect(Float64Array.from(staticFieldDose(PHOTON_6MV, v, pts, front, { ...options, scratch }))).toEqual(freshFront);
    }
  });
});

describe('single-sample Siddon ray', () => {
  test('through a uniform box: RED x the length inside it, entering and leaving through its faces', () => {
    // 10 x 10 x 10 voxels of 2 mm, RED 0.5, centred on the origin: the box spans [-10, 10] mm per axis
    const grid = createGrid({ size: [10, 10, 10], spacingMm: [2, 2, 2], originMm: [-9, -9, -9] });
    const tracer = createRayTracer(createScalarVolume(grid, new Float32Array(1000).fill(0.5)));
    // along y from far outside to the centre: 10 mm inside
    expect(radiologicalPath(tracer, 0.3, -500, 0.2, 0.3, 0, 0.2)).toBeCloseTo(5, 9);
    // through the whole box diagonally (3, 4, 12 direction): it enters at x = -10 * 3/12 ... the length
    // inside is the box's z extent (20 mm) x |d| / |d_z| = 20 x 13 / 12
    expect(radiologicalPath(tracer, -15 * 3 / 12, -15 * 4 / 12, -15, 15 * 3 / 12, 15 * 4 / 12, 15)).toBeCloseTo(0.5 * 20 * 13 / 12, 9);
    // a segment that ends before the box, or misses it: 0
    expect(radiologicalPath(tracer, 0, -500, 0, 0, -20, 0)).toBe(0);
    expect(radiologicalPath(tracer, 50, -500, 0, 50, 500, 0)).toBe(0);
  });

  test('equals a fine midpoint sum of the voxel densities along rays in all directions', () => {
    const grid = createGrid({ size: [17, 13, 11], spacingMm: [2.5, 3, 2], originMm: [-20, -18, -10] });
    const data = Float32Array.from({ length: 17 * 13 * 11 }, (_, q) => 0.5 + ((q * 7919) % 101) / 100);
    const tracer = createRayTracer(createScalarVolume(grid, data));
    // the density at a point: the voxel whose box holds it (voxel i spans origin + (i -+ 0.5) spacing), 0 outside
    const rho = (x: number, y: number, z: number): number => {
      const i = Math.floor((x + 20) / 2.5 + 0.5), j = Math.floor((y + 18) / 3 + 0.5), k = Math.floor((z + 10) / 2 + 0.5);
      return i < 0 || i >= 17 || j < 0 || j >= 13 || k < 0 || k >= 11 ? 0 : data[i + 17 * (j + 13 * k)]!;
    };
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 120 - 60;
    const steps = 40_000;
    for (let r = 0; r < 60; r++) {
      const a = [rnd(), rnd(), rnd()], b = r % 5 === 0 ? [a[0]!, rnd(), a[2]!] : [rnd(), rnd(), rnd()];
      const len = Math.hypot(b[0]! - a[0]!, b[1]! - a[1]!, b[2]! - a[2]!);
      let sum = 0;
      for (let q = 0; q < steps; q++) {
        const t = (q + 0.5) / steps;
        sum += rho(a[0]! + t * (b[0]! - a[0]!), a[1]! + t * (b[1]! - a[1]!), a[2]! + t * (b[2]! - a[2]!));
      }
      // each voxel boundary the ray crosses puts at most one step (len / steps) of the wrong density in the sum
      expect(Math.abs(radiologicalPath(tracer, a[0]!, a[1]!, a[2]!, b[0]!, b[1]!, b[2]!) - (sum * len) / steps)).toBeLessThan((45 * 1.5 * len) / steps);
    }
  });
});
