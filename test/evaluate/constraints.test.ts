import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, InputError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createMask } from '../../src/geometry/volume.js';
import { sampleDose, sampleOccupancy } from '../../src/evaluate/dvh.js';
import { evaluateConstraints, type PlanStructure } from '../../src/evaluate/constraints/evaluate.js';
import { matchStructures, matchTg263 } from '../../src/evaluate/constraints/names.js';
import { readNameMapping } from '../../src/evaluate/constraints/name-mapping-file.js';
import { parseConstraintSet, readConstraintSet, resolveConstraintSet } from '../../src/evaluate/constraints/custom.js';
import { tg101Set } from '../../src/evaluate/constraints/tg101.js';
import type { Constraint } from '../../src/evaluate/constraints/types.js';
import { deliveredEqd2Gy } from '../../src/evaluate/fractions.js';
import { eqd2Gy } from '../../src/evaluate/radiobiology.js';
import { linearDose } from './analytic.js';

const find = (cs: readonly Constraint[], organ: string, kind: Constraint['kind'], volume?: number): Constraint | undefined =>
  cs.find((c) => c.organs.includes(organ) && c.kind === kind && (volume === undefined || (c.kind === 'dose-at-volume' && c.volume === volume)));

describe('TG-101 tables', () => {
  const five = tg101Set(5).constraints;

  it('holds the 5-fraction maximum point doses of the seed case Table 1 (TG-101 5 fx)', () => {
    const max = (o: string): number => (find(five, o, 'max-point') as { limitGy: number }).limitGy;
    expect([max('SpinalCord'), max('GreatVessels'), max('Esophagus'), max('Stomach'), max('Duodenum'), max('Bowel_Small'), max('Colon')]).toEqual([
      30, 53, 35, 32, 32, 35, 38,
    ]);
    expect(find(five, 'SpinalCord', 'max-point')).toMatchObject({ pointMetric: 'D0.035cc', sources: ['TG101-WB', 'TG101-PH', 'NCCN', 'TG101-T1'] });
    const liver = find(five, 'Liver', 'critical-volume');
    expect(liver).toMatchObject({ criticalVolumeCc: 700, thresholdGy: 21, sources: ['TG101-T1', 'TG101-PH'] });
    expect(find(five, 'Kidney_L', 'critical-volume')).toMatchObject({ criticalVolumeCc: 200, thresholdGy: 17.5, combine: 'sum', organs: ['Kidney_L', 'Kidney_R'] });
  });

  it('holds the paired volume limits (physics reference §2.3)', () => {
    const lim = (o: string, v: number): number => (find(five, o, 'dose-at-volume', v) as { limitGy: number }).limitGy;
    expect(lim('SpinalCord', 0.35)).toBe(23);
    expect(lim('SpinalCord', 1.2)).toBe(14.5);
    expect(lim('Esophagus', 5)).toBe(19.5);
    expect(lim('GreatVessels', 10)).toBe(47);
    expect(lim('Stomach', 10)).toBe(18);
    expect(lim('Duodenum', 5)).toBe(18);
    expect(lim('Duodenum', 10)).toBe(12.5);
    expect(lim('Bowel_Small', 5)).toBe(19.5);
    expect(lim('Colon', 20)).toBe(25);
  });

  it('has 1 and 3 fraction columns, the 3-fraction-only rib row and [U] flags on unverified 1-fraction values', () => {
    const one = tg101Set(1).constraints;
    const three = tg101Set(3).constraints;
    expect((find(one, 'SpinalCord', 'max-point') as { limitGy: number }).limitGy).toBe(14);
    expect((find(three, 'Stomach', 'dose-at-volume', 10) as { limitGy: number }).limitGy).toBe(16.5);
    expect(find(three, 'Ribs', 'dose-at-volume', 30)).toBeDefined();
    expect(find(five, 'Ribs', 'dose-at-volume', 30)).toBeUndefined();
    expect(find(one, 'Bladder', 'max-point')?.unverified).toBe(true);
    expect(find(three, 'Bladder', 'max-point')?.unverified).toBeUndefined();
    expect((find(one, 'Liver', 'critical-volume') as { thresholdGy: number }).thresholdGy).toBe(9.1);
    expect(() => tg101Set(2)).toThrow(/1, 3 and 5 fractions, found 2/);
  });
});

describe('TG-263 names', () => {
  it('matches standard names, synonyms and an explicit mapping', () => {
    expect(matchTg263('Bowel_Small')).toMatchObject({ tg263: 'Bowel_Small', how: 'standard name' });
    expect(matchTg263('Small Bowel')).toMatchObject({ tg263: 'Bowel_Small', how: 'synonym' });
    expect(matchTg263('jejunum')?.tg263).toBe('Bowel_Small');
    expect(matchTg263('kidney_l')?.tg263).toBe('Kidney_L');
    expect(matchTg263('Left Kidney')?.tg263).toBe('Kidney_L');
    expect(matchTg263('Oesophagus')?.tg263).toBe('Esophagus');
    expect(matchTg263('Spinal Cord')?.tg263).toBe('SpinalCord');
    expect(matchTg263('great_vessels')?.tg263).toBe('GreatVessels');
    expect(matchTg263('GTV')).toBeUndefined();
    expect(matchTg263('GI_Bowel', { GI_Bowel: 'Bowel_Small' })).toMatchObject({ tg263: 'Bowel_Small', how: 'mapping' });
    expect(matchTg263('Stomach', { Stomach: null })).toBeUndefined();
    const { byOrgan, ambiguous } = matchStructures(['small bowel', 'Bowel_Small']);
    expect(byOrgan.get('Bowel_Small')?.structure).toBe('Bowel_Small');
    expect(ambiguous.map((m) => m.structure)).toEqual(['small bowel']);
  });

  it('reads an organ minus a target as the organ, for the liver and lungs only (TG-101 limits normal tissue there)', () => {
    for (const name of ['Liver-GTV', 'liver - ptv', 'Liver_minus_GTV', 'LIVER-CTV', 'Liver-PTV_2000', 'Liver minus ITV']) {
      expect(matchTg263(name), name).toMatchObject({ structure: name, tg263: 'Liver', how: 'organ minus target' });
    }
    expect(matchTg263('Lung_L-ITV')).toMatchObject({ tg263: 'Lung_L', how: 'organ minus target' });
    expect(matchTg263('Right Lung-GTV')).toMatchObject({ tg263: 'Lung_R', how: 'organ minus target' });
    // A serial organ's maximum dose on "organ minus PTV" would hide the overlap: not matched.
    expect(matchTg263('SpinalCord-PTV')).toBeUndefined();
    expect(matchTg263('Stomach-GTV')).toBeUndefined();
    expect(matchTg263('Liver-Ring')).toBeUndefined();
  });

  it('with both Liver and Liver-GTV, the liver limit uses Liver-GTV and says so; a lone Liver gets a note that it may hold the target', () => {
    const both = matchStructures(['GTV', 'Liver', 'Liver-GTV', 'Stomach']);
    const m = both.byOrgan.get('Liver')!;
    expect(m).toMatchObject({ structure: 'Liver-GTV', how: 'organ minus target' });
    expect(m.note).toMatch(/used rather than "Liver"/);
    expect(both.ambiguous.map((a) => a.structure)).toEqual(['Liver']);
    // Order does not matter.
    expect(matchStructures(['Liver-GTV', 'Liver']).byOrgan.get('Liver')?.structure).toBe('Liver-GTV');
    const alone = matchStructures(['GTV', 'Liver', 'Stomach']).byOrgan.get('Liver')!;
    expect(alone).toMatchObject({ structure: 'Liver', how: 'standard name' });
    expect(alone.note).toMatch(/may include the target; TG-101 limits normal liver/);
    expect(matchStructures(['Stomach']).byOrgan.get('Stomach')?.note).toBeUndefined();
    // An explicit mapping still wins, without the note.
    const mapped = matchStructures(['Liver', 'Liver-GTV'], { Liver: 'Liver' }).byOrgan.get('Liver')!;
    expect(mapped).toMatchObject({ structure: 'Liver', how: 'mapping' });
    expect(mapped.note).toBeUndefined();
  });

  it('reads a mapping file and names the file and field on a bad one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lattice-names-'));
    writeFileSync(join(dir, 'ok.yaml'), 'GI_Bowel: Bowel_Small\nRing: null\n');
    expect(readNameMapping(join(dir, 'ok.yaml'))).toEqual({ GI_Bowel: 'Bowel_Small', Ring: null });
    writeFileSync(join(dir, 'bad.json'), '{"GI_Bowel": 3}');
    expect(() => readNameMapping(join(dir, 'bad.json'))).toThrow(FormatError);
    expect(() => readNameMapping(join(dir, 'bad.json'))).toThrow(/field 'GI_Bowel'.*bad\.json/);
  });
});

describe('constraint evaluation', () => {
  // Dose grid of 2 mm voxels, D = 0.2 Gy/mm x (x in mm): 0 .. 39.6 Gy at voxel centres.
  const grid = createGrid({ size: [100, 50, 50], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
  const dose = linearDose(grid, 0, [0.2, 0, 0], [0, 0, 0]);
  const box = (name: string, i: [number, number], j: [number, number], k: [number, number]): PlanStructure => {
    const m = createMask(grid);
    for (let z = k[0]; z <= k[1]; z++) for (let y = j[0]; y <= j[1]; y++) for (let x = i[0]; x <= i[1]; x++) m.data[x + 100 * (y + 50 * z)] = 1;
    return { name, samples: sampleDose(sampleOccupancy(name, m), dose) };
  };
  // Stomach: x in [89, 189] mm, 100 cc; dose uniform on 17.8 .. 37.8 Gy (the spread covers each voxel).
  const stomach = box('Stomach', [45, 94], [0, 24], [0, 9]);
  // Liver: 500 cc, at most 19.8 Gy.
  const liver = box('Liver', [0, 49], [25, 49], [0, 49]);
  // Kidneys: 160 cc each at x in [-1, 39] mm (<= 7.8 Gy): together 320 cc >= 200 cc.
  const kl = box('Kidney_L', [0, 19], [0, 24], [10, 49]);
  const kr = box('kidney right', [0, 19], [0, 24], [10, 49]);
  const cord = box('Spinal Cord', [0, 4], [40, 44], [0, 49]);
  const plan = [stomach, liver, kl, kr, cord];

  it('reads like Table 1: value, limit, pass / fail and margin, with "not achievable" for a liver under 700 cc', () => {
    const ev = evaluateConstraints(tg101Set(5), plan);
    const row = (id: string) => ev.results.find((r) => r.id === id)!;
    const d10 = row('tg101-5fx/Stomach/D10cc');
    // D10cc: the hottest 10 cc of 100 cc spans the top tenth of 17.8 .. 37.8 Gy: 35.8 Gy.
    expect(d10.value).toBeCloseTo(35.8, 1);
    expect(d10).toMatchObject({ limit: 18, comparison: '<', status: 'fail', unit: 'Gy', basis: 'planned physical dose, 5 fx' });
    expect(d10.margin).toBeCloseTo(18 - 35.8, 1);
    const smax = row('tg101-5fx/Stomach/max');
    expect(smax.metric).toBe('D0.035cc');
    expect(smax.value).toBeCloseTo(37.8 - (20 * 0.035) / 100, 2);
    const liverRow = ev.results.find((r) => r.organ === 'Liver')!;
    expect(liverRow.status).toBe('not achievable');
    expect(liverRow.value).toBeCloseTo(500, 3);
    expect(liverRow.note).toMatch(/smaller than the critical volume 700 cc/);
    const kid = ev.results.find((r) => r.organ === 'Kidney_L + Kidney_R')!;
    expect(kid).toMatchObject({ status: 'pass', structures: ['Kidney_L', 'kidney right'], comparison: '>=' });
    expect(kid.value).toBeCloseTo(320, 3);
    expect(kid.margin).toBeCloseTo(120, 3);
    const cordMax = row('tg101-5fx/SpinalCord/max');
    expect(cordMax.status).toBe('pass');
    expect(ev.missing).toContain('Duodenum');
  });

  it('checks the liver critical volume on Liver-GTV, not on a Liver that holds the tumour (physics reference §0, discrepancy 2)', () => {
    // Whole liver (tumour included): x in [0, 100) mm, 50 x 50 x 40 voxels of 8 mm³ = 800 cc, all <= 19.8 Gy.
    const whole = box('Liver', [0, 49], [0, 49], [0, 39]);
    // Liver minus GTV: 50 x 25 x 50 voxels = 500 cc, smaller than the 700 cc critical volume.
    const normal = box('Liver-GTV', [0, 49], [25, 49], [0, 49]);
    const wholeOnly = evaluateConstraints(tg101Set(5), [whole]).results.find((r) => r.organ === 'Liver')!;
    expect(wholeOnly).toMatchObject({ status: 'pass', structures: ['Liver'] });
    expect(wholeOnly.value).toBeCloseTo(800, 3);
    const ev = evaluateConstraints(tg101Set(5), [whole, normal]);
    const row = ev.results.find((r) => r.organ === 'Liver')!;
    expect(row).toMatchObject({ status: 'not achievable', structures: ['Liver-GTV'] });
    expect(row.value).toBeCloseTo(500, 3);
    expect(ev.matches.find((x) => x.tg263 === 'Liver')?.note).toMatch(/used rather than "Liver"/);
    expect(ev.warnings.join('\n')).toMatch(/"Liver" also matches TG-263 Liver.*"Liver-GTV" is used/);
  });

  it('counts the part of an organ outside the dose grid as below a critical-volume threshold, and says so', () => {
    // A 1000 cc liver mask on a larger grid whose dose grid covers only x < 100 mm: the 500 cc at
    // x in [0, 100) mm gets 0.2 Gy/mm x <= 19.8 Gy < 21 Gy, the other 500 cc has no calculated dose.
    const big = createGrid({ size: [100, 50, 50], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const m = createMask(big);
    for (let z = 0; z < 25; z++) for (let y = 0; y < 50; y++) for (let x = 0; x < 100; x++) m.data[x + 100 * (y + 50 * z)] = 1;
    const halfGrid = createGrid({ size: [50, 50, 50], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const liverBig = { name: 'Liver', samples: sampleDose(sampleOccupancy('Liver', m), linearDose(halfGrid, 0, [0.2, 0, 0], [0, 0, 0])) };
    const ev = evaluateConstraints(tg101Set(5), [liverBig]);
    const r = ev.results.find((x) => x.organ === 'Liver')!;
    expect(r.value).toBeCloseTo(1000, 3);
    expect(r.status).toBe('pass');
    expect(r.note).toMatch(/500 cc outside the dose grid counted as below 21 Gy/);
  });

  it('checks in EQD2 on the delivered fractions when asked, converting the limit and saying so', () => {
    const schedule = { fractionsPlanned: 5, fractionsDelivered: 2 };
    const ev = evaluateConstraints(tg101Set(5), plan, { basis: 'eqd2', schedule });
    const d10 = ev.results.find((r) => r.id === 'tg101-5fx/Stomach/D10cc')!;
    expect(d10.limit).toBeCloseTo(eqd2Gy(18, 5, 3), 10);
    expect(d10.value).toBeCloseTo(deliveredEqd2Gy(35.8, schedule, 3), 1);
    expect(d10.basis).toBe('delivered EQD2 (LQ, α/β = 3 Gy), 2 of 5 fx; limit converted from 5 fx');
    const over = evaluateConstraints(tg101Set(5), plan, { basis: 'eqd2', schedule, alphaBeta: { Stomach: 5 } });
    expect(over.results.find((r) => r.id === 'tg101-5fx/Stomach/D10cc')!.limit).toBeCloseTo(eqd2Gy(18, 5, 5), 10);
  });

  it('refuses physical limits for another schedule, and delivered > planned', () => {
    expect(() => evaluateConstraints(tg101Set(5), plan, { schedule: { fractionsPlanned: 3, fractionsDelivered: 3 } })).toThrow(
      /5-fraction limits but the plan has 3/,
    );
    expect(() => evaluateConstraints(tg101Set(5), plan, { basis: 'eqd2', schedule: { fractionsPlanned: 5, fractionsDelivered: 7 } })).toThrow(
      InputError,
    );
  });
});

describe('custom constraint sets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-constraints-'));

  it('reads YAML and JSON sets of every kind', () => {
    const file = join(dir, 'local.yaml');
    writeFileSync(
      file,
      [
        'name: local-5fx',
        'fractions: 5',
        'source: Local protocol v2',
        'constraints:',
        '  - { kind: max-point, organ: SpinalCord, limitGy: 28 }',
        '  - { kind: dose-at-volume, organ: Stomach, volumeCc: 10, limitGy: 18 }',
        '  - { kind: critical-volume, organs: [Kidney_L, Kidney_R], criticalVolumeCc: 200, thresholdGy: 17.5 }',
        '  - { kind: metric, organ: Liver, metric: Dmean, max: 15 }',
      ].join('\n'),
    );
    const set = readConstraintSet(file);
    expect(set.constraints.map((c) => c.kind)).toEqual(['max-point', 'dose-at-volume', 'critical-volume', 'metric']);
    expect(set.constraints[2]).toMatchObject({ combine: 'sum', sources: ['Local protocol v2'] });
    expect(set.constraints[0]).toMatchObject({ pointMetric: 'D0.035cc' });
    const json = join(dir, 'set.json');
    writeFileSync(json, JSON.stringify({ name: 'j', fractions: 3, constraints: [{ kind: 'metric', organ: 'Liver', metric: 'V<15Gy', min: 700 }] }));
    expect(resolveConstraintSet(json).constraints[0]).toMatchObject({ bound: 'min', limit: 700 });
    expect(resolveConstraintSet('tg101-3fx').fractions).toBe(3);
  });

  it('names the file and the field in every error', () => {
    const bad = (obj: unknown): (() => unknown) => () => parseConstraintSet(obj, 'my-set.yaml');
    expect(bad({ name: 'x', fractions: 5, constraints: [{ kind: 'max-point', organ: 'Cord', limitGy: -2 }] })).toThrow(
      /field 'constraints\.0\.limitGy'.*my-set\.yaml/,
    );
    expect(bad({ name: 'x', fractions: 2.5, constraints: [] })).toThrow(/field 'fractions'/);
    expect(bad({ name: 'x', fractions: 5, constraints: [{ kind: 'metric', organ: 'Liver', metric: 'D95', max: 3 }] })).toThrow(
      /constraints\.0\.metric.*unknown metric/,
    );
    expect(bad({ name: 'x', fractions: 5, constraints: [{ kind: 'dose-at-volume', organ: 'Liver', limitGy: 3 }] })).toThrow(
      /constraints\.0.*exactly one of 'volumeCc' and 'volumePercent'/,
    );
    expect(bad({ name: 'x', fractions: 5, constraints: [{ kind: 'banana', organ: 'Liver' }] })).toThrow(FormatError);
    expect(() => resolveConstraintSet('no-such-file.yaml')).toThrow(/tg101-5fx .*no-such-file\.yaml/);
  });
});
