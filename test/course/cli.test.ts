/**
 * `lattice course` end to end through the CLI's main(): the built-in example written to a folder
 * (course.json, timeline.svg, markers.svg, course.md, course.html), the SVGs parsed as XML by Python's
 * xml.etree with the expected numbers of bars, ticks and markers, and one-line typed errors.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { DISCLAIMER } from '../../src/core/disclaimer.js';
import { analyseCourse } from '../../src/course/analyse.js';
import { readCourseFile } from '../../src/course/course-file.js';
import { renderCourseSection, seedCourseFile } from '../../src/course/index.js';
import { runLattice } from '../helpers/cli.js';

const run = runLattice;

const dir = mkdtempSync(join(tmpdir(), 'lattice-course-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Counts of elements by class token, and the root tag, from Python's XML parser (undefined without python3). */
function xmlCounts(file: string): { root: string; classes: Record<string, number> } | undefined {
  const script = [
    'import sys, json, xml.etree.ElementTree as ET',
    'root = ET.parse(sys.argv[1]).getroot()',
    'counts = {}',
    'for e in root.iter():',
    '    for c in (e.get("class") or "").split():',
    '        counts[c] = counts.get(c, 0) + 1',
    'print(json.dumps({"root": root.tag, "classes": counts}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8', timeout: 30_000 });
  if (r.error !== undefined || r.status === null) {
    if (process.env.CI === 'true') throw new Error('python3 is needed to parse the SVGs as XML');
    console.warn('python3 not found: the SVG XML checks are skipped (install python3)');
    return undefined;
  }
  if (r.status !== 0) throw new Error(`not well-formed XML: ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { root: string; classes: Record<string, number> };
}

describe('lattice course', () => {
  const out = join(dir, 'seed');

  it('--example writes the five outputs, prints the summary and the findings, exits 0', async () => {
    const r = await run('course', '--example', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(DISCLAIMER);
    expect(r.out).toMatch(/RECIST 1\.1 from baseline 'mri-2024-09': mri-2024-12 PR \(-32\.1 %\), eval-2025-03-07 PD/);
    expect(r.out).toMatch(/from the first radiotherapy fraction .*: PFS 4\.9 months \(150 days, event\), OS 9\.1 months \(276 days, event\)/);
    expect(r.out).toMatch(/warning \[starts-before-followed\] treatment 'cadonilimab-lenvatinib' \(treatments\.4, line \d+\)/);
    // the files, and no temporary or staging file left behind
    expect(readdirSync(out).sort()).toEqual(['.lattice-outputs.json', 'course.html', 'course.json', 'course.md', 'markers.svg', 'timeline.svg']);
  });

  it('course.json and course.html carry the disclaimer; course.html embeds both charts', () => {
    const json = JSON.parse(readFileSync(join(out, 'course.json'), 'utf8')) as { disclaimer: string; format: string; response: { criteria: { source: string }[] }; survival: { rule: { daysPerMonth: number } } };
    expect(json.disclaimer).toBe(DISCLAIMER);
    expect(json.format).toBe('lattice-course/1');
    expect(json.response.criteria.map((c) => c.source)).toEqual([expect.stringMatching(/Eisenhauer/), expect.stringMatching(/Lencioni/), expect.stringMatching(/Miller/)]);
    expect(json.survival.rule.daysPerMonth).toBe(30.4375);
    const html = readFileSync(join(out, 'course.html'), 'utf8');
    expect(html).toContain(DISCLAIMER);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(readFileSync(join(out, 'course.md'), 'utf8')).toMatch(/\| mri-2024-12 \| 2024-12 \| 112\.0 \| 165\.0 \| 165\.0 \| -32\.1 % \| -32\.1 % \| PR \|/);
  });

  it('timeline.svg parses as XML: 7 treatment bars, 2 fraction ticks, 5 imaging markers with 5 labels, 5 event markers', () => {
    const x = xmlCounts(join(out, 'timeline.svg'));
    if (x === undefined) return;
    expect(x.root).toBe('{http://www.w3.org/2000/svg}svg');
    expect(x.classes['treatment-bar']).toBe(7);
    expect(x.classes['fraction-tick']).toBe(2);
    expect(x.classes['imaging-marker']).toBe(5);
    // baseline, PR, PD, NE, and the July MRI's own reading
    expect(x.classes['response-label']).toBe(5);
    expect(x.classes['event-marker']).toBe(5);
  });

  it('markers.svg parses as XML: 2 values on a log scale, the PIVKA-II one censored (open marker with an arrow)', () => {
    const x = xmlCounts(join(out, 'markers.svg'));
    if (x === undefined) return;
    expect(x.classes['lab-point']).toBe(2);
    expect(x.classes.censored).toBe(1);
    expect(x.classes['censor-arrow']).toBe(1);
    const svg = readFileSync(join(out, 'markers.svg'), 'utf8');
    expect(svg).toMatch(/>1e5<\/text>/); // decades: 300000 and 1042455.5 lie between 1e5 and 1e7
    expect(svg).toMatch(/>1e7<\/text>/);
  });

  it('a second run into the same folder replaces its own files', async () => {
    const r = await run('course', '--example', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { disclaimer: string }).disclaimer).toBe(DISCLAIMER);
  });

  it('a bad file: exit 1 and one line naming the file, the line and the field; nothing written', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'patient: { id: X }\ndiagnosis: { date: 2024-01-01, disease: HCC }\ntreatments:\n  - { id: rt, kind: radiotherapy, name: RT, start: 2024-01-10, fractions: { planned: 5, delivered: -1 } }\n');
    const badOut = join(dir, 'bad-out');
    const r = await run('course', bad, '--out', badOut);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^lattice: FormatError: course file: line 4: field 'treatments\.0\.fractions\.delivered': expected the delivered number of fractions .*\(file .*bad\.yaml\)$/);
    expect(() => readdirSync(badOut)).toThrow();
  });

  it('no file and no --example, or both: exit 1 with an InputError', async () => {
    const none = await run('course', '--out', join(dir, 'x'));
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^lattice: InputError: course: expected a course file .* or --example/);
    const both = await run('course', seedCourseFile(), '--example', '--out', join(dir, 'x'));
    expect(both.code).toBe(1);
    expect(both.err).toMatch(/not both/);
  });

  it('renderCourseSection is an HTML fragment with both charts, for the plan report', () => {
    const section = renderCourseSection(analyseCourse(readCourseFile(seedCourseFile())));
    expect(section.startsWith('<section class="lattice-course">')).toBe(true);
    expect(section).not.toMatch(/<html|<body/);
    expect(section.match(/<svg /g)).toHaveLength(2);
    expect(section).toContain(DISCLAIMER);
  });
});
