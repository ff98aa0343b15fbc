/**
 * Every consistency check, triggered by a crafted file; each finding names the entry, its field path
 * and its line. A consistent course gives none.
 */

import { describe, expect, it } from 'vitest';
import { analyseCourse } from '../../src/course/analyse.js';
import type { CheckKind } from '../../src/course/checks.js';
import { course, HEAD } from './helpers.js';

const RT = `  - id: rt
    kind: radiotherapy
    name: SBRT
    start: 2024-03-04
    end: 2024-03-08
    fractions: { planned: 5, delivered: 5, dates: [2024-03-04, 2024-03-05, 2024-03-06, 2024-03-07, 2024-03-08] }
`;

/** The findings of one kind for a course text. */
function findings(yaml: string, kind: CheckKind) {
  return analyseCourse(course(yaml)).checks.filter((c) => c.check === kind);
}

describe('consistency checks', () => {
  it('a consistent course has no findings', () => {
    const a = analyseCourse(course(`${HEAD}treatments:
${RT}  - { id: chemo, kind: systemic, name: X, start: 2024-03-20, follows: [rt] }
labs:
  - { date: 2024-02-01, marker: AFP, value: 100, unit: ng/mL }
  - { date: 2024-04-01, marker: AFP, value: 10, unit: IU/mL }
  - { date: 2024-04-01, marker: PIVKA-II, value: '> 75000', unit: mAU/mL }
imaging:
  - { id: b, date: 2024-02-20, modality: CT, lesions: [{ lesion: L1, longestMm: 50 }] }
  - { id: f, date: 2024-05-20, modality: CT, lesions: [{ lesion: L1, longestMm: 40 }] }
`));
    expect(a.checks).toEqual([]);
  });

  it('dates out of order: an end before the start, fractions out of order and outside the treatment, a start before the diagnosis, an entry after the death', () => {
    const f = findings(`${HEAD}treatments:
  - id: rt
    kind: radiotherapy
    name: SBRT
    start: 2024-03-04
    end: 2024-03-01
    fractions: { planned: 2, delivered: 2, dates: [2024-03-06, 2024-03-05] }
  - { id: old, kind: systemic, name: X, start: 2023-12-01 }
imaging:
  - { id: late, date: 2024-06-01, modality: CT, lesions: [] }
events:
  - { id: death, date: 2024-05-01, kind: death, text: death }
`, 'dates-out-of-order');
    const messages = f.map((x) => x.message);
    expect(messages).toContainEqual(expect.stringMatching(/^treatment 'rt' \(treatments.0, line 4\): ends 2024-03-01, before it starts \(2024-03-04\)/));
    expect(messages).toContainEqual(expect.stringMatching(/^treatment 'rt' .*fraction 2 \(2024-03-05\) is dated before fraction 1 \(2024-03-06\)/));
    expect(messages).toContainEqual(expect.stringMatching(/^treatment 'rt' .*fraction 1 \(2024-03-06\) is outside the treatment's dates/));
    expect(messages).toContainEqual(expect.stringMatching(/^treatment 'old' \(treatments.1, line 10\): starts 2023-12-01, before the diagnosis \(2024-01-02\)/));
    expect(messages).toContainEqual(expect.stringMatching(/^imaging 'late' \(imaging.0, line 12\): dated 2024-06-01, after the death \(2024-05-01\)/));
  });

  it('a last follow-up before the survival origin', () => {
    const f = findings(`${HEAD}treatments:
${RT}survival: { lastFollowUp: 2024-03-01 }
`, 'dates-out-of-order');
    expect(f.map((x) => x.message)).toEqual([
      "survival (survival, line 10): the last follow-up (2024-03-01) is before the survival origin, the first radiotherapy fraction (treatment 'rt', 2024-03-04)",
    ]);
  });

  it('month-precision dates are out of order only when certainly so', () => {
    const f = findings(`${HEAD}treatments:
  - { id: a, kind: systemic, name: A, start: { month: 2024-03 }, end: 2024-03-02 }
  - { id: b, kind: systemic, name: B, start: { month: 2024-04 }, end: 2024-03-30 }
survival: { origin: diagnosis }
`, 'dates-out-of-order');
    expect(f.map((x) => x.entry)).toEqual(["treatment 'b'"]);
  });

  it('a treatment said to start after a course it follows but starting before it (the seed case\'s cadonilimab + lenvatinib)', () => {
    const f = findings(`${HEAD}treatments:
${RT}  - { id: chemo, kind: systemic, name: X, start: 2024-02-26, follows: [rt] }
  - { id: tare, kind: local, name: TARE, start: 2024-03-06, follows: [rt] }
`, 'starts-before-followed');
    expect(f.map((x) => x.message)).toEqual([
      "treatment 'chemo' (treatments.1, line 10): is said to follow treatment 'rt' but starts 2024-02-26, before it (2024-03-04 to 2024-03-08)",
      "treatment 'tare' (treatments.2, line 11): is said to follow treatment 'rt' but starts 2024-03-06, before the end of it (2024-03-04 to 2024-03-08)",
    ]);
    expect(f[0]).toMatchObject({ entry: "treatment 'chemo'", path: 'treatments.1', line: 10 });
  });

  it('fractions delivered > planned, and a number of fraction dates different from the fractions delivered', () => {
    const yaml = `${HEAD}treatments:
  - id: rt
    kind: radiotherapy
    name: SBRT
    start: 2024-03-04
    fractions: { planned: 5, delivered: 6, dates: [2024-03-04, 2024-03-05] }
`;
    expect(findings(yaml, 'fractions-exceed-planned').map((x) => x.message)).toEqual(["treatment 'rt' (treatments.0, line 4): 6 fractions delivered, more than the 5 planned"]);
    expect(findings(yaml, 'fraction-dates-count').map((x) => x.message)).toEqual(["treatment 'rt' (treatments.0, line 4): 2 fraction dates for 6 fractions delivered"]);
  });

  it('a unit that does not match the marker (AFP in mAU/mL, PIVKA-II in ng/mL), and kinetics across units', () => {
    const yaml = `${HEAD}treatments:
${RT}labs:
  - { date: 2024-02-01, marker: AFP, value: 100, unit: mAU/mL }
  - { date: 2024-02-01, marker: PIVKA-II, value: 40, unit: ng/mL }
  - { date: 2024-02-01, marker: CA19-9, value: 40, unit: U/mL }
  - { date: 2024-04-01, marker: AFP, value: 10, unit: ng/mL }
kinetics:
  - { marker: AFP, from: 2024-02-01, to: 2024-04-01 }
`;
    const f = findings(yaml, 'unit-mismatch').map((x) => x.message);
    expect(f).toEqual([
      "lab AFP 2024-02-01 (labs.0, line 11): AFP in 'mAU/mL'; expected ng/mL or IU/mL",
      "lab PIVKA-II 2024-02-01 (labs.1, line 12): PIVKA-II in 'ng/mL'; expected mAU/mL",
      "kinetics AFP 2024-02-01 to 2024-04-01 (kinetics.0, line 16): AFP in 'mAU/mL' at 2024-02-01 and 'ng/mL' at 2024-04-01: no kinetics across units",
    ]);
  });

  it('imaging of a lesion without a baseline measurement', () => {
    const f = findings(`${HEAD}treatments:
${RT}imaging:
  - { id: b, date: 2024-02-20, modality: CT, lesions: [{ lesion: L1, longestMm: 50 }] }
  - id: f
    date: 2024-05-20
    modality: CT
    lesions:
      - { lesion: L1, longestMm: 40 }
      - { lesion: L2, longestMm: 12 }
`, 'lesion-without-baseline');
    expect(f.map((x) => x.message)).toEqual([
      "lesion 'L2' of imaging 'f' (imaging.1.lesions.1, line 17): lesion 'L2' has no measurement at the response baseline (imaging 'b'); it is left out of the sums",
    ]);
  });

  it('imaging after the origin with none before it: no response baseline', () => {
    const f = findings(`${HEAD}treatments:
${RT}imaging:
  - { id: f, date: 2024-05-20, modality: CT, lesions: [{ lesion: L1, longestMm: 40 }] }
`, 'no-response-baseline');
    expect(f.map((x) => x.entry)).toEqual(["imaging 'f'"]);
  });

  it('a problem flagged in the source by the file\'s author', () => {
    const f = findings(`${HEAD}treatments:
${RT}    flags: [the report prints 3 fractions in the text and 5 in the table]
`, 'flagged-in-source');
    expect(f.map((x) => x.message)).toEqual(["treatment 'rt' (treatments.0, line 4): the report prints 3 fractions in the text and 5 in the table"]);
  });

  it('reported figures that the computed ones contradict, and survival figures without an origin', () => {
    const yaml = `${HEAD}treatments:
${RT}imaging:
  - { id: b, date: 2024-02-20, modality: CT, lesions: [{ lesion: L1, longestMm: 100, perpendicularMm: 50 }] }
  - { id: f, date: 2024-05-20, modality: CT, lesions: [{ lesion: L1, longestMm: 60, perpendicularMm: 50 }] }
events:
  - { id: death, date: 2024-09-04, kind: death, text: death }
reported:
  - { kind: interval, from: rt, to: death, months: 3, text: died 3 months after RT }
  - { kind: change, from: b, to: f, percent: -60, text: 60 % smaller }
  - { kind: os, months: 6, text: OS 6 months }
  - { kind: os, months: 8, origin: as-computed, text: OS 8 months }
`;
    // rt 2024-03-04 -> death 2024-09-04: 184 days = 6.05 months; products 5000 -> 3000: -40 %; diameters -40 %
    const mismatch = findings(yaml, 'reported-mismatch').map((x) => x.message);
    expect(mismatch).toEqual([
      expect.stringMatching(/^reported interval "died 3 months after RT" \(reported.0, line 16\): .*computed 6\.0 months \(184 days\): inconsistent$/),
      expect.stringMatching(/^reported change "60 % smaller" \(reported.1, line 17\): .*RECIST 1.1 sum of longest diameters: -40\.0 %; WHO sum of products of bidimensional diameters: -40\.0 %: none within 1 percentage points$/),
      expect.stringMatching(/^reported os "OS 8 months" \(reported.3, line 19\): .*matches no origin$/),
    ]);
    expect(findings(yaml, 'reported-origin-unstated').map((x) => x.message)).toEqual([
      "reported os \"OS 6 months\" (reported.2, line 18): the source gives OS 6 months without its origin; it matches the origin: first-rt-fraction",
    ]);
  });
});
