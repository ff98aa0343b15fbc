/**
 * The built-in example reproduces the seed case report's own figures (../shared/reference/seed-case.md),
 * and flags its printed inconsistencies. Expected values are worked by hand here from those figures.
 */

import { describe, expect, it } from 'vitest';
import { analyseCourse } from '../../src/course/analyse.js';
import { readCourseFile } from '../../src/course/course-file.js';
import { seedCourseFile } from '../../src/course/index.js';

const a = analyseCourse(readCourseFile(seedCourseFile()));
const c = a.course;
const criterion = (name: string) => a.response.criteria.find((r) => r.criterion === name)!;
const point = (name: string, imaging: string) => criterion(name).timePoints.find((p) => p.imaging === imaging)!;
const primary = a.survival.origins.find((o) => o.primary)!;
const endpoint = (origin: typeof primary, which: 'PFS' | 'OS') => origin.endpoints.find((e) => e.endpoint === which)!;

describe('the seed case as reported', () => {
  it('patient and staging: 22-year-old man, ECOG 1, Child-Pugh A, BCLC C in July 2024; Child-Pugh B in April 2025', () => {
    expect(c.patient).toEqual({ id: 'SEED-HCC-01', sex: 'male', ageYears: 22 });
    expect(c.staging.map((s) => [s.system, s.value, s.date.text])).toEqual([
      ['ECOG', '1', '2024-07'],
      ['Child-Pugh', 'A', '2024-07'],
      ['BCLC', 'C', '2024-07'],
      ['Child-Pugh', 'B', '2025-04'],
    ]);
  });

  it('markers: AFP 1,042,455.50 ng/mL; PIVKA-II > 300,000.00 mAU/mL kept as censored', () => {
    expect(c.labs.map((l) => [l.marker, l.measured, l.unit])).toEqual([
      ['AFP', { value: 1042455.5 }, 'ng/mL'],
      ['PIVKA-II', { value: 300000, censor: '>' }, 'mAU/mL'],
    ]);
  });

  it('treatments: doses and cycles as printed; lattice SBRT 2 of 5 fractions on 8 and 10 October 2024, 20 Gy and 5 x 13.34 = 66.7 Gy', () => {
    const t = (id: string) => c.treatments.find((x) => x.id === id)!;
    expect(t('atezo-bev').agents).toEqual([{ name: 'bevacizumab', dose: '15 mg/kg' }, { name: 'atezolizumab', dose: '1200 mg' }]);
    expect(t('atezo-bev').cycles).toBe(2);
    expect(t('haic').agents).toEqual([{ name: 'oxaliplatin', dose: '160 mg i.a.' }, { name: 'ramucirumab', dose: '4.8 mg i.a.' }]);
    expect(t('entecavir').agents).toEqual([{ name: 'entecavir', dose: '0.5 mg/day' }]);
    const rt = t('sbrt');
    expect(rt.fractions).toMatchObject({ planned: 5, delivered: 2 });
    expect(rt.fractions!.dates.map((d) => d.text)).toEqual(['2024-10-08', '2024-10-10']);
    expect(rt.prescriptions.map((p) => [p.target, p.totalGy, p.fractions])).toEqual([['PTV_2000', 20, 5], ['PTV_6670', 66.7, 5]]);
    expect(rt.prescriptions[1]!.totalGy).toBeCloseTo(5 * 13.34, 10);
    const cl = t('cadonilimab-lenvatinib');
    expect([cl.start.text, cl.end!.text, cl.cycles]).toEqual(['2024-09-26', '2025-04-03', 6]);
    expect(cl.agents).toEqual([{ name: 'cadonilimab', dose: '500 mg' }, { name: 'lenvatinib', dose: '8 mg/day' }]);
    expect(t('tare').start.text).toBe('2025-01-16');
  });

  it('every entry names its source in seed-case.md', () => {
    for (const x of [...c.treatments, ...c.labs, ...c.imaging, ...c.events, ...c.staging]) expect(x.source).toMatch(/^seed-case\.md, /);
  });

  it('response from the end-of-September MRI (16.5 x 8.0 cm) to December (11.2 x 7.1 cm): RECIST (112 - 165) / 165 = -32.1 % -> PR; WHO (7952 - 13200) / 13200 = -39.8 % -> SD, the report\'s "nearly 40 %"', () => {
    expect(a.response.baselineImaging).toBe('mri-2024-09');
    const r = point('RECIST 1.1', 'mri-2024-12');
    expect(r.sum).toBe(112);
    expect(r.baseline).toBe(165);
    expect(r.changeFromBaselinePct).toBeCloseTo((100 * (112 - 165)) / 165, 10);
    expect(r.changeFromBaselinePct).toBeCloseTo(-32.12, 2);
    expect(r.category).toBe('PR');
    const w = point('WHO', 'mri-2024-12');
    expect(w.sum).toBe(112 * 71);
    expect(w.baseline).toBe(165 * 80);
    expect(w.changeFromBaselinePct).toBeCloseTo(-39.76, 2);
    expect(w.category).toBe('SD');
    const nearly40 = a.reported.find((x) => x.kind === 'change')!;
    expect(nearly40.consistent).toBe(true);
    expect(nearly40.computed).toMatch(/WHO sum of products of bidimensional diameters: -39\.8 % \(matches\)/);
  });

  it('7 March 2025 (12 x 7 cm, more lesions): +7.1 % from the nadir of 112 mm, progression by new lesions; mRECIST not evaluable (no enhancing diameters)', () => {
    const r = point('RECIST 1.1', 'eval-2025-03-07');
    expect(r.nadir).toBe(112);
    expect(r.changeFromNadirPct).toBeCloseTo((100 * (120 - 112)) / 112, 10);
    expect(r.category).toBe('PD');
    expect(r.reason).toBe('new lesions');
    expect(criterion('mRECIST').notEvaluable).toMatch(/enhancing/);
    expect(point('RECIST 1.1', 'mri-2025-03-22').category).toBe('NE');
  });

  it('from the first RT fraction (8 October 2024): PFS to 7 March 2025 = 150 days = 4.9 months (the report\'s 5); OS to death on 11 July 2025 = 276 days = 9.07 months (the "9.1 months")', () => {
    // 8 Oct -> 7 Mar: 23 + 30 + 31 + 31 + 28 + 7 = 150; -> 11 Jul: 150 + 24 + 30 + 31 + 30 + 11 = 276
    expect(primary.origin.date.text).toBe('2024-10-08');
    expect(endpoint(primary, 'PFS')).toMatchObject({ event: true, endDate: '2025-03-07', days: 150 });
    expect(endpoint(primary, 'PFS').months).toBeCloseTo(150 / 30.4375, 12);
    expect(endpoint(primary, 'OS')).toMatchObject({ event: true, endDate: '2025-07-11', days: 276 });
    expect(Number(endpoint(primary, 'OS').months.toFixed(1))).toBe(9.1);
  });

  it('the report\'s "OS 1 year" matches an origin at diagnosis (July 2024: 345 to 375 days), not the first RT fraction', () => {
    const diagnosis = a.survival.origins.find((o) => o.origin.rule === 'diagnosis')!;
    expect(endpoint(diagnosis, 'OS').daysRange).toEqual([345, 375]); // 31 Jul 2024 and 1 Jul 2024 to 11 Jul 2025
    const os = a.reported.find((x) => x.kind === 'os')!;
    expect(os.consistent).toBe(true);
    expect(os.computed).toMatch(/from the diagnosis .*\(matches\)/);
    expect(os.computed).not.toMatch(/first radiotherapy fraction[^;]*\(matches\)/);
  });

  it('flags the printed inconsistencies: cadonilimab + lenvatinib "after SFRT" from 26 September; "1 month after SFRT" for December; PFS and OS from different origins; marker values only in a figure', () => {
    const kinds = a.checks.map((k) => `${k.check} ${k.entry}`);
    expect(kinds).toContain("starts-before-followed treatment 'cadonilimab-lenvatinib'");
    expect(kinds).toContain('reported-mismatch reported interval "1 month after SFRT"');
    expect(a.checks.some((k) => k.check === 'reported-mismatch' && /different origins/.test(k.message))).toBe(true);
    expect(kinds).toContain("flagged-in-source event 'markers-fell'");
    expect(a.checks.filter((k) => k.check === 'starts-before-followed')).toHaveLength(1);
    // the report's other intervals agree: CE-MRI 5 months after SFRT, death 9 months after SFRT
    expect(a.reported.filter((x) => x.kind === 'interval' && !x.consistent).map((x) => x.text)).toEqual(['1 month after SFRT']);
  });
});
