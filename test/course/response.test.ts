/**
 * Response categories and percentages, each expected value derived here by hand from the criteria's
 * published thresholds:
 *   RECIST 1.1 (Eisenhauer 2009): PR <= -30 % from baseline; PD >= +20 % AND >= 5 mm from the nadir.
 *   mRECIST (Lencioni & Llovet 2010): the same on the enhancing diameters; no 5 mm rule.
 *   WHO (Miller 1981): sum of products; PR <= -50 % from baseline; PD >= +25 % from the nadir.
 */

import { describe, expect, it } from 'vitest';
import { assessResponse, CRITERIA, criterionResponse } from '../../src/course/response.js';
import { study } from './helpers.js';

const RECIST = CRITERIA.find((c) => c.criterion === 'RECIST 1.1')!;
const MRECIST = CRITERIA.find((c) => c.criterion === 'mRECIST')!;
const WHO = CRITERIA.find((c) => c.criterion === 'WHO')!;

/** RECIST 1.1 category of one follow-up after a baseline with two lesions (60 + 40 = 100 mm). */
function recistAfter100(l1: number, l2: number) {
  const r = criterionResponse(RECIST, [study('b', '2024-01-01', { L1: { longestMm: 60 }, L2: { longestMm: 40 } }), study('f', '2024-03-01', { L1: { longestMm: l1 }, L2: { longestMm: l2 } })], 'b');
  return r.timePoints[0]!;
}

describe('RECIST 1.1: sum of longest diameters', () => {
  it('baseline 60 + 40 = 100 mm, now 69 mm: (69 - 100) / 100 = -31 % -> PR', () => {
    const p = recistAfter100(40, 29);
    expect(p.baseline).toBe(100);
    expect(p.sum).toBe(69);
    expect(p.changeFromBaselinePct).toBeCloseTo(-31, 10);
    expect(p.category).toBe('PR');
  });

  it('now 70 mm: exactly -30 % -> PR (the threshold is inclusive)', () => {
    const p = recistAfter100(40, 30);
    expect(p.changeFromBaselinePct).toBeCloseTo(-30, 10);
    expect(p.category).toBe('PR');
  });

  it('now 71 mm: -29 % -> SD', () => {
    const p = recistAfter100(40, 31);
    expect(p.changeFromBaselinePct).toBeCloseTo(-29, 10);
    expect(p.category).toBe('SD');
  });

  it('all target lesions gone (0 + 0 = 0 mm) -> CR', () => {
    expect(recistAfter100(0, 0).category).toBe('CR');
  });

  it('baseline 100 mm, now 120 mm: +20 % and +20 mm from the nadir (the baseline) -> PD; 119 mm: +19 % -> SD', () => {
    const pd = recistAfter100(70, 50);
    expect(pd.changeFromNadirPct).toBeCloseTo(20, 10);
    expect(pd.category).toBe('PD');
    const sd = recistAfter100(70, 49);
    expect(sd.changeFromNadirPct).toBeCloseTo(19, 10);
    expect(sd.category).toBe('SD');
  });

  it('5 mm absolute rule: nadir 20 mm -> 24 mm is +20 % but only 4 mm -> SD; nadir 25 mm -> 30 mm is +20 % and 5 mm -> PD', () => {
    // baseline 100, then 20 (PR, the nadir), then 24
    const small = criterionResponse(RECIST, [study('b', '2024-01-01', { L1: { longestMm: 100 } }), study('n', '2024-02-01', { L1: { longestMm: 20 } }), study('f', '2024-03-01', { L1: { longestMm: 24 } })], 'b');
    expect(small.timePoints[1]!.nadir).toBe(20);
    expect(small.timePoints[1]!.changeFromNadirPct).toBeCloseTo(20, 10); // (24 - 20) / 20
    expect(small.timePoints[1]!.category).toBe('PR'); // 24 is still -76 % from baseline
    const b25 = criterionResponse(RECIST, [study('b', '2024-01-01', { L1: { longestMm: 100 } }), study('n', '2024-02-01', { L1: { longestMm: 25 } }), study('f', '2024-03-01', { L1: { longestMm: 30 } })], 'b');
    expect(b25.timePoints[1]!.changeFromNadirPct).toBeCloseTo(20, 10); // (30 - 25) / 25
    expect(b25.timePoints[1]!.category).toBe('PD');
    // a baseline of 20 mm that grows to 24 mm: +20 %, 4 mm: SD (not PR: +20 % from baseline)
    const sd = criterionResponse(RECIST, [study('b', '2024-01-01', { L1: { longestMm: 20 } }), study('f', '2024-03-01', { L1: { longestMm: 24 } })], 'b');
    expect(sd.timePoints[0]!.category).toBe('SD');
    expect(sd.timePoints[0]!.reason).toMatch(/5 mm rule/);
  });

  it('the nadir is the smallest earlier sum: 100 -> 60 (PR, -40 %) -> 72 (+20 % and 12 mm from 60: PD although -28 % from baseline)', () => {
    const r = criterionResponse(
      RECIST,
      [study('b', '2024-01-01', { L1: { longestMm: 100 } }), study('f1', '2024-02-01', { L1: { longestMm: 60 } }), study('f2', '2024-03-01', { L1: { longestMm: 72 } })],
      'b',
    );
    expect(r.timePoints.map((p) => p.category)).toEqual(['PR', 'PD']);
    expect(r.timePoints[1]!.nadir).toBe(60);
    expect(r.timePoints[1]!.changeFromBaselinePct).toBeCloseTo(-28, 10);
    expect(r.timePoints[1]!.changeFromNadirPct).toBeCloseTo(20, 10);
  });

  it('new lesions make a time point PD whatever the sums', () => {
    const r = criterionResponse(RECIST, [study('b', '2024-01-01', { L1: { longestMm: 100 } }), study('f', '2024-02-01', { L1: { longestMm: 50 } }, true)], 'b');
    expect(r.timePoints[0]!.category).toBe('PD');
    expect(r.timePoints[0]!.changeFromBaselinePct).toBeCloseTo(-50, 10);
  });

  it('a target lesion not measured at a follow-up makes it NE', () => {
    const r = criterionResponse(RECIST, [study('b', '2024-01-01', { L1: { longestMm: 60 }, L2: { longestMm: 40 } }), study('f', '2024-02-01', { L1: { longestMm: 50 } })], 'b');
    expect(r.timePoints[0]!.category).toBe('NE');
    expect(r.timePoints[0]!.reason).toMatch(/L2 not measured/);
  });

  it('time points before the baseline are not assessed', () => {
    const r = criterionResponse(RECIST, [study('old', '2023-12-01', { L1: { longestMm: 10 } }), study('b', '2024-01-01', { L1: { longestMm: 100 } }), study('f', '2024-02-01', { L1: { longestMm: 90 } })], 'b');
    expect(r.timePoints.map((p) => p.imaging)).toEqual(['f']);
  });
});

describe('mRECIST: the enhancing (viable) diameters', () => {
  it('enhancing 50 -> 35 mm: -30 % -> PR, while the longest diameters (80 -> 78) give RECIST SD', () => {
    const s = [study('b', '2024-01-01', { L1: { longestMm: 80, enhancingMm: 50 } }), study('f', '2024-02-01', { L1: { longestMm: 78, enhancingMm: 35 } })];
    const [recist, mrecist] = assessResponse(s, 'b');
    expect(mrecist!.timePoints[0]!.changeFromBaselinePct).toBeCloseTo(-30, 10);
    expect(mrecist!.timePoints[0]!.category).toBe('PR');
    expect(recist!.timePoints[0]!.changeFromBaselinePct).toBeCloseTo(-2.5, 10); // (78 - 80) / 80
    expect(recist!.timePoints[0]!.category).toBe('SD');
  });

  it('no enhancement left (enhancing 0 mm) -> CR while the lesion is still 60 mm long', () => {
    const r = criterionResponse(MRECIST, [study('b', '2024-01-01', { L1: { longestMm: 80, enhancingMm: 50 } }), study('f', '2024-02-01', { L1: { longestMm: 60, enhancingMm: 0 } })], 'b');
    expect(r.timePoints[0]!.category).toBe('CR');
  });

  it('no 5 mm rule: nadir 20 -> 24 mm enhancing (+20 %, 4 mm) -> PD under mRECIST', () => {
    const r = criterionResponse(
      MRECIST,
      [study('b', '2024-01-01', { L1: { longestMm: 90, enhancingMm: 50 } }), study('n', '2024-02-01', { L1: { longestMm: 90, enhancingMm: 20 } }), study('f', '2024-03-01', { L1: { longestMm: 90, enhancingMm: 24 } })],
      'b',
    );
    expect(r.timePoints[1]!.category).toBe('PD');
  });

  it('without enhancing diameters at baseline mRECIST is not evaluable', () => {
    const r = criterionResponse(MRECIST, [study('b', '2024-01-01', { L1: { longestMm: 80 } }), study('f', '2024-02-01', { L1: { longestMm: 60 } })], 'b');
    expect(r.notEvaluable).toMatch(/enhancing/);
    expect(r.timePoints[0]!.category).toBe('NE');
  });
});

describe('WHO: sum of products of bidimensional diameters', () => {
  const who = (l: number, p: number) =>
    criterionResponse(WHO, [study('b', '2024-01-01', { L1: { longestMm: 20, perpendicularMm: 10 } }), study('f', '2024-02-01', { L1: { longestMm: l, perpendicularMm: p } })], 'b').timePoints[0]!;

  it('20 x 10 = 200 mm2 -> 10 x 10 = 100 mm2: -50 % -> PR; 10.2 x 10 = 102 mm2: -49 % -> SD', () => {
    expect(who(10, 10).sum).toBe(100);
    expect(who(10, 10).changeFromBaselinePct).toBeCloseTo(-50, 10);
    expect(who(10, 10).category).toBe('PR');
    expect(who(10.2, 10).changeFromBaselinePct).toBeCloseTo(-49, 10);
    expect(who(10.2, 10).category).toBe('SD');
  });

  it('200 -> 250 mm2 (25 x 10): +25 % from the nadir -> PD; 248 mm2 (24.8 x 10): +24 % -> SD', () => {
    expect(who(25, 10).changeFromNadirPct).toBeCloseTo(25, 10);
    expect(who(25, 10).category).toBe('PD');
    expect(who(24.8, 10).changeFromNadirPct).toBeCloseTo(24, 10);
    expect(who(24.8, 10).category).toBe('SD');
  });

  it('a -40 % change in the longest diameter alone is RECIST PR but WHO SD when the perpendicular is unchanged: 100 x 50 -> 60 x 50 is -40 % in area', () => {
    const s = [study('b', '2024-01-01', { L1: { longestMm: 100, perpendicularMm: 50 } }), study('f', '2024-02-01', { L1: { longestMm: 60, perpendicularMm: 50 } })];
    const [recist, , w] = assessResponse(s, 'b');
    expect(recist!.timePoints[0]!.category).toBe('PR');
    expect(w!.timePoints[0]!.changeFromBaselinePct).toBeCloseTo(-40, 10); // (3000 - 5000) / 5000
    expect(w!.timePoints[0]!.category).toBe('SD');
  });
});

describe('every criterion carries its rule and source', () => {
  it('names Eisenhauer 2009, Lencioni & Llovet 2010 and Miller 1981', () => {
    expect(RECIST.source).toMatch(/Eisenhauer.*Eur J Cancer 2009;45:228/);
    expect(MRECIST.source).toMatch(/Lencioni.*Llovet.*Semin Liver Dis 2010;30:52/);
    expect(WHO.source).toMatch(/Miller.*Cancer 1981;47:207/);
  });
});
