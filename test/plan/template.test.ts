import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FormatError, InputError, PlanError } from '../../src/core/errors.js';
import type { ObjectiveSpec } from '../../src/optimise/objectives/types.js';
import {
  BUILT_IN_TEMPLATES,
  checkObjectivesConsistent,
  coverageVolumePct,
  expandBeams,
  parsePlanTemplate,
  readPlanTemplate,
  resolvePlanTemplate,
  templateConstraintSet,
  type PlanTemplate,
} from '../../src/plan/template.js';

/** Run fn, expect an error of `type` whose message holds every fragment; return the message. */
function expectError(fn: () => unknown, type: new (...a: never[]) => Error, ...fragments: string[]): string {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  const message = (caught as Error).message;
  for (const f of fragments) expect(message).toContain(f);
  return message;
}

const dir = mkdtempSync(join(tmpdir(), 'lattice-template-'));
let n = 0;
function writeTemp(text: string, ext = 'yaml'): string {
  const file = join(dir, `t${n++}.${ext}`);
  writeFileSync(file, text);
  return file;
}
/** Both entry points: the file reader and parsePlanTemplate on the parsed object with its source. */
function bothWays(text: string): Array<() => PlanTemplate> {
  const file = writeTemp(text);
  return [() => readPlanTemplate(file), () => parsePlanTemplate(parseYaml(text), file, text)];
}

// A valid lattice template; the comment on each line is its line number (counted by hand).
const LATTICE = `# a test template                      # 1
name: test                                # 2
fractions: 5                              # 3
prescriptions:                            # 4
  - structure: PTV_2000                   # 5
    doseGy: 20                            # 6
    role: target                          # 7
    build: { from: GTV, marginMm: 5 }     # 8
  - structure: PTV_6670                   # 9
    doseGy: 66.7                          # 10
    role: peaks                           # 11
lattice:                                  # 12
  target: GTV                             # 13
  valleyMarginMm: 10                      # 14
objectives:                               # 15
  - kind: underdose                       # 16
    structure: PTV_2000                   # 17
    doseGy: 20                            # 18
  - kind: max-dose                        # 19
    structure: PTV_2000                   # 20
    doseGy: 80                            # 21
beams:                                    # 22
  arrangement: equispaced                 # 23
  count: 9                                # 24
`;

describe('shipped templates', () => {
  it('lists seed-case and imrt as built in', () => {
    expect(BUILT_IN_TEMPLATES).toEqual(['seed-case', 'imrt']);
  });

  it('seed-case holds the case report plan: 20 Gy to GTV + 5 mm and 66.7 Gy (13.34 x 5) to 15 mm spheres 60/30 mm apart, 5 fx', () => {
    const { template: t, file } = resolvePlanTemplate('seed-case');
    expect(file.replaceAll('\\', '/')).toMatch(/templates\/seed-case\.yaml$/);
    expect(t.fractions).toBe(5);
    const [ptv, peaks] = t.prescriptions;
    expect(ptv).toEqual({ structure: 'PTV_2000', doseGy: 20, role: 'target', build: { from: 'GTV', marginMm: 5 }, coverage: { volumePct: 95 } });
    expect(peaks).toMatchObject({ structure: 'PTV_6670', role: 'peaks' });
    expect(peaks!.doseGy).toBeCloseTo(13.34 * 5, 10);
    expect(t.prescriptions).toHaveLength(2);
    expect(t.lattice).toMatchObject({
      target: 'GTV',
      pattern: 'seed',
      diameterMm: 15,
      spacingMm: 60,
      planeSpacingMm: 30,
      oarClearanceMm: 15,
      valleyMarginMm: 10,
      valleyMedianMaxGy: 26,
    });
    expect(t.constraints).toMatchObject({ set: 'tg101-5fx', marginPct: 5 });
    expect(t.beams).toMatchObject({ arrangement: 'equispaced', count: 36, startDeg: 0, beamletMm: 5 });
    expect(expandBeams(t.beams).map((b) => b.gantryDeg)).toEqual(Array.from({ length: 36 }, (_, i) => 10 * i));
    expect(t.normalTissue).toMatchObject({ highPct: 100, lowPct: 40, startMm: 5, fallOffMm: 15 });
    expect(templateConstraintSet(t, file)?.name).toBe('tg101-5fx');
  });

  it('imrt is one 50 Gy / 25 fx prescription on GTV + 5 mm, no lattice, no constraint set, 9 beams 0:40:320', () => {
    const { template: t, file } = resolvePlanTemplate('imrt');
    expect(t.fractions).toBe(25);
    expect(t.prescriptions).toEqual([{ structure: 'PTV', doseGy: 50, role: 'target', build: { from: 'GTV', marginMm: 5 }, coverage: { volumePct: 95 } }]);
    expect(t.lattice).toBeUndefined();
    expect(t.constraints).toBeUndefined();
    expect(templateConstraintSet(t, file)).toBeUndefined();
    expect(expandBeams(t.beams).map((b) => b.gantryDeg)).toEqual([0, 40, 80, 120, 160, 200, 240, 280, 320]);
    expect(t.beams.beamletMm).toBe(5);
    expect(t.normalTissue).toMatchObject({ highPct: 100, lowPct: 40, startMm: 5, fallOffMm: 15 });
  });

  it('an unknown name that is not a file is an InputError listing the built-ins', () => {
    expectError(() => resolvePlanTemplate('seedcase'), InputError, "'seedcase'", 'seed-case, imrt', 'no such file');
  });

  it('a path is read as a template file', () => {
    const file = writeTemp(LATTICE);
    expect(resolvePlanTemplate(file)).toMatchObject({ file, template: { name: 'test' } });
  });
});

describe('the PlanTemplate type', () => {
  it('is exactly the shape the pipeline consumes', () => {
    interface Expected {
      name: string;
      description?: string;
      fractions: number;
      prescriptions: Array<{
        structure: string;
        doseGy: number;
        role: 'target' | 'peaks';
        build?: { from: string; marginMm: number };
        coverage?: { volumePct: number };
      }>;
      lattice?: {
        target: string;
        pattern?: string;
        diameterMm?: number;
        spacingMm?: number;
        planeSpacingMm?: number;
        insetMm?: number;
        oarClearanceMm?: number;
        partialMin?: number;
        allowPartial?: boolean;
        valleyMarginMm: number;
        valleyName?: string;
        valleyMedianMaxGy?: number;
      };
      constraints?: { set: string; marginPct: number; weight?: number };
      objectives: ObjectiveSpec[];
      beams:
        | {
            arrangement: 'equispaced';
            count: number;
            startDeg?: number;
            couchDeg?: number;
            collimatorDeg?: number;
            beamletMm?: number;
            isocentre?: 'target-centre';
          }
        | {
            arrangement: 'list';
            list: Array<{ gantryDeg: number; couchDeg?: number; collimatorDeg?: number; name?: string }>;
            beamletMm?: number;
            isocentre?: 'target-centre';
          };
      optimisation?: { maxIterations?: number; pointSpacingMm?: number; nearSpacingMm?: number; farSpacingMm?: number; nearMarginMm?: number };
      delivery?: 'fluence' | 'vmat' | 'imrt';
      normalTissue?: { structure?: string; highPct: number; lowPct: number; startMm: number; fallOffMm: number; weight?: number };
    }
    expectTypeOf<PlanTemplate>().toEqualTypeOf<Expected>();
  });
});

describe('parsing', () => {
  it('reads a valid lattice template, from YAML and from the same object with its source', () => {
    for (const read of bothWays(LATTICE)) {
      const t = read();
      expect(t.prescriptions.map((p) => [p.structure, p.doseGy, p.role])).toEqual([
        ['PTV_2000', 20, 'target'],
        ['PTV_6670', 66.7, 'peaks'],
      ]);
      expect(coverageVolumePct(t.prescriptions[0]!)).toBe(95);
      expect(coverageVolumePct(t.prescriptions[1]!)).toBeUndefined();
      expect(t.objectives).toHaveLength(2);
    }
  });

  it('objectives default to an empty list; a beam list expands as written', () => {
    const text = `name: x
fractions: 1
prescriptions: [{ structure: PTV, doseGy: 10, role: target }]
beams:
  arrangement: list
  list: [{ gantryDeg: 90, name: LAT }, { gantryDeg: 270, couchDeg: 10 }]
`;
    const t = parsePlanTemplate(parseYaml(text), 'x.yaml', text);
    expect(t.objectives).toEqual([]);
    expect(expandBeams(t.beams)).toEqual([
      { gantryDeg: 90, couchDeg: 0, collimatorDeg: 0, name: 'LAT' },
      { gantryDeg: 270, couchDeg: 10, collimatorDeg: 0 },
    ]);
  });

  it('a bad field is named with its line: prescriptions.0.doseGy on line 12', () => {
    // lines 1-7 are comments, so doseGy lands on line 12
    const text = `# 1
# 2
# 3
# 4
# 5
# 6
# 7
name: bad-dose
fractions: 5
prescriptions:
  - structure: PTV_2000
    doseGy: -20
    role: target
beams: { arrangement: equispaced, count: 5 }
`;
    for (const read of bothWays(text)) {
      expectError(read, FormatError, "plan template: line 12, field 'prescriptions.0.doseGy': expected a positive number, found -20", 't');
    }
    // without the source the field is still named, without a line
    expectError(() => parsePlanTemplate(parseYaml(text), 'a.yaml'), FormatError, "plan template: field 'prescriptions.0.doseGy': expected a positive number", 'file a.yaml');
  });

  it('line numbers work for JSON files too', () => {
    const json = `{
  "name": "json",
  "fractions": 5,
  "prescriptions": [
    { "structure": "PTV", "doseGy": 20, "role": "target" }
  ],
  "beams": { "arrangement": "equispaced", "count": 0 }
}
`;
    const file = writeTemp(json, 'json');
    expectError(() => readPlanTemplate(file), FormatError, "line 7, field 'beams.count': expected an integer >= 1, found 0", file);
  });

  it('names a missing field at the line of its parent, an unknown field and an unknown kind at their own lines', () => {
    // line 9 holds "- structure: PTV_6670"; its doseGy is missing
    for (const read of bothWays(LATTICE.replace('    doseGy: 66.7                          # 10', '                                          # 10'))) {
      expectError(read, FormatError, "line 9, field 'prescriptions.1.doseGy': expected a positive number (the field is missing)");
    }
    for (const read of bothWays(LATTICE.replace('  target: GTV                             # 13', '  target: GTV\n  colour: red'))) {
      expectError(read, FormatError, "line 14, field 'lattice.colour': unknown field 'colour'");
    }
    for (const read of bothWays(LATTICE.replace('  - kind: max-dose   ', '  - kind: max-doze   '))) {
      expectError(read, FormatError, "line 19, field 'objectives.1.kind': expected kind to be one of", 'geud-upper', "found 'max-doze'");
    }
  });

  it('a missing top-level field has no line; a YAML syntax error has its line', () => {
    const noBeams = LATTICE.split('\n').slice(0, 21).join('\n');
    for (const read of bothWays(noBeams)) expectError(read, FormatError, "plan template: field 'beams'", 'missing');
    const file = writeTemp('name: x\nfractions: 5\nprescriptions: [\n  { structure: PTV\n');
    expectError(() => readPlanTemplate(file), FormatError, 'plan template: line ', 'not valid YAML or JSON');
  });

  it('checks objectives per kind: a DVH objective needs exactly one of volumePct and volumeCc', () => {
    const text = LATTICE.replace('  - kind: max-dose   ', '  - kind: max-dvh    ');
    for (const read of bothWays(text)) {
      expectError(read, FormatError, "line 19, field 'objectives.1': expected exactly one of 'volumePct' and 'volumeCc'");
    }
  });

  it('two peaks prescriptions: the error names both', () => {
    const text = LATTICE.replace('    role: target                          # 7', '    role: peaks                           # 7');
    // the first prescription must be the target: reported first
    for (const read of bothWays(text)) expectError(read, FormatError, "line 7, field 'prescriptions.0.role'", "expected role 'target'");
    const three = LATTICE.replace(
      'lattice:                                  # 12',
      '  - structure: PTV_8000\n    doseGy: 80\n    role: peaks\nlattice:',
    );
    for (const read of bothWays(three)) {
      expectError(read, FormatError, "line 14, field 'prescriptions.2.role'", 'exactly one', '"PTV_6670" (prescriptions.1 at line 9)', '"PTV_8000"');
    }
  });

  it("a lattice needs a 'peaks' prescription, and 'peaks' needs a lattice", () => {
    const noPeaks = LATTICE.replace('    role: peaks                           # 11', '    role: target                          # 11');
    for (const read of bothWays(noPeaks)) expectError(read, FormatError, "line 4, field 'prescriptions'", "exactly one prescription with role 'peaks'", 'found none');
    const noLattice = LATTICE.replace('lattice:                                  # 12\n  target: GTV                             # 13\n  valleyMarginMm: 10                      # 14\n', '');
    for (const read of bothWays(noLattice)) expectError(read, FormatError, "line 11, field 'prescriptions.1.role'", "needs a 'lattice' section");
  });

  it('the peak dose must exceed the target dose', () => {
    const text = LATTICE.replace('    doseGy: 66.7 ', '    doseGy: 20   ');
    for (const read of bothWays(text)) {
      expectError(read, FormatError, "line 10, field 'prescriptions.1.doseGy'", 'peak dose 20 Gy of "PTV_6670" must exceed the target dose 20 Gy of "PTV_2000"');
    }
  });

  it('a structure prescribed twice is named with both places', () => {
    const text = LATTICE.replace('  - structure: PTV_6670 ', '  - structure: ptv_2000 ');
    for (const read of bothWays(text)) {
      expectError(read, FormatError, "line 9, field 'prescriptions.1.structure'", '"ptv_2000" is prescribed twice', '(also prescriptions.0 at line 5)');
    }
  });

  it('lattice parameters are checked like placement parameters, at the lattice line', () => {
    const text = LATTICE.replace('  target: GTV                             # 13', '  target: GTV\n  spacingMm: 10');
    for (const read of bothWays(text)) expectError(read, FormatError, "line 12, field 'lattice'", 'spheres would overlap');
    const pattern = LATTICE.replace('  target: GTV                             # 13', '  target: GTV\n  pattern: hexagon');
    for (const read of bothWays(pattern)) expectError(read, FormatError, "line 14, field 'lattice.pattern'", 'expected a lattice pattern', "found 'hexagon'");
  });

  it('contradictory objectives on one structure: underdose 30 Gy with max-dose 25 Gy names both', () => {
    const text = LATTICE.replace('    doseGy: 20                            # 18', '    doseGy: 30                            # 18').replace(
      '    doseGy: 80                            # 21',
      '    doseGy: 25                            # 21',
    );
    for (const read of bothWays(text)) {
      expectError(
        read,
        FormatError,
        "line 19, field 'objectives.1': contradicts objectives.0",
        '"max-dose PTV_2000 25 Gy"',
        '"underdose PTV_2000 30 Gy" (objectives.0 at line 16)',
        'cannot both hold',
      );
    }
  });

  it('an unknown TG-101 schedule is an error at its line', () => {
    const text = LATTICE.replace('objectives:                               # 15', 'constraints: { set: tg101-4fx, marginPct: 5 }\nobjectives:');
    for (const read of bothWays(text)) expectError(read, FormatError, "line 15, field 'constraints.set'", 'tg101-4fx');
  });

  it('a constraint set file is found relative to the template file', () => {
    const sub = mkdtempSync(join(dir, 'sub-'));
    writeFileSync(join(sub, 'local.yaml'), 'name: local\nfractions: 5\nconstraints:\n  - { kind: max-point, organ: SpinalCord, limitGy: 25 }\n');
    const file = join(sub, 'plan.yaml');
    writeFileSync(file, LATTICE.replace('objectives:                               # 15', 'constraints: { set: local.yaml, marginPct: 5 }\nobjectives:'));
    const t = readPlanTemplate(file);
    expect(templateConstraintSet(t, file)?.name).toBe('local');
  });
});

describe('checkObjectivesConsistent', () => {
  const u = (kind: 'underdose' | 'overdose' | 'mean-upper' | 'mean-lower' | 'max-dose', doseGy: number, structure = 'PTV'): ObjectiveSpec => ({
    kind,
    structure,
    doseGy,
  });
  const dvh = (kind: 'min-dvh' | 'max-dvh', doseGy: number, volumePct: number): ObjectiveSpec => ({ kind, structure: 'PTV', doseGy, volumePct });
  const geud = (kind: 'geud-upper' | 'geud-lower', doseGy: number, a: number): ObjectiveSpec => ({ kind, structure: 'PTV', doseGy, a });

  it('throws a PlanError naming both objectives of a contradiction', () => {
    expectError(
      () => checkObjectivesConsistent([u('underdose', 30), { ...u('max-dose', 25), note: 'tg101-5fx/x/max (X)' }]),
      PlanError,
      'contradictory objectives on structure "PTV"',
      'objective 0 (underdose PTV 30 Gy)',
      'objective 1 (max-dose PTV 25 Gy [tg101-5fx/x/max (X)])',
    );
  });

  it('flags pairs that no dose distribution meets', () => {
    const bad: Array<[ObjectiveSpec, ObjectiveSpec]> = [
      [u('mean-lower', 30), u('mean-upper', 25)],
      [u('mean-lower', 30), u('overdose', 25)],
      [dvh('min-dvh', 30, 50), u('max-dose', 25)],
      [dvh('min-dvh', 30, 95), dvh('max-dvh', 25, 50)], // 95 % above 25 Gy, at most 50 % allowed
      [dvh('min-dvh', 30, 50), u('mean-upper', 10)], // mean >= 0.5 x 30 = 15 Gy > 10
      [u('underdose', 30), dvh('max-dvh', 25, 99)],
      [u('underdose', 30), geud('geud-upper', 25, 8)],
      [geud('geud-lower', 30, -10), geud('geud-upper', 25, 1)], // gEUD grows with a
      [geud('geud-lower', 30, 1), u('mean-upper', 25)],
      [u('mean-lower', 30), geud('geud-upper', 25, 4)],
    ];
    for (const [a, b] of bad) {
      expect(() => checkObjectivesConsistent([a, b]), `${a.kind} ${b.kind}`).toThrow(PlanError);
      expect(() => checkObjectivesConsistent([b, a]), `${b.kind} ${a.kind}`).toThrow(PlanError);
    }
  });

  it('accepts pairs that can both hold', () => {
    const good: Array<[ObjectiveSpec, ObjectiveSpec]> = [
      [u('underdose', 20), u('max-dose', 25)],
      [u('underdose', 25), u('max-dose', 25)], // every point exactly 25 Gy
      [u('underdose', 30), u('max-dose', 25, 'Other')], // other structure
      [dvh('min-dvh', 30, 50), dvh('max-dvh', 25, 60)],
      [dvh('min-dvh', 30, 20), u('mean-upper', 10)], // mean >= 6 Gy only
      [u('mean-lower', 30), dvh('max-dvh', 25, 50)], // a hot half can lift the mean
      [geud('geud-lower', 30, 8), geud('geud-upper', 25, 1)], // a high-a gEUD above a low-a one
      [geud('geud-lower', 30, 8), u('mean-upper', 25)],
      [u('underdose', 30), { kind: 'max-dvh', structure: 'PTV', doseGy: 25, volumeCc: 10 }], // cc without the volume proves nothing
    ];
    for (const [a, b] of good) {
      expect(() => checkObjectivesConsistent([a, b])).not.toThrow();
      expect(() => checkObjectivesConsistent([b, a])).not.toThrow();
    }
  });
});
