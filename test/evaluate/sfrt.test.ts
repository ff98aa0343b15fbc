import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createMask, createScalarVolume } from '../../src/geometry/volume.js';
import { sampleDose, sampleOccupancy } from '../../src/evaluate/dvh.js';
import { eqd2Gy } from '../../src/evaluate/radiobiology.js';
import { deliveredEqd2Gy } from '../../src/evaluate/fractions.js';
import { sfrtMetrics, sfrtPhysicalAndEqd2 } from '../../src/evaluate/sfrt.js';

// 1 mm grid; GTV a ball of radius 20 mm; two spheres of radius 7.5 mm at 66.7 Gy; 20 Gy elsewhere.
// Dose is exact at voxel centres and points are not spread, so every figure is a voxel count.
const n = 50;
const grid = createGrid({ size: [n, n, n], spacingMm: [1, 1, 1], originMm: [-24.5, -24.5, -24.5] });
const gtv = createMask(grid);
const s1 = createMask(grid);
const s2 = createMask(grid);
const valley = createMask(grid);
const dose = createScalarVolume(grid);
let nG = 0, n1 = 0, n2 = 0;
for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
  const x = i - 24.5, y = j - 24.5, z = k - 24.5;
  const p = i + n * (j + n * k);
  const inG = x * x + y * y + z * z <= 400;
  const in1 = (x - 9) ** 2 + y * y + z * z <= 56.25;
  const in2 = (x + 9) ** 2 + y * y + z * z <= 56.25;
  if (inG) { gtv.data[p] = 1; nG++; }
  if (in1) { s1.data[p] = 1; n1++; }
  if (in2) { s2.data[p] = 1; n2++; }
  if (inG && !in1 && !in2) valley.data[p] = 1;
  dose.data[p] = in1 || in2 ? 66.7 : 20;
}
const samples = (name: string, m: typeof gtv) => sampleDose(sampleOccupancy(name, m), dose, { spread: false });
const input = { gtv: samples('GTV', gtv), spheres: [samples('Sphere_1', s1), samples('Sphere_2', s2)], valley: samples('Valley', valley) };

describe('SFRT metrics', () => {
  it('gives peak, valley, PVDR_DVH, PVDR_struct, VPDR, vertex count and peak fraction on a two-level plan', () => {
    const m = sfrtMetrics(input);
    expect(m.vertexCount).toBe(2);
    expect(m.peak!.meanGy).toBeCloseTo(66.7, 4);
    expect(m.peak!.D95Gy).toBeCloseTo(66.7, 1);
    expect(m.perSphere.map((s) => s.name)).toEqual(['Sphere_1', 'Sphere_2']);
    expect(m.perSphere[0]!.volumeCc).toBeCloseTo(n1 / 1000, 9);
    expect(m.valley!.meanGy).toBeCloseTo(20, 4);
    expect(m.valley!.D50Gy).toBeCloseTo(20, 1);
    // Spheres hold (n1 + n2) / nG = 2 x 1.767 / 33.5 ≈ 10.5 % of the GTV: D10 falls in the peak, D90 in the valley.
    expect((n1 + n2) / nG).toBeGreaterThan(0.1);
    expect(m.gtv.D10Gy).toBeCloseTo(66.7, 1);
    expect(m.valleyGtvD90Gy).toBeCloseTo(20, 1);
    expect(m.pvdrDvh).toBeCloseTo(66.7 / 20, 2);
    expect(m.pvdrStruct).toBeCloseTo(3.335, 4);
    expect(m.vpdrStruct).toBeCloseTo(20 / 66.7, 4);
    expect(m.peakVolumeFraction).toBeCloseTo((n1 + n2) / nG, 9);
    expect(m.quantity).toBe('physical dose');
  });

  it('gives the same figures in EQD2 (α/β 10): peak 129.73 Gy, valley 23.33 Gy, PVDR_struct 5.56', () => {
    const { physical, eqd2 } = sfrtPhysicalAndEqd2(input, { fractions: 5 });
    expect(physical.pvdrStruct).toBeCloseTo(3.335, 4);
    expect(eqd2.peak!.meanGy).toBeCloseTo(eqd2Gy(66.7, 5, 10), 3);
    expect(eqd2.valley!.meanGy).toBeCloseTo(eqd2Gy(20, 5, 10), 3);
    expect(eqd2.pvdrStruct).toBeCloseTo(129.7278 / 23.3333, 3);
    expect(eqd2.quantity).toBe('EQD2 (LQ, α/β = 10 Gy)');
    // Delivered 2 of 5: spheres 51.89 Gy EQD2.
    const del = sfrtPhysicalAndEqd2(input, { fractions: 5, schedule: { fractionsPlanned: 5, fractionsDelivered: 2 } });
    expect(del.eqd2.peak!.meanGy).toBeCloseTo(deliveredEqd2Gy(66.7, { fractionsPlanned: 5, fractionsDelivered: 2 }, 10), 3);
    expect(del.eqd2.peak!.meanGy).toBeCloseTo(51.89, 2);
  });

  it('works without a valley structure (GTV D90 surrogate only) and refuses mixed quantities', () => {
    const m = sfrtMetrics({ gtv: input.gtv, spheres: input.spheres });
    expect(m.valley).toBeUndefined();
    expect(m.pvdrStruct).toBeUndefined();
    expect(m.valleyGtvD90Gy).toBeCloseTo(20, 1);
    const eq = sfrtPhysicalAndEqd2(input, { fractions: 5 }).eqd2;
    expect(eq).toBeDefined();
    expect(() => sfrtMetrics({ gtv: input.gtv, spheres: [{ ...input.spheres[0]!, quantity: 'EQD2 (LQ, α/β = 10 Gy)' }] })).toThrow(InputError);
  });
});
