/**
 * Shapes between contour planes (issue 10 §2): the interpolated model against analytic volumes and
 * dose-volume points of shapes that curve along the slice axis, at 1, 2 and 3 mm planes and several
 * plane phases; flat-ended shapes exact under both models. Expectations are derived here from the
 * shapes' geometry (Nelms et al., Med Phys 42(8) 2015 use the same shapes and a 1 Gy/mm gradient
 * along the slice axis; their data set is not at hand, so the shapes are rebuilt analytically).
 */
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/core/vec3.js';
import { indexToLps } from '../../src/geometry/grid.js';
import type { BetweenPlanesModel } from '../../src/geometry/between-planes.js';
import type { PlanarContour } from '../../src/geometry/structure.js';
import { createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';
import { sampleStructure, structureDvh } from '../../src/evaluate/dvh.js';
import { doseAtVolumePercent } from '../../src/evaluate/metrics.js';
import {
  coneContours,
  coneDp,
  cylinderAcrossContours,
  cylinderAcrossDp,
  cylinderContours,
  doseGridAround,
  linearDose,
  sphereContours,
  sphereDp,
} from './analytic.js';

const C: Vec3 = [12.3, -40.7, 25.2];
const SPACINGS = [1, 2, 3] as const;
const PHASES = [0, 0.25, 0.5, 0.8] as const;
/** Gradient along the slice axis (Gy/mm) and the dose at the shape's centre (Gy). */
const G = 1;
const D0 = 50;

interface Case {
  readonly label: string;
  readonly volumeCc: number;
  readonly d95: number;
  readonly d5: number;
  readonly contours: (s: number, phase: number) => PlanarContour[];
}

const R_SPHERE = 12;
const A_CYL = 12;
const L_CYL = 40;
const RB_CONE = 12;
const H_CONE = 24;
const cases: readonly Case[] = [
  {
    label: 'sphere of radius 12 mm',
    volumeCc: ((4 / 3) * Math.PI * R_SPHERE ** 3) / 1000,
    d95: sphereDp(R_SPHERE, D0, G, 95),
    d5: sphereDp(R_SPHERE, D0, G, 5),
    contours: (s, ph) => sphereContours(C, R_SPHERE, s, ph * s),
  },
  {
    label: 'cylinder of radius 12 mm lying across the planes',
    volumeCc: (Math.PI * A_CYL * A_CYL * L_CYL) / 1000,
    d95: cylinderAcrossDp(A_CYL, D0, G, 95),
    d5: cylinderAcrossDp(A_CYL, D0, G, 5),
    contours: (s, ph) => cylinderAcrossContours(C, A_CYL, L_CYL, s, ph * s),
  },
  {
    label: 'cone with its apex between planes',
    volumeCc: (Math.PI * RB_CONE * RB_CONE * H_CONE) / 3000,
    d95: coneDp(H_CONE, D0, G, 95),
    d5: coneDp(H_CONE, D0, G, 5),
    // The phase moves the apex: the height grows by a fraction of a spacing, so the cone is
    // rebuilt for each phase (see coneCase).
    contours: () => [],
  },
];

/** The cone case for a phase: its height is H + phase s so that the apex falls between planes. */
function coneCase(s: number, phase: number): { volumeCc: number; d95: number; d5: number; contours: PlanarContour[] } {
  const H = H_CONE + phase * s;
  const Rb = (RB_CONE * H) / H_CONE;
  return {
    volumeCc: (Math.PI * Rb * Rb * H) / 3000,
    d95: coneDp(H, D0, G, 95),
    d5: coneDp(H, D0, G, 5),
    contours: coneContours(C, Rb, H, s),
  };
}

function measure(contours: readonly PlanarContour[], dose: ScalarVolume, model: BetweenPlanesModel): { volumeCc: number; d95: number; d5: number } {
  const dvh = structureDvh({ name: 'shape', contours }, dose, { betweenPlanes: model });
  return { volumeCc: dvh.volumeCc, d95: doseAtVolumePercent(dvh, 95), d5: doseAtVolumePercent(dvh, 5) };
}

/** Worst errors of a model over the phases: volume (fraction) and D95 / D5 (Gy). */
function worst(kase: Case, s: number, model: BetweenPlanesModel, dose: ScalarVolume): { vol: number; d95: number; d5: number } {
  let vol = 0, d95 = 0, d5 = 0;
  for (const ph of PHASES) {
    const ref = kase.label.startsWith('cone') ? coneCase(s, ph) : { ...kase, contours: kase.contours(s, ph) };
    const m = measure(ref.contours, dose, model);
    vol = Math.max(vol, Math.abs(m.volumeCc / ref.volumeCc - 1));
    d95 = Math.max(d95, Math.abs(m.d95 - ref.d95));
    d5 = Math.max(d5, Math.abs(m.d5 - ref.d5));
  }
  return { vol, d95, d5 };
}

describe('shapes that curve along the slice axis, in a 1 Gy/mm gradient along it', () => {
  // The gradient is linear, so trilinear interpolation reproduces it exactly on any dose grid.
  const dose = linearDose(doseGridAround(C, 32, [2, 2, 2]), D0, [0, 0, G], C);

  for (const kase of cases) {
    it(`${kase.label}: the interpolated model is within 1 % in volume and 10 cGy in D95 and D5 at 1, 2 and 3 mm planes`, () => {
      for (const s of SPACINGS) {
        const w = worst(kase, s, 'interpolated', dose);
        expect(w.vol, `${kase.label}, ${s} mm planes, volume`).toBeLessThanOrEqual(0.01);
        expect(w.d95, `${kase.label}, ${s} mm planes, D95`).toBeLessThanOrEqual(0.1);
        expect(w.d5, `${kase.label}, ${s} mm planes, D5`).toBeLessThanOrEqual(0.1);
      }
    });
  }

  it('the slab model misses those bounds on the cylinder across 3 mm planes (the error the issue reports)', () => {
    // Issue 10 §2: the slab model loses up to 4.6 % of that cylinder's volume at 3 mm planes, with
    // D95 / D5 off by up to 52 cGy in the Nelms set.
    const w = worst(cases[1]!, 3, 'slab', dose);
    expect(w.vol).toBeGreaterThan(0.01);
    expect(Math.max(w.d95, w.d5)).toBeGreaterThan(0.1);
  });

  it('a cylinder along the slice axis (flat ends half a spacing beyond the end planes) is exact under both models', () => {
    const a = 12, L = 24;
    for (const s of SPACINGS) {
      const contours = cylinderContours(C, a, L, s);
      const vTrue = (Math.PI * a * a * L) / 1000;
      // Dose uniform in z over the cylinder: Dp% = D0 + G (L / 2 - p L / 100).
      for (const model of ['slab', 'interpolated'] as const) {
        const m = measure(contours, dose, model);
        expect(Math.abs(m.volumeCc / vTrue - 1), `${model}, ${s} mm`).toBeLessThan(model === 'slab' ? 1e-3 : 2e-3);
        expect(Math.abs(m.d95 - (D0 + G * (L / 2 - 0.95 * L))), `${model}, ${s} mm`).toBeLessThan(0.02);
        expect(Math.abs(m.d5 - (D0 + G * (L / 2 - 0.05 * L))), `${model}, ${s} mm`).toBeLessThan(0.02);
      }
    }
  });
});

/** erf by Abramowitz and Stegun 7.1.26 (|error| <= 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

describe('15 mm lattice spheres in a gaussian peak (6 mm sigma) against the true sphere', () => {
  const R = 7.5, sigma = 6, peak = 66.7;
  // Fine dose grid: the trilinear interpolation of the gaussian is within 0.05 % of the function.
  const grid = doseGridAround(C, 11, [0.5, 0.5, 0.5]);
  const dose = createScalarVolume(grid);
  {
    const [nx, ny, nz] = grid.size;
    let p = 0;
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
      const x = indexToLps(grid, [i, j, k]);
      const r2 = (x[0] - C[0]) ** 2 + (x[1] - C[1]) ** 2 + (x[2] - C[2]) ** 2;
      dose.data[p] = peak * Math.exp(-r2 / (2 * sigma * sigma));
    }
  }
  // True sphere: volume 4/3 π R³; mean (3 / R³) ∫ D(r) r² dr = 3 peak σ³ [√(π/2) erf(R / σ√2) - (R / σ) e^(-R²/2σ²)] / R³;
  // D95 = D at the radius holding 95 % of the volume inside it... the outer 5 % shell is the coldest,
  // so D95 = D(R 0.95^(1/3)).
  const vTrue = ((4 / 3) * Math.PI * R ** 3) / 1000;
  const meanTrue =
    (3 * peak * sigma ** 3 * (Math.sqrt(Math.PI / 2) * erf(R / (sigma * Math.SQRT2)) - (R / sigma) * Math.exp(-(R * R) / (2 * sigma * sigma)))) / R ** 3;
  const d95True = peak * Math.exp(-((R * Math.cbrt(0.95)) ** 2) / (2 * sigma * sigma));

  const errors = (s: number, model: BetweenPlanesModel): { vol: number; mean: number; d95: number } => {
    let vol = 0, mean = 0, d95 = 0;
    for (const ph of PHASES) {
      const dvh = structureDvh({ name: 'sphere', contours: sphereContours(C, R, s, ph * s) }, dose, { betweenPlanes: model });
      vol = Math.max(vol, Math.abs(dvh.volumeCc / vTrue - 1));
      mean = Math.max(mean, Math.abs(dvh.meanGy / meanTrue - 1));
      d95 = Math.max(d95, Math.abs(doseAtVolumePercent(dvh, 95) / d95True - 1));
    }
    return { vol, mean, d95 };
  };

  for (const s of SPACINGS) {
    it(`on ${s} mm planes the interpolated model is within 1 % in volume, mean and D95`, () => {
      const e = errors(s, 'interpolated');
      expect(e.vol).toBeLessThanOrEqual(0.01);
      expect(e.mean).toBeLessThanOrEqual(0.01);
      expect(e.d95).toBeLessThanOrEqual(0.01);
    });
  }

  it('on 3 mm planes the slab model misses 1 % (issue 10: volume 2.6 % and D95 3.3 % low)', () => {
    const e = errors(3, 'slab');
    expect(Math.max(e.vol, e.d95)).toBeGreaterThan(0.01);
  });
});

describe('small structures sampled in plane by the radius of their cross-sections (2 A / P)', () => {
  // A sphere of radius 16 mm is 17 cc: under 20 cc, so sampled finely, but its cross-sections are wide.
  const R = 16;
  const dose = linearDose(doseGridAround(C, 40, [2, 2, 2]), D0, [0, 0, G], C);
  const ring = (outer: number, inner: number): PlanarContour[] =>
    [-5, -2.5, 0, 2.5, 5].flatMap((dz) => [outer, inner].map((r) => sphereContours([C[0], C[1], C[2] + dz], r, 100)[0]!));

  it('keeps 0.5 mm for a lattice sphere, a ring, islands and a cord-sized cylinder; up to 1 mm for a wide one', () => {
    const spacing = (contours: PlanarContour[]): number => sampleStructure({ name: 's', contours }, dose.grid).info.inPlaneSpacingMm;
    expect(spacing(sphereContours(C, 7.5, 2))).toBe(0.5);
    // a ring 3 mm thick, and two wide spheres side by side: more than one contour a plane
    expect(spacing(ring(12, 9))).toBe(0.5);
    expect(spacing([...sphereContours(C, 10, 2.5), ...sphereContours([C[0] + 25, C[1], C[2]], 10, 2.5)])).toBe(0.5);
    expect(spacing(cylinderContours(C, 5, 60, 2.5))).toBe(0.5);
    // 2 A / P of the sphere's circles: Σ r² / Σ r, about 0.85 R = 13.6 mm, over 13 points: 1 mm
    expect(spacing(sphereContours(C, R, 2))).toBe(1);
    expect(spacing(sphereContours(C, 9, 2))).toBeCloseTo((2 * 0.85 * 9) / 2 / 13, 1);
  });

  it('gives the wide sphere its analytic volume, D95 and D5 in a 1 Gy/mm gradient as the 0.5 mm sampling does', () => {
    const vTrue = ((4 / 3) * Math.PI * R ** 3) / 1000;
    for (const s of SPACINGS) {
      for (const ph of PHASES) {
        const contours = sphereContours(C, R, s, ph * s);
        const by = (o: { inPlaneSpacingMm?: number }): number[] => {
          const dvh = structureDvh({ name: 'sphere', contours }, dose, { betweenPlanes: 'interpolated', ...o });
          return [dvh.volumeCc, doseAtVolumePercent(dvh, 95), doseAtVolumePercent(dvh, 5)];
        };
        const [vol, d95, d5] = by({});
        expect(Math.abs(vol! / vTrue - 1), `${s} mm planes, phase ${ph}`).toBeLessThan(0.01);
        expect(Math.abs(d95! - sphereDp(R, D0, G, 95))).toBeLessThan(0.1);
        expect(Math.abs(d5! - sphereDp(R, D0, G, 5))).toBeLessThan(0.1);
        const fine = by({ inPlaneSpacingMm: 0.5 });
        expect(Math.abs(vol! / fine[0]! - 1)).toBeLessThan(0.001);
        expect(Math.abs(d95! - fine[1]!)).toBeLessThan(0.02);
        expect(Math.abs(d5! - fine[2]!)).toBeLessThan(0.02);
      }
    }
  });
});
