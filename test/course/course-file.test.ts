/**
 * Course files: what they accept (censored values, month-precision dates, JSON) and errors that name
 * the file, the line and the field path.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { readCourseFile } from '../../src/course/course-file.js';
import { course, HEAD } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lattice-course-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error a course text raises. */
function errorOf(yaml: string): FormatError {
  try {
    course(yaml, 'bad.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('course file contents', () => {
  it('keeps a censored value as censored ("> 300000", "< 5", { value, censor }) and normalises marker names', () => {
    const c = course(`${HEAD}treatments: []
labs:
  - { date: 2024-01-02, marker: pivka-ii, value: '> 300,000.00', unit: mAU/mL }
  - { date: 2024-01-02, marker: AFP, value: '< 5', unit: ng/mL }
  - { date: 2024-01-03, marker: AFP, value: { value: 20, censor: '>' }, unit: ng/mL }
  - { date: 2024-01-04, marker: AFP, value: 1042455.50, unit: ng/mL }
`);
    expect(c.labs.map((l) => [l.marker, l.measured])).toEqual([
      ['PIVKA-II', { value: 300000, censor: '>' }],
      ['AFP', { value: 5, censor: '<' }],
      ['AFP', { value: 20, censor: '>' }],
      ['AFP', { value: 1042455.5 }],
    ]);
  });

  it('a day-less date needs the explicit month form, and keeps its precision and range', () => {
    const c = course(`patient: { id: T }
diagnosis: { date: { month: 2024-02, note: end of February }, disease: HCC }
treatments: []
`);
    expect(c.diagnosis.date).toMatchObject({ text: '2024-02', precision: 'month', note: 'end of February' });
    expect(c.diagnosis.date.latest - c.diagnosis.date.earliest).toBe(28); // 1..29 February 2024
    expect(errorOf(`patient: { id: T }\ndiagnosis: { date: 2024-02, disease: HCC }\ntreatments: []\n`).message).toMatch(
      /^course file: line 2: field 'diagnosis.date': expected a date 'YYYY-MM-DD', or \{ month: 'YYYY-MM', note\? \}/,
    );
  });

  it('refuses a day that does not exist (2025-02-30), naming line and field', () => {
    const e = errorOf(`${HEAD}treatments:
  - id: rt
    kind: radiotherapy
    name: RT
    start: 2025-02-30
`);
    expect(e.message).toMatch(/^course file: line 7: field 'treatments.0.start': expected a date/);
    expect(e.message).toMatch(/\(file bad\.yaml\)$/);
  });

  it('names the line of a wrong type deep in a list (fractions.delivered)', () => {
    const e = errorOf(`${HEAD}treatments:
  - id: rt
    kind: radiotherapy
    name: RT
    start: 2024-03-01
    fractions:
      planned: 5
      delivered: two
`);
    expect(e.message).toMatch(/^course file: line 10: field 'treatments.0.fractions.delivered': expected the delivered number of fractions/);
  });

  it('a missing field is reported at its parent\'s line', () => {
    const e = errorOf(`${HEAD}treatments:
  - id: rt
    kind: radiotherapy
    start: 2024-03-01
`);
    expect(e.message).toMatch(/^course file: line 4: field 'treatments.0.name'/);
  });

  it('an unknown field, an unknown kind, a bad censored value', () => {
    expect(errorOf(`${HEAD}treatments: []\nextra: 1\n`).message).toMatch(/^course file: line 4: field 'extra': unknown field 'extra' at the top level/);
    expect(errorOf(`${HEAD}treatments:\n  - { id: x, kind: surgery, name: S, start: 2024-03-01 }\n`).message).toMatch(
      /line 4: field 'treatments.0.kind': expected systemic, local, radiotherapy, supportive or other/,
    );
    expect(errorOf(`${HEAD}treatments: []\nlabs:\n  - { date: 2024-03-01, marker: AFP, value: '>> 5', unit: ng/mL }\n`).message).toMatch(
      /line 5: field 'labs.0.value': expected a number, a censored value/,
    );
  });

  it('references to other entries must exist: follows, response.baseline, reported ids; ids are unique', () => {
    expect(errorOf(`${HEAD}treatments:\n  - { id: a, kind: systemic, name: A, start: 2024-03-01, follows: [b] }\n`).message).toMatch(
      /line 4: field 'treatments.0.follows.0': expected the id of a treatment \(a\), found 'b'/,
    );
    expect(errorOf(`${HEAD}treatments: []\nresponse: { baseline: nope }\n`).message).toMatch(/line 4: field 'response.baseline': expected the id of an imaging study/);
    expect(errorOf(`${HEAD}treatments:\n  - { id: a, kind: systemic, name: A, start: 2024-03-01 }\n  - { id: a, kind: local, name: B, start: 2024-03-02 }\n`).message).toMatch(
      /line 5: field 'treatments.1.id': id 'a' is already used by treatments.0/,
    );
    expect(errorOf(`${HEAD}treatments: []\nreported:\n  - { kind: interval, from: x, to: y, months: 1, text: t }\n`).message).toMatch(
      /line 5: field 'reported.0.from': expected the id of an entry, found 'x'/,
    );
  });

  it('a YAML syntax error names its line', () => {
    const e = errorOf(`${HEAD}treatments:\n  - { id: a, kind: systemic\n`);
    expect(e.message).toMatch(/^course file: line \d+: not valid YAML or JSON/);
  });

  it('reads JSON, with lines too, and names the file', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ patient: { id: 'J' }, diagnosis: { date: '2024-01-01', disease: 'HCC' }, treatments: [] }, null, 2));
    expect(readCourseFile(good).patient.id).toBe('J');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ patient: { id: 'J' }, diagnosis: { date: '2024-13-01', disease: 'HCC' }, treatments: [] }, null, 2));
    expect(() => readCourseFile(bad)).toThrow(new RegExp(`^course file: line 6: field 'diagnosis.date': .*\\(file ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`));
    expect(() => readCourseFile(join(dir, 'missing.yaml'))).toThrow(/cannot read the course file/);
  });
});
