/**
 * Tumour-marker fold change and half-life, by hand: log-linear, t1/2 = dt ln2 / ln(c0/c1).
 */

import { describe, expect, it } from 'vitest';
import { parseDay } from '../../src/course/dates.js';
import { markerKinetics } from '../../src/course/kinetics.js';
import { analyseCourse } from '../../src/course/analyse.js';
import { course, HEAD } from './helpers.js';

const d = (s: string) => parseDay(s)!;

describe('marker kinetics', () => {
  it('AFP 1000 -> 250 ng/mL over 28 days: fold change 0.25, two halvings: half-life 28 ln2 / ln4 = 14 days', () => {
    const k = markerKinetics('AFP', 'ng/mL', d('2024-01-01'), { value: 1000 }, d('2024-01-29'), { value: 250 });
    expect(k.days).toBe(28);
    expect(k.foldChange).toBeCloseTo(0.25, 12);
    expect(k.foldChangeBound).toBe('exact');
    expect(k.halfLifeDays).toBeCloseTo(14, 10);
    expect(k.doublingTimeDays).toBeNull();
  });

  it('a rise 100 -> 400 over 20 days: doubling time 20 ln2 / ln4 = 10 days', () => {
    const k = markerKinetics('AFP', 'ng/mL', d('2024-01-01'), { value: 100 }, d('2024-01-21'), { value: 400 });
    expect(k.doublingTimeDays).toBeCloseTo(10, 10);
    expect(k.halfLifeDays).toBeNull();
  });

  it('PIVKA-II > 300000 -> 3000 mAU/mL over 30 days: fold change < 0.01 and half-life < 30 ln2 / ln100 = 4.515 days (bounds)', () => {
    const k = markerKinetics('PIVKA-II', 'mAU/mL', d('2024-01-01'), { value: 300000, censor: '>' }, d('2024-01-31'), { value: 3000 });
    expect(k.foldChangeBound).toBe('<');
    expect(k.foldChange).toBeCloseTo(0.01, 12);
    expect(k.timeBound).toBe('<');
    expect(k.halfLifeDays).toBeCloseTo((30 * Math.LN2) / Math.log(100), 10);
    expect(k.halfLifeDays).toBeCloseTo(4.515, 3);
    expect(k.text).toMatch(/half-life < 4\.5 days \(an upper bound/);
  });

  it('a fall to below the detection limit (< 10 from 1000 over 14 days) is also an upper bound on the half-life', () => {
    const k = markerKinetics('AFP', 'ng/mL', d('2024-01-01'), { value: 1000 }, d('2024-01-15'), { value: 10, censor: '<' });
    expect(k.foldChangeBound).toBe('<');
    expect(k.halfLifeDays).toBeCloseTo((14 * Math.LN2) / Math.log(100), 10);
    expect(k.timeBound).toBe('<');
  });

  it('censored in the direction that leaves the change open (> 300000 -> > 300000, or 1000 -> > 10) is not determinable', () => {
    const both = markerKinetics('PIVKA-II', 'mAU/mL', d('2024-01-01'), { value: 300000, censor: '>' }, d('2024-02-01'), { value: 300000, censor: '>' });
    expect(both.foldChangeBound).toBe('undetermined');
    expect(both.halfLifeDays).toBeNull();
    const open = markerKinetics('AFP', 'ng/mL', d('2024-01-01'), { value: 1000 }, d('2024-02-01'), { value: 10, censor: '>' });
    expect(open.timeBound).toBe('undetermined');
    expect(open.halfLifeDays).toBeNull();
  });

  it('the chosen dates of a course file pick the values; the result carries its rule', () => {
    const a = analyseCourse(course(`${HEAD}treatments:
  - { id: rt, kind: radiotherapy, name: RT, start: 2024-01-10 }
labs:
  - { date: 2024-01-01, marker: afp, value: 1000, unit: ng/mL }
  - { date: 2024-01-15, marker: AFP, value: 500, unit: ng/mL }
  - { date: 2024-01-29, marker: AFP, value: 250, unit: ng/mL }
kinetics:
  - { marker: AFP, from: 2024-01-01, to: 2024-01-29 }
`));
    expect(a.kinetics.results).toHaveLength(1);
    expect(a.kinetics.results[0]!.halfLifeDays).toBeCloseTo(14, 10);
    expect(a.kinetics.rule).toMatch(/t1\/2 = dt ln2 \/ ln\(c0\/c1\)/);
  });

  it('a chosen date without a value is refused with the line of the request', () => {
    expect(() => analyseCourse(course(`${HEAD}treatments:
  - { id: rt, kind: radiotherapy, name: RT, start: 2024-01-10 }
labs:
  - { date: 2024-01-01, marker: AFP, value: 1000, unit: ng/mL }
kinetics:
  - { marker: AFP, from: 2024-01-01, to: 2024-02-01 }
`))).toThrow(/line 8: field 'kinetics.0.to': no AFP value dated 2024-02-01/);
  });
});
