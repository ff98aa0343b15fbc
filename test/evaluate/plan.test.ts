import { describe, expect, it } from 'vitest';
import { InputError, fmt } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { tg101Set } from '../../src/evaluate/constraints/tg101.js';
import { DISCLAIMER, NO_SCHEDULE_NOTE, checkDoseVolume, evaluatePlan } from '../../src/evaluate/plan.js';
import { renderHtml } from '../../src/evaluate/report/html.js';
import { renderJson } from '../../src/evaluate/report/json.js';
import { renderMarkdown } from '../../src/evaluate/report/markdown.js';
import { eqd2Gy } from '../../src/evaluate/radiobiology.js';
import { latticeCase, latticeDose } from './lattice-case.js';

describe('plan evaluation', () => {
  const structures = latticeCase();
  const dose = latticeDose();
  const schedule = { fractionsPlanned: 5, fractionsDelivered: 2 };
  const ev = evaluatePlan(structures, dose, {
    schedule,
    constraintSet: tg101Set(5),
    metrics: ['D95%', 'V20Gy', 'V<21Gy'],
    prescriptions: [{ structure: 'GTV', doseGy: 19 }],
  });

  it('evaluates every contoured structure in physical dose, EQD2, delivered and delivered EQD2', () => {
    expect(ev.structures.map((s) => s.name)).toEqual(['GTV', 'Sphere_1', 'Sphere_2', 'Valley', 'Liver', 'Stomach']);
    expect(ev.warnings.join()).toMatch(/"Marker" has no closed contour/);
    const sphere = ev.structures[1]!;
    expect(sphere.alphaBetaGy).toBe(10);
    expect(sphere.sampling.fine).toBe(true);
    expect(Math.abs(sphere.volumeCc / 1.767 - 1)).toBeLessThan(0.02);
    // Delivered = 0.4 x planned, point by point; EQD2 of a Dx is the EQD2 of the Dx (monotone).
    expect(sphere.delivered!.D0_035ccGy).toBeCloseTo(0.4 * sphere.planned.D0_035ccGy, 2);
    expect(sphere.plannedEqd2!.D95pctGy).toBeCloseTo(eqd2Gy(sphere.planned.D95pctGy, 5, 10), 1);
    expect(ev.structures[4]!.alphaBetaGy).toBe(3);
    expect(Object.keys(ev.structures[0]!.requested)).toEqual(['D95%', 'V20Gy', 'V<21Gy']);
    expect(ev.structures[0]!.requested['D95%']!.value).toBeCloseTo(ev.structures[0]!.planned.D95pctGy, 6);
  });

  it('checks TG-101 on the planned schedule and finds the liver not achievable (under 700 cc)', () => {
    const liver = ev.constraints!.results.find((r) => r.organ === 'Liver')!;
    expect(liver.status).toBe('not achievable');
    expect(ev.constraints!.basis).toBe('planned-physical');
    const stomach = ev.constraints!.results.filter((r) => r.organ === 'Stomach');
    expect(stomach.map((r) => r.metric)).toEqual(['D10cc', 'D0.035cc']);
    // Stomach is 2.1 cc: a 10 cc volume limit holds at any dose.
    expect(stomach[0]!.status).toBe('pass');
  });

  it('gives SFRT metrics for the GTV, the two spheres and the valley, planned and delivered', () => {
    const s = ev.sfrt!;
    expect(s.spheres).toEqual(['Sphere_1', 'Sphere_2']);
    expect(s.valley).toBe('Valley');
    const m = s.planned.physical;
    expect(m.vertexCount).toBe(2);
    expect(m.pvdrStruct).toBeGreaterThan(1.5);
    expect(m.pvdrStruct).toBeCloseTo(m.peak!.meanGy / m.valley!.meanGy, 10);
    expect(s.delivered!.physical.peak!.meanGy).toBeCloseTo(0.4 * m.peak!.meanGy, 3);
    expect(s.planned.eqd2!.pvdrStruct!).toBeGreaterThan(m.pvdrStruct!);
    // The valley has the spheres as holes: valley + spheres = GTV within 1 %.
    const vol = (n: string): number => ev.structures.find((x) => x.name === n)!.volumeCc;
    expect(Math.abs((vol('Valley') + vol('Sphere_1') + vol('Sphere_2')) / vol('GTV') - 1)).toBeLessThan(0.01);
  });

  it('writes JSON (NaN as null), Markdown and an offline HTML page with an SVG DVH, each with the disclaimer', () => {
    const json = renderJson(ev, { input: 'test' });
    const back = JSON.parse(json);
    expect(back.disclaimer).toBe(DISCLAIMER);
    expect(back.structures[0].name).toBe('GTV');
    expect(json).not.toMatch(/NaN/);
    const md = renderMarkdown(ev);
    expect(md).toContain(DISCLAIMER);
    expect(md).toMatch(/\| Liver \| Liver \| V\(<21 Gy\) \|.*NOT ACHIEVABLE/);
    expect(md).toContain('PVDR_struct = mean peak / mean valley');
    const html = renderHtml(ev);
    expect(html).toContain(DISCLAIMER);
    expect(html).toMatch(/<svg[^>]*aria-label="Cumulative DVH"/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('gives conformity, gradient and homogeneity indices for a prescribed target', () => {
    const c = ev.conformity![0]!;
    const gtv = ev.structures[0]!;
    expect(c.structure).toBe('GTV');
    expect(c.targetCc).toBeCloseTo(gtv.dosedVolumeCc, 9);
    expect(c.rtogCi).toBeCloseTo(c.prescriptionIsodoseCc / c.targetCc, 9);
    expect(c.paddickCi).toBeCloseTo(c.targetCoveredCc ** 2 / (c.targetCc * c.prescriptionIsodoseCc), 9);
    expect(c.gradientIndex).toBeGreaterThan(1);
    expect(c.homogeneityIndexIcru83).toBeCloseTo((gtv.planned.D2pctGy - gtv.planned.D98pctGy) / gtv.planned.D50pctGy, 9);
    // The dose is >= 20 Gy inside the 25 mm ball by construction (20 Gy body plus peaks), and 19 Gy
    // reaches 0.8 mm beyond it: near-full coverage at 19 Gy; the rest is the GTV's partial boundary
    // voxels (2.5 mm sampling), sampled at centres up to 2 mm outside the surface. (At exactly 20 Gy
    // the flat part of the field sits on the threshold and half of each point's spread falls below.)
    expect(c.coveragePct).toBeGreaterThan(97);
    expect(renderMarkdown(ev)).toMatch(/Conformity and homogeneity/);
    expect(() => evaluatePlan(structures, dose, { schedule, prescriptions: [{ structure: 'PTV', doseGy: 20 }] })).toThrow(/"PTV"/);
  });

  it('takes a maximum the caller checked (doseMaxGy, DoseGrid.maxGy) for its own pass: the same evaluation', () => {
    const again = evaluatePlan(structures, dose, { schedule, doseMaxGy: checkDoseVolume(dose) });
    expect(again).toEqual(evaluatePlan(structures, dose, { schedule }));
    // the maximum sizes the histograms and the warning of an implausible dose: a different one shows
    expect(evaluatePlan(structures, dose, { schedule, doseMaxGy: 400 }).warnings.join('\n')).toMatch(/reaches 400\.0 Gy/);
  });

  it('rejects a negative dose anywhere and delivered > planned', () => {
    const bad = createScalarVolume(dose.grid, Float32Array.from(dose.data));
    bad.data[7] = -0.25;
    expect(() => evaluatePlan(structures, bad, { schedule })).toThrow(InputError);
    expect(() => evaluatePlan(structures, bad, { schedule })).toThrow(/-0.25 Gy at voxel 7/);
    expect(() => evaluatePlan(structures, dose, { schedule: { fractionsPlanned: 5, fractionsDelivered: 6 } })).toThrow(/\(6\)/);
  });
});

describe('checkDoseVolume (the WebAssembly check, a chunk of 65536 values at a time)', () => {
  // A grid of 3 chunks and a part: the values the JavaScript loop it replaced gave, and its errors.
  const grid = createGrid({ size: [100, 70, 30], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
  const values = (): Float32Array => Float32Array.from({ length: 100 * 70 * 30 }, (_, i) => Math.fround(((i * 7919) % 1000) / 37));
  const jsMaximum = (d: Float32Array): number => d.reduce((m, v) => (v > m ? v : m), 0);

  it('returns the maximum wherever it lies, 0 for an all-zero dose', () => {
    const d = values();
    expect(checkDoseVolume(createScalarVolume(grid, d))).toBe(jsMaximum(d));
    for (const at of [0, 65535, 65536, 3 * 65536 + 5, d.length - 1]) {
      const e = values();
      e[at] = 1234.5;
      expect(checkDoseVolume(createScalarVolume(grid, e))).toBe(1234.5);
    }
    const z = new Float32Array(d.length);
    z[9] = -0;
    expect(checkDoseVolume(createScalarVolume(grid, z))).toBe(0);
  });

  it('names the first negative, NaN or infinite value, in any chunk, as the JavaScript loop did', () => {
    const bad: readonly (readonly [number, number, string])[] = [
      [65535, Infinity, 'Infinity'],
      [65536, Number.NaN, 'NaN'],
      [70000, -1e-7, '-1e-7'],
      [3 * 65536 + 5, -Infinity, '-Infinity'],
    ];
    for (const [at, v, text] of bad) {
      const e = values();
      e[at] = v;
      e[at + 1] = -5;
      const check = (): number => checkDoseVolume(createScalarVolume(grid, e), 'RD.dcm');
      expect(check).toThrow(InputError);
      expect(check).toThrow(`dose must be finite and non-negative (Gy), found ${text} Gy at voxel ${at} (file RD.dcm)`);
    }
  });
});

describe('checkDoseVolume on the values a float32 can hold (the kernel reads four at a time, as bits)', () => {
  const grid = createGrid({ size: [70, 30, 40], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
  const values = (): Float32Array => Float32Array.from({ length: 70 * 30 * 40 }, (_, i) => Math.fround(((i * 7919) % 1000) / 37));
  const jsMaximum = (d: Float32Array): number => d.reduce((m, v) => (v > m ? v : m), 0);
  /** float32 bit patterns: negative zero and the smallest denormal are doses; a negative denormal, infinities and NaNs (either sign) are not. */
  const bits = (b: number): number => new Float32Array(Uint32Array.of(b).buffer)[0]!;
  const good = [bits(0x80000000), bits(0x00000001), bits(0x7f7fffff), bits(0x00800000)];
  const bad = [bits(0x80000001), bits(0x7f800000), bits(0xff800000), bits(0x7fc00000), bits(0xffc00000), bits(0x7f800001), bits(0xbf800000)];

  it('takes -0, denormals and the largest float32 as doses, in any lane of a block of four', () => {
    for (const v of good) {
      for (const lane of [0, 1, 2, 3]) {
        const e = values();
        const at = 65536 + 8 + lane;
        e[at] = v;
        expect(checkDoseVolume(createScalarVolume(grid, e))).toBe(jsMaximum(e));
      }
    }
  });

  it('names the first bad value of a block, in any lane, after a good block and before a later bad value', () => {
    for (const v of bad) {
      for (const lane of [0, 1, 2, 3]) {
        const e = values();
        const at = 4 * 1000 + lane;
        e[at] = v;
        if (lane < 3) e[at + 1] = -3; // a second bad value in the same block: not the one named
        e[at + 4] = Number.NaN; // and one in the next block
        expect(() => checkDoseVolume(createScalarVolume(grid, e), 'RD.dcm')).toThrow(`found ${fmt(v)} Gy at voxel ${at} (file RD.dcm)`);
      }
    }
  });
});

describe('plan evaluation without a fraction count (a dose with no plan)', () => {
  const structures = latticeCase();
  const dose = latticeDose();
  const withSchedule = evaluatePlan(structures, dose, { schedule: { fractionsPlanned: 5, fractionsDelivered: 5 } });
  const without = evaluatePlan(structures, dose, {});

  it('gives every DVH figure of the planned dose, the same as with a schedule, and nothing that needs the fraction count', () => {
    // The planned physical dose does not depend on the fraction count: the same figures either way.
    expect(without.structures.map((s) => [s.name, s.volumeCc, s.planned])).toEqual(withSchedule.structures.map((s) => [s.name, s.volumeCc, s.planned]));
    for (const s of without.structures) {
      expect(s.plannedEqd2).toBeUndefined();
      expect(s.delivered).toBeUndefined();
      expect(s.deliveredEqd2).toBeUndefined();
    }
    expect(without.schedule).toBeUndefined();
    expect(without.constraints).toBeUndefined();
    expect(without.sfrt!.planned.physical).toEqual(withSchedule.sfrt!.planned.physical);
    expect(without.sfrt!.planned.eqd2).toBeUndefined();
    expect(without.sfrt!.delivered).toBeUndefined();
  });

  it('says once what was skipped, in the evaluation and in each report', () => {
    expect(without.notes).toEqual([NO_SCHEDULE_NOTE]);
    expect(withSchedule.notes).toEqual([]);
    const md = renderMarkdown(without);
    expect(md.split(NO_SCHEDULE_NOTE)).toHaveLength(2);
    expect(md).not.toMatch(/Dmean EQD2|D0\.035cc delivered|Planned, EQD2|Delivered \d/);
    expect(renderMarkdown(withSchedule)).toMatch(/Dmean EQD2.*D0\.035cc delivered 5\/5 fx[\s\S]*Planned, EQD2/);
    const html = renderHtml(without);
    expect(html.split(NO_SCHEDULE_NOTE)).toHaveLength(2);
    expect(JSON.parse(renderJson(without)).notes).toEqual([NO_SCHEDULE_NOTE]);
    const custom = evaluatePlan(structures, dose, { noScheduleNote: 'give --fractions-planned' });
    expect(custom.notes).toEqual(['give --fractions-planned']);
  });

  it('refuses a constraint set without the fraction count, naming the set', () => {
    expect(() => evaluatePlan(structures, dose, { constraintSet: tg101Set(5) })).toThrow(/tg101-5fx needs the number of planned fractions/);
  });

  it('gives delivered figures equal to the planned ones when every planned fraction is delivered', () => {
    // Delivered dose = planned dose x 5 / 5, point by point: the same numbers, labelled as delivered.
    for (const s of withSchedule.structures) {
      const { quantity: q1, ...delivered } = s.delivered!;
      const { quantity: q2, ...planned } = s.planned;
      expect(delivered).toEqual(planned);
      expect(q1).toBe(`delivered ${q2} (5 of 5 fractions)`);
      const { quantity: _e1, ...deliveredEqd2 } = s.deliveredEqd2!;
      const { quantity: _e2, ...plannedEqd2 } = s.plannedEqd2!;
      expect(deliveredEqd2).toEqual(plannedEqd2);
    }
    expect(withSchedule.sfrt!.delivered).toEqual(withSchedule.sfrt!.planned);
  });
});
