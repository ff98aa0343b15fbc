/**
 * Shapes between contour planes (issue 10 §2): the slab and the interpolated model side by side.
 * Accuracy: analytic shapes contoured on 1, 2 and 3 mm planes at ten plane phases (0, 0.1 s, ...,
 * 0.9 s), worst error over the phases of the volume (%) and of D95 / D5 (cGy) in a 1 Gy/mm gradient
 * along the slice axis: a sphere of radius 12 mm, a cylinder of radius 12 mm and length 40 mm
 * lying across the planes, a cone (base radius 12 mm, height 24 mm, apex between planes, flat base
 * half a spacing beyond the top plane), a cylinder along the slice axis (flat ends); and 15 mm
 * spheres in a gaussian peak (6 mm sigma, 0.5 mm dose grid) against the true sphere (volume, mean,
 * D95). Expected values as in test/evaluate/between-planes.test.ts (derived from the geometry).
 * Speed: sampleStructure for every structure of the two evaluate-cli stand-in cases, per model
 * (median of 3 after a warm-up, in this process); the whole-process figures are in evaluate-cli.
 */

import type { BetweenPlanesChoice, BetweenPlanesModel } from '../src/geometry/between-planes.js';
import { indexToLps } from '../src/geometry/grid.js';
import type { PlanarContour } from '../src/geometry/structure.js';
import { createScalarVolume, type ScalarVolume } from '../src/geometry/volume.js';
import { sampleStructure, structureDvh } from '../src/evaluate/dvh.js';
import { doseAtVolumePercent } from '../src/evaluate/metrics.js';
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
} from './analytic-shapes.js';
import { prostateStandIn, smallStandIn } from './evaluate-cli.bench.js';
import { timeIt, type BenchSuite, type Measurement } from './harness.js';

const C = [12.3, -40.7, 25.2] as const;
const PHASES = Array.from({ length: 10 }, (_, q) => q / 10);
const MODELS: readonly BetweenPlanesModel[] = ['slab', 'interpolated'];
const D0 = 50, G = 1;

interface Reference {
  readonly volumeCc: number;
  readonly d95: number;
  readonly d5: number;
  readonly contours: PlanarContour[];
}

const shapes: readonly { readonly label: string; readonly at: (s: number, ph: number) => Reference }[] = [
  {
    label: 'sphere R 12 mm',
    at: (s, ph) => ({
      volumeCc: ((4 / 3) * Math.PI * 12 ** 3) / 1000,
      d95: sphereDp(12, D0, G, 95),
      d5: sphereDp(12, D0, G, 5),
      contours: sphereContours([...C], 12, s, ph * s),
    }),
  },
  {
    label: 'cylinder R 12 mm across the planes',
    at: (s, ph) => ({
      volumeCc: (Math.PI * 144 * 40) / 1000,
      d95: cylinderAcrossDp(12, D0, G, 95),
      d5: cylinderAcrossDp(12, D0, G, 5),
      contours: cylinderAcrossContours([...C], 12, 40, s, ph * s),
    }),
  },
  {
    label: 'cone Rb 12 mm, apex between planes',
    at: (s, ph) => {
      const H = 24 + ph * s, Rb = (12 * H) / 24;
      return {
        volumeCc: (Math.PI * Rb * Rb * H) / 3000,
        d95: coneDp(H, D0, G, 95),
        d5: coneDp(H, D0, G, 5),
        contours: coneContours([...C], Rb, H, s),
      };
    },
  },
  {
    label: 'cylinder R 12 mm along the planes (flat ends)',
    at: (s) => ({
      volumeCc: (Math.PI * 144 * 24) / 1000,
      d95: D0 + G * (12 - 0.95 * 24),
      d5: D0 + G * (12 - 0.05 * 24),
      contours: cylinderContours([...C], 12, 24, s),
    }),
  },
];

function gaussianDose(): ScalarVolume {
  const grid = doseGridAround([...C], 11, [0.5, 0.5, 0.5]);
  const dose = createScalarVolume(grid);
  const [nx, ny, nz] = grid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const x = indexToLps(grid, [i, j, k]);
    dose.data[p] = 66.7 * Math.exp(-((x[0] - C[0]) ** 2 + (x[1] - C[1]) ** 2 + (x[2] - C[2]) ** 2) / 72);
  }
  return dose;
}

/** erf by Abramowitz and Stegun 7.1.26 (|error| <= 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

export const suite: BenchSuite = {
  name: 'between-planes',
  run(): Measurement[] {
    const rows: Measurement[] = [];
    const dose = linearDose(doseGridAround([...C], 32, [2, 2, 2]), D0, [0, 0, G], [...C]);
    for (const shape of shapes) {
      for (const s of [1, 2, 3]) {
        for (const model of MODELS) {
          let vol = 0, d95 = 0, d5 = 0;
          for (const ph of PHASES) {
            const ref = shape.at(s, ph);
            const dvh = structureDvh({ name: 'shape', contours: ref.contours }, dose, { betweenPlanes: model });
            vol = Math.max(vol, Math.abs(dvh.volumeCc / ref.volumeCc - 1));
            d95 = Math.max(d95, Math.abs(doseAtVolumePercent(dvh, 95) - ref.d95));
            d5 = Math.max(d5, Math.abs(doseAtVolumePercent(dvh, 5) - ref.d5));
          }
          const name = `${shape.label}, ${s} mm, ${model}`;
          rows.push({ name: `${name}: volume`, value: 100 * vol, unit: '%', target: '<= 1 %', pass: model === 'slab' ? undefined : vol <= 0.01 } as Measurement);
          rows.push({ name: `${name}: D95 / D5`, value: 100 * Math.max(d95, d5), unit: 'cGy', target: '<= 10 cGy', pass: model === 'slab' ? undefined : Math.max(d95, d5) <= 0.1 } as Measurement);
        }
      }
    }
    // 15 mm spheres in a gaussian peak.
    const gauss = gaussianDose();
    const R = 7.5, sigma = 6;
    const vTrue = ((4 / 3) * Math.PI * R ** 3) / 1000;
    const meanTrue =
      (3 * 66.7 * sigma ** 3 * (Math.sqrt(Math.PI / 2) * erf(R / (sigma * Math.SQRT2)) - (R / sigma) * Math.exp(-(R * R) / (2 * sigma * sigma)))) / R ** 3;
    const d95True = 66.7 * Math.exp(-((R * Math.cbrt(0.95)) ** 2) / (2 * sigma * sigma));
    for (const s of [1, 2, 3]) {
      for (const model of MODELS) {
        let vol = 0, mean = 0, d95 = 0;
        for (const ph of PHASES) {
          const dvh = structureDvh({ name: 'sphere', contours: sphereContours([...C], R, s, ph * s) }, gauss, { betweenPlanes: model });
          vol = Math.max(vol, Math.abs(dvh.volumeCc / vTrue - 1));
          mean = Math.max(mean, Math.abs(dvh.meanGy / meanTrue - 1));
          d95 = Math.max(d95, Math.abs(doseAtVolumePercent(dvh, 95) / d95True - 1));
        }
        const worst = Math.max(vol, mean, d95);
        rows.push({
          name: `15 mm sphere, gaussian peak, ${s} mm, ${model}: worst of volume ${(100 * vol).toFixed(2)} / mean ${(100 * mean).toFixed(2)} / D95 ${(100 * d95).toFixed(2)} %`,
          value: 100 * worst,
          unit: '%',
          ...(model === 'slab' ? {} : { target: '<= 1 %', pass: worst <= 0.01 }),
        });
      }
    }
    // Speed: the geometry of the stand-in cases.
    for (const [label, make] of [['prostate stand-in', prostateStandIn], ['small stand-in', smallStandIn]] as const) {
      const c = make();
      for (const choice of ['slab', 'interpolated', 'auto'] as readonly BetweenPlanesChoice[]) {
        const t = timeIt(() => c.structures.map((st) => sampleStructure(st, c.doseGrid, { betweenPlanes: choice }).index.length));
        rows.push({ name: `${label}: sampleStructure, every structure, ${choice}`, value: t.seconds, unit: 's' });
      }
    }
    return rows;
  },
};
