/**
 * PFS and OS against hand-worked examples (calendar days counted here by hand; 2024 is a leap year).
 * Months = days / 30.4375.
 */

import { describe, expect, it } from 'vitest';
import { analyseCourse } from '../../src/course/analyse.js';
import { DAYS_PER_MONTH } from '../../src/course/dates.js';
import { course } from './helpers.js';

const RT = `treatments:
  - { id: rt, kind: radiotherapy, name: SBRT, start: 2024-01-10, end: 2024-01-14, fractions: { planned: 3, delivered: 3, dates: [2024-01-10, 2024-01-12, 2024-01-14] } }
`;

function endpoints(yaml: string, originIndex = 0) {
  const a = analyseCourse(course(yaml));
  const o = a.survival.origins[originIndex]!;
  return { origin: o.origin, pfs: o.endpoints.find((e) => e.endpoint === 'PFS')!, os: o.endpoints.find((e) => e.endpoint === 'OS')!, a };
}

describe('survival from the first RT fraction, with censoring', () => {
  it('progression by RECIST 1.1 at 2024-04-09 and alive at 2024-07-08: PFS 90 days (event), OS 180 days (censored)', () => {
    // 2024-01-10 -> 2024-04-09: 21 (rest of January) + 29 (February 2024) + 31 (March) + 9 = 90 days
    // 2024-04-09 -> 2024-07-08: 21 + 31 + 30 + 8 = 90 more: 180 days
    const { origin, pfs, os } = endpoints(`patient: { id: T }
diagnosis: { date: 2023-12-01, disease: HCC }
${RT}imaging:
  - { id: b, date: 2024-01-05, modality: CT, lesions: [{ lesion: L1, longestMm: 50 }] }
  - { id: f1, date: 2024-04-09, modality: CT, lesions: [{ lesion: L1, longestMm: 61 }] }   # +22 %, +11 mm: PD
events:
  - { date: 2024-07-08, kind: last-follow-up, text: alive }
`);
    expect(origin.date.text).toBe('2024-01-10');
    expect(pfs).toMatchObject({ event: true, endDate: '2024-04-09', days: 90 });
    expect(pfs.months).toBeCloseTo(90 / 30.4375, 12);
    expect(pfs.months).toBeCloseTo(2.957, 3);
    expect(pfs.endReason).toMatch(/RECIST 1.1 PD at imaging 'f1'/);
    expect(os).toMatchObject({ event: false, endDate: '2024-07-08', days: 180 });
    expect(os.months).toBeCloseTo(5.914, 3);
    expect(DAYS_PER_MONTH).toBe(30.4375);
  });

  it('death without progression ends PFS and OS at the same day: 2024-01-10 -> 2024-03-10 = 21 + 29 + 10 = 60 days', () => {
    const { pfs, os } = endpoints(`patient: { id: T }
diagnosis: { date: 2023-12-01, disease: HCC }
${RT}events:
  - { date: 2024-03-10, kind: death, text: death }
`);
    expect(pfs).toMatchObject({ event: true, days: 60 });
    expect(pfs.endReason).toMatch(/death without earlier progression/);
    expect(os).toMatchObject({ event: true, days: 60 });
  });

  it('a progression before the origin does not count; without a later one PFS is censored at the last follow-up (survival.lastFollowUp)', () => {
    const { pfs, os } = endpoints(`patient: { id: T }
diagnosis: { date: 2023-12-01, disease: HCC }
${RT}events:
  - { date: 2024-01-02, kind: progression, text: before RT }
survival: { lastFollowUp: 2024-02-09 }
`);
    // 2024-01-10 -> 2024-02-09: 21 + 9 = 30 days
    expect(pfs).toMatchObject({ event: false, days: 30, endDate: '2024-02-09' });
    expect(os).toMatchObject({ event: false, days: 30 });
  });

  it('from a month-precision origin the interval carries its range: diagnosis 2023-12 (nominal 15th) -> death 2024-03-10 is 86 days (70 to 100)', () => {
    // 15 Dec -> 10 Mar: 16 + 31 + 29 + 10 = 86; from 31 Dec: 70; from 1 Dec: 100
    const { origin, os } = endpoints(`patient: { id: T }
diagnosis: { date: { month: 2023-12 }, disease: HCC }
${RT}events:
  - { date: 2024-03-10, kind: death, text: death }
survival: { origin: diagnosis }
`);
    expect(origin.rule).toBe('diagnosis');
    expect(os).toMatchObject({ days: 86, daysRange: [70, 100], exact: false });
    expect(os.monthsRange[0]).toBeCloseTo(70 / 30.4375, 12);
  });

  it('an explicit date or treatment origin, and alternative origins, are each computed', () => {
    const yaml = `patient: { id: T }
diagnosis: { date: 2023-12-01, disease: HCC }
${RT}  - { id: chemo, kind: systemic, name: X, start: 2024-02-01 }
events:
  - { date: 2024-03-10, kind: death, text: death }
survival: { origin: { date: 2024-03-01 }, alternativeOrigins: [{ treatment: chemo }, first-rt-fraction] }
`;
    const a = analyseCourse(course(yaml));
    expect(a.survival.origins.map((o) => [o.origin.rule, o.endpoints[1]!.days])).toEqual([
      ['date', 9],
      ['treatment', 38], // 1 Feb -> 10 Mar: 28 + 10
      ['first-rt-fraction', 60],
    ]);
  });

  it('without a radiotherapy course the default origin is refused, naming the field and line', () => {
    expect(() => analyseCourse(course(`patient: { id: T }
diagnosis: { date: 2023-12-01, disease: HCC }
treatments: []
survival: {}
`))).toThrow(/line 4: field 'survival.origin': no radiotherapy treatment/);
  });
});
