import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { parseConstraintSet } from '../../src/evaluate/constraints/custom.js';
import { tg101Set } from '../../src/evaluate/constraints/tg101.js';
import { constraintObjectives, totalDoseForEqd2Gy } from '../../src/optimise/constraint-objectives.js';
import type { ObjectiveSpec } from '../../src/optimise/objectives/types.js';

/** Structures of a seed-case-like plan (names as in the built-in phantom), volumes in cc. */
const SEED_STRUCTURES = new Map<string, number>([
  ['BODY', 30000],
  ['GTV', 1100],
  ['PTV_2000', 1640],
  ['PTV_6670', 19.64],
  ['Liver', 2600],
  ['Liver-GTV', 1500],
  ['Kidney_L', 200],
  ['Kidney_R', 177.8],
  ['GreatVessels', 120],
  ['Esophagus', 30],
  ['Stomach', 400],
  ['Duodenum', 80],
  ['Bowel_Small', 900],
  ['Colon', 600],
  ['SpinalCord', 60],
]);
const TARGETS = new Set(['GTV', 'PTV_2000', 'PTV_6670']);

const on = (specs: readonly ObjectiveSpec[], structure: string): ObjectiveSpec[] => specs.filter((s) => s.structure === structure);
const levels = (specs: readonly ObjectiveSpec[]): Array<[string, number, number | undefined]> =>
  specs.map((s) => [s.kind, Number(('doseGy' in s ? s.doseGy : NaN).toFixed(6)), 'volumeCc' in s ? s.volumeCc : undefined]);

describe('TG-101 5 fx on a 5-fraction plan with a 5 % margin', () => {
  const r = constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 5, structures: SEED_STRUCTURES, exclude: TARGETS });

  it('turns maximum point doses and volume limits (physics reference §2.1, 5 fx column) into levels 5 % below', () => {
    // Spinal cord: max point 30, < 0.35 cc above 23, < 1.2 cc above 14.5
    expect(levels(on(r.objectives, 'SpinalCord'))).toEqual([
      ['max-dvh', 21.85, 0.35],
      ['max-dose', 28.5, undefined],
      ['max-dvh', 13.775, 1.2],
    ]);
    // Stomach: < 10 cc above 18, max point 32
    expect(levels(on(r.objectives, 'Stomach'))).toEqual([
      ['max-dvh', 17.1, 10],
      ['max-dose', 30.4, undefined],
    ]);
    // Great vessels < 10 cc above 47, max 53; oesophagus < 5 cc above 19.5, max 35; colon < 20 cc above 25, max 38
    expect(levels(on(r.objectives, 'GreatVessels'))).toEqual([
      ['max-dvh', 44.65, 10],
      ['max-dose', 50.35, undefined],
    ]);
    expect(levels(on(r.objectives, 'Esophagus'))).toEqual([
      ['max-dvh', 18.525, 5],
      ['max-dose', 33.25, undefined],
    ]);
    expect(levels(on(r.objectives, 'Colon'))).toEqual([
      ['max-dvh', 23.75, 20],
      ['max-dose', 36.1, undefined],
    ]);
    // Duodenum: < 5 cc above 18, max 32, < 10 cc above 12.5; jejunum/ileum < 5 cc above 19.5, max 35
    expect(levels(on(r.objectives, 'Duodenum'))).toEqual([
      ['max-dvh', 17.1, 5],
      ['max-dose', 30.4, undefined],
      ['max-dvh', 11.875, 10],
    ]);
    expect(levels(on(r.objectives, 'Bowel_Small'))).toEqual([
      ['max-dvh', 18.525, 5],
      ['max-dose', 33.25, undefined],
    ]);
  });

  it('notes the constraint id and label on every spec', () => {
    const cord = on(r.objectives, 'SpinalCord').find((s) => s.kind === 'max-dose')!;
    expect(cord.note).toBe('tg101-5fx/SpinalCord/max (Spinal cord & medulla)');
    expect(r.objectives.every((s) => s.note !== undefined && s.note.startsWith('tg101-5fx/'))).toBe(true);
    expect(r.objectives.every((s) => s.weight === undefined)).toBe(true);
  });

  it('liver: at least 700 cc below 21 Gy on a 1500 cc normal liver is at most 800 cc above 19.95 Gy, on Liver-GTV as the evaluation uses', () => {
    expect(on(r.objectives, 'Liver')).toEqual([]);
    expect(on(r.objectives, 'Liver-GTV')).toEqual([
      { kind: 'max-dvh', doseGy: 19.95, volumeCc: 800, structure: 'Liver-GTV', note: expect.stringContaining('tg101-5fx/Liver/V<21Gy>=700cc') },
    ]);
  });

  it("kidneys counted together ('sum'): one spec on 'Kidney_L + Kidney_R', 377.8 - 200 = 177.8 cc above 17.5 x 0.95 Gy", () => {
    const kidneys = r.objectives.filter((s) => s.structure.includes('Kidney'));
    expect(kidneys).toHaveLength(1);
    expect(kidneys[0]).toMatchObject({ kind: 'max-dvh', structure: 'Kidney_L + Kidney_R' });
    expect((kidneys[0] as { doseGy: number }).doseGy).toBeCloseTo(16.625, 10);
    expect((kidneys[0] as { volumeCc: number }).volumeCc).toBeCloseTo(177.8, 10);
  });

  it("organs with no structure are skipped with 'no structure', each organ once per constraint", () => {
    expect(r.skipped).toContainEqual({ constraintId: 'tg101-5fx/OpticChiasm/D0.2cc', organ: 'OpticChiasm', reason: 'no structure' });
    expect(r.skipped).toContainEqual({ constraintId: 'tg101-5fx/OpticChiasm/D0.2cc', organ: 'OpticNrv_R', reason: 'no structure' });
    const lungs = r.skipped.filter((s) => s.constraintId === 'tg101-5fx/Lung_L+Lung_R/V<12.5Gy>=1500cc');
    expect(lungs.map((s) => s.organ)).toEqual(['Lung_L', 'Lung_R']);
    expect(r.skipped.every((s) => s.reason === 'no structure')).toBe(true);
  });

  it('targets are never matched as organs', () => {
    const structures = new Map([['Stomach', 400], ['Liver', 1500]]);
    const r2 = constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 5, structures, exclude: new Set(['Liver']) });
    expect(r2.objectives.map((s) => s.structure)).toEqual(['Stomach', 'Stomach']);
    expect(r2.skipped).toContainEqual({ constraintId: 'tg101-5fx/Liver/V<21Gy>=700cc', organ: 'Liver', reason: 'no structure' });
  });

  it('matches structures as the evaluation does: synonyms and an explicit mapping', () => {
    const structures = new Map([['Spinal Cord', 60], ['CORD_PRV5', 90], ['Left Kidney', 150], ['Right Kidney', 150]]);
    const plain = constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 0, structures });
    expect(on(plain.objectives, 'Spinal Cord').map((s) => s.kind)).toEqual(['max-dvh', 'max-dose', 'max-dvh']);
    expect(on(plain.objectives, 'Left Kidney + Right Kidney')).toEqual([
      expect.objectContaining({ kind: 'max-dvh', doseGy: 17.5, volumeCc: 100 }),
    ]);
    const mapped = constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 0, structures, mapping: { CORD_PRV5: 'SpinalCord' } });
    expect(on(mapped.objectives, 'CORD_PRV5').map((s) => s.kind)).toEqual(['max-dvh', 'max-dose', 'max-dvh']);
    expect(on(mapped.objectives, 'Spinal Cord')).toEqual([]);
  });

  it('gives every spec the weight asked for', () => {
    const w = constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 5, weight: 2.5, structures: SEED_STRUCTURES, exclude: TARGETS });
    expect(w.objectives.every((s) => s.weight === 2.5)).toBe(true);
  });
});

describe('critical volume and volume limits that cannot be optimised', () => {
  it('a critical volume larger than the organ is skipped as not achievable', () => {
    const structures = new Map([['Liver-GTV', 500]]);
    const r = constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 5, structures });
    expect(r.objectives).toEqual([]);
    expect(r.skipped).toContainEqual({
      constraintId: 'tg101-5fx/Liver/V<21Gy>=700cc',
      organ: 'Liver',
      reason: 'not achievable: "Liver-GTV" is 500.0 cc, the limit needs 700 cc below 21 Gy',
    });
  });

  it('the seed report kidneys: 200.0 + 177.8 cc together pass 200 cc, so they get a spec; one kidney alone does not', () => {
    const one = constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 5, structures: new Map([['Kidney_R', 177.8]]) });
    expect(one.objectives).toEqual([]);
    expect(one.skipped).toContainEqual({
      constraintId: 'tg101-5fx/Kidney_L+Kidney_R/V<17.5Gy>=200cc',
      organ: 'Kidney_R',
      reason: 'not achievable: "Kidney_R" is 177.8 cc, the limit needs 200 cc below 17.5 Gy',
    });
  });

  it('a "< V cc above L" limit on an organ of at most V cc holds at any dose and is skipped', () => {
    const r = constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 5, structures: new Map([['Esophagus', 4]]) });
    expect(levels(r.objectives)).toEqual([['max-dose', 33.25, undefined]]);
    expect(r.skipped).toContainEqual({
      constraintId: 'tg101-5fx/Esophagus/D5cc',
      organ: 'Esophagus',
      reason: 'always met: "Esophagus" is 4 cc, not more than the 5 cc allowed above 19.5 Gy',
    });
  });
});

describe('a 3-fraction set on a 5-fraction plan: limits converted through EQD2 with α/β = 3 Gy', () => {
  // EQD2 = D (D/n + 3) / 5. A 5-fraction total D with the same EQD2 E solves D^2/5 + 3 D - 5 E = 0,
  // i.e. D^2 + 15 D - 25 E = 0, D = (-15 + sqrt(225 + 100 E)) / 2.
  const r = constraintObjectives(tg101Set(3), { fractions: 5, marginPct: 5, structures: SEED_STRUCTURES, exclude: TARGETS });

  it('spinal cord maximum 21.9 Gy in 3 fx -> 26.911 Gy in 5 fx -> 25.565 Gy with the margin', () => {
    const e = (21.9 * (21.9 / 3 + 3)) / 5; // 45.114 Gy
    expect(e).toBeCloseTo(45.114, 10);
    const d5 = (-15 + Math.sqrt(225 + 100 * e)) / 2; // 26.911 Gy
    expect(d5).toBeCloseTo(26.911, 3);
    const cord = on(r.objectives, 'SpinalCord').find((s) => s.kind === 'max-dose') as { doseGy: number; note: string };
    expect(cord.doseGy).toBeCloseTo(0.95 * d5, 9);
    expect(cord.note).toContain('converted from 3 to 5 fx through EQD2 (LQ, α/β = 3 Gy)');
  });

  it('stomach < 10 cc above 16.5 Gy in 3 fx -> 20.023 Gy in 5 fx -> 19.022 Gy with the margin', () => {
    const e = (16.5 * (16.5 / 3 + 3)) / 5; // 28.05 Gy
    const d5 = (-15 + Math.sqrt(225 + 100 * e)) / 2; // 20.0227 Gy
    expect(d5).toBeCloseTo(20.0227, 4);
    const s = on(r.objectives, 'Stomach').find((x) => x.kind === 'max-dvh') as { doseGy: number; volumeCc: number };
    expect(s.volumeCc).toBe(10);
    expect(s.doseGy).toBeCloseTo(0.95 * d5, 9);
  });

  it('liver critical-volume threshold 19.2 Gy in 3 fx converts the same way', () => {
    const e = (19.2 * (19.2 / 3 + 3)) / 5; // 36.096 Gy
    const d5 = (-15 + Math.sqrt(225 + 100 * e)) / 2;
    const liver = on(r.objectives, 'Liver-GTV')[0] as { kind: string; doseGy: number; volumeCc: number };
    expect(liver.kind).toBe('max-dvh');
    expect(liver.volumeCc).toBe(800);
    expect(liver.doseGy).toBeCloseTo(0.95 * d5, 9);
  });

  it('totalDoseForEqd2Gy inverts the EQD2 of a 1-fraction dose: 10 Gy in 1 fx (EQD2 26 Gy, α/β 3) is 26 Gy in 13 fx of 2 Gy', () => {
    // 10 (10 + 3) / 5 = 26 Gy; 2 Gy fractions have EQD2 = D
    expect(totalDoseForEqd2Gy(26, 13, 3)).toBeCloseTo(26, 10);
  });

  it('a set on the plan\'s own schedule is not converted', () => {
    const same = constraintObjectives(tg101Set(3), { fractions: 3, marginPct: 0, structures: new Map([['SpinalCord', 60]]) });
    const cord = same.objectives.find((s) => s.kind === 'max-dose') as { doseGy: number; note: string };
    expect(cord.doseGy).toBe(21.9);
    expect(cord.note).not.toContain('converted');
  });
});

describe('custom metric constraints', () => {
  const set = parseConstraintSet(
    {
      name: 'local',
      fractions: 5,
      constraints: [
        { kind: 'metric', organ: 'Liver', metric: 'Dmean', max: 15 },
        { kind: 'metric', organ: 'Stomach', metric: 'Dmax', max: 30 },
        { kind: 'metric', organ: 'Stomach', metric: 'D5%', max: 20 },
        { kind: 'metric', organ: 'Stomach', metric: 'D2cc', max: 25 },
        { kind: 'metric', organ: 'Colon', metric: 'V20Gy', max: 30 },
        { kind: 'metric', organ: 'Colon', metric: 'V10Gy%', max: 40 },
        { kind: 'metric', organ: 'Duodenum', metric: 'gEUD(a=8)', max: 20 },
        { kind: 'metric', organ: 'Liver', metric: 'V<15Gy', min: 700 },
        { kind: 'metric', organ: 'Heart', metric: 'D50%', min: 10 },
        { kind: 'metric', organ: 'Heart', metric: 'Dmean', min: 4 },
        { kind: 'metric', organ: 'Heart', metric: 'Dmin', min: 2 },
        { kind: 'metric', organ: 'Heart', metric: 'Dmax', min: 40 },
      ],
    },
    'local.yaml',
  );
  const structures = new Map([['Liver-GTV', 1500], ['Stomach', 400], ['Colon', 600], ['Duodenum', 80], ['Heart', 500]]);
  const r = constraintObjectives(set, { fractions: 5, marginPct: 10, structures });
  const strip = (s: ObjectiveSpec): Record<string, unknown> => {
    const { note: _note, ...rest } = s;
    return rest;
  };

  it('maps upper limits to upper objectives 10 % below and lower limits to lower objectives 10 % above', () => {
    expect(r.objectives.map(strip)).toEqual([
      { kind: 'mean-upper', doseGy: 13.5, structure: 'Liver-GTV' },
      { kind: 'max-dose', doseGy: 27, structure: 'Stomach' },
      { kind: 'max-dvh', doseGy: 18, volumePct: 5, structure: 'Stomach' },
      { kind: 'max-dvh', doseGy: 22.5, volumeCc: 2, structure: 'Stomach' },
      { kind: 'max-dvh', doseGy: 18, volumeCc: 30, structure: 'Colon' },
      { kind: 'max-dvh', doseGy: 9, volumePct: 40, structure: 'Colon' },
      { kind: 'geud-upper', doseGy: 18, a: 8, structure: 'Duodenum' },
      { kind: 'max-dvh', doseGy: 13.5, volumeCc: 800, structure: 'Liver-GTV' },
      { kind: 'min-dvh', doseGy: 11, volumePct: 50, structure: 'Heart' },
      { kind: 'mean-lower', doseGy: 4.4, structure: 'Heart' },
      { kind: 'min-dvh', doseGy: 2.2, volumePct: 100, structure: 'Heart' },
    ]);
  });

  it('skips a metric with no objective, with the reason', () => {
    expect(r.skipped).toEqual([
      { constraintId: 'local/Heart/Dmax', organ: 'Heart', reason: 'no objective for Dmax >= 40: a lower limit on the maximum dose asks for a hot spot' },
    ]);
  });
});

describe('arguments', () => {
  it('rejects a margin outside [0, 100), a negative weight and a non-integer number of fractions', () => {
    const structures = new Map([['SpinalCord', 60]]);
    expect(() => constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 100, structures })).toThrow(InputError);
    expect(() => constraintObjectives(tg101Set(5), { fractions: 5, marginPct: -1, structures })).toThrow(/margin/);
    expect(() => constraintObjectives(tg101Set(5), { fractions: 5, marginPct: 5, weight: -1, structures })).toThrow(/weight/);
    expect(() => constraintObjectives(tg101Set(5), { fractions: 2.5, marginPct: 5, structures })).toThrow(/fractions/);
  });
});
