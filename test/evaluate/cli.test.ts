import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerEvaluate } from '../../cli/commands/evaluate.js';
import { TOOLS, have, runTool } from '../helpers/external.js';
import { writeEvaluationCase, type WrittenEvaluationCase } from './dicom-case.js';
import { readRtDose } from '../../src/io/dicom/read/index.js';
import { writeRtDose } from '../../src/io/dicom/write/index.js';

async function lattice(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let code = 0;
  const program = new Command().exitOverride();
  registerEvaluate(program, (c) => {
    code = c;
  });
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let written: WrittenEvaluationCase;
/** The same RTSTRUCT and RTDOSE files alone in a folder: no CT, no RT Plan. */
let rtOnly: string;
beforeAll(() => {
  written = writeEvaluationCase(mkdtempSync(join(tmpdir(), 'lattice-eval-case-')));
  rtOnly = join(mkdtempSync(join(tmpdir(), 'lattice-eval-rt-only-')), 'case');
  mkdirSync(rtOnly);
  copyFileSync(written.rtstructFile, join(rtOnly, 'RTSTRUCT.dcm'));
  copyFileSync(written.rtdoseFile, join(rtOnly, 'RTDOSE.dcm'));
});

type ReportStructure = { name: string; volumeCc: number; planned: { meanGy: number }; plannedEqd2?: unknown; curve: unknown };
afterEach(() => vi.restoreAllMocks());

describe('lattice evaluate', () => {
  it('writes report.json, report.md and report.html for 5 planned / 2 delivered fractions against TG-101 5 fx', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lattice-eval-out-'));
    const r = await lattice([
      'evaluate', written.dir, '--fractions-planned', '5', '--fractions-delivered', '2', '--constraints', 'tg101-5fx',
      '--alpha-beta', 'Liver=2.5', '--metrics', 'D95%,V20Gy', '--prescription', 'GTV=20', '--out', out,
    ]);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    for (const f of ['report.json', 'report.md', 'report.html']) expect(existsSync(join(out, f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.schedule).toEqual({ fractionsPlanned: 5, fractionsDelivered: 2 });
    const liver = report.structures.find((s: { name: string }) => s.name === 'Liver');
    expect(liver.alphaBetaGy).toBe(2.5);
    expect(liver.alphaBetaSource).toBe('override');
    const bowel = report.structures.find((s: { name: string }) => s.name === 'Small Bowel');
    expect(bowel.tg263).toBe('Bowel_Small');
    expect(report.constraints.results.find((x: { organ: string }) => x.organ === 'Liver').status).toBe('not achievable');
    expect(report.sfrt.spheres).toEqual(['Sphere_1', 'Sphere_2']);
    expect(report.sfrt.delivered.physical.peak.meanGy).toBeCloseTo(0.4 * report.sfrt.planned.physical.peak.meanGy, 2);
    expect(report.structures[0].requested['V20Gy'].unit).toBe('cc');
    expect(report.conformity[0]).toMatchObject({ structure: 'GTV', prescriptionGy: 20 });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('not a medical device');
    expect(r.out).toMatch(/tg101-5fx: \d+ checks/);
  });

  it('includes a clinical course in report.html with --course, and warns when the course links another plan folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lattice-eval-course-'));
    // a course whose radiotherapy entry links the evaluated folder (relative to the course file)
    const courseText = (folder: string): string => `patient: { id: COURSE-EVAL-01 }
diagnosis: { date: 2024-01-02, disease: hepatocellular carcinoma }
treatments:
  - { id: rt, kind: radiotherapy, name: lattice SBRT, start: 2024-02-01, end: 2024-02-05, fractions: { planned: 5, delivered: 2 }, planFolder: ${folder} }
`;
    writeFileSync(join(dir, 'linked.yaml'), courseText(written.dir));
    writeFileSync(join(dir, 'other.yaml'), courseText('no-such-plan'));
    const out = join(dir, 'out');
    let r = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--course', join(dir, 'linked.yaml'), '--out', out]);
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/links no plan folder/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<section class="lattice-course">');
    expect(html).toContain('COURSE-EVAL-01');
    // the timeline chart is inline: one radiotherapy bar, drawn as SVG in the report
    expect(html.match(/<svg/g)!.length).toBeGreaterThanOrEqual(3);
    r = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--course', join(dir, 'other.yaml'), '--out', join(dir, 'out2'), '--force']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/links no plan folder at/);
    // a bad course file fails before the case is read, naming the file and the line
    writeFileSync(join(dir, 'bad.yaml'), 'patient: { id: X }\ndiagnosis: { date: 2024-13-40 }\n');
    r = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--course', join(dir, 'bad.yaml'), '--out', join(dir, 'out3')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yaml/);
    expect(r.err).toMatch(/line 2/);
    expect(existsSync(join(dir, 'out3', 'report.html'))).toBe(false);
  });

  it('refuses a dose that is neither the planned total nor one fraction', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lattice-eval-out-'));
    const rec = join(out, 'record.dcm');
    const d = readRtDose(written.rtdoseFile);
    writeRtDose({ ...d, seriesInstanceUid: `${d.seriesInstanceUid}.7`, summationType: 'RECORD' }, rec);
    const r = await lattice(['evaluate', written.dir, '--dose', rec, '--fractions-planned', '5', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/expected a dose of summation type PLAN .* or FRACTION .*, found RECORD/);
  });

  it('prints the JSON with --json and rejects bad input with a one-line error naming the value', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lattice-eval-out-'));
    const j = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--json', '--out', out]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out).disclaimer).toMatch(/Research use only/);
    const over = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--fractions-delivered', '6', '--out', out]);
    expect(over.code).toBe(1);
    expect(over.err).toMatch(/InputError: delivered fractions \(6\) cannot exceed planned fractions \(5\)/);
    const noPlan = await lattice(['evaluate', written.dir, '--out', out]);
    expect(noPlan.err).toMatch(/give --fractions-planned/);
    const foreign = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--dose', written.foreignDoseFile, '--out', out]);
    expect(foreign.code).toBe(1);
    expect(foreign.err).toMatch(/DicomError: dose is in frame of reference .* expected the structures' .*foreign-RTDOSE\.dcm/);
    const badSet = join(out, 'bad.yaml');
    writeFileSync(badSet, 'name: x\nfractions: 5\nconstraints:\n  - { kind: max-point, organ: Liver, limitGy: -1 }\n');
    const bad = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--constraints', badSet, '--out', out]);
    expect(bad.err).toMatch(/FormatError: constraint set: field 'constraints\.0\.limitGy'.*bad\.yaml/);
    await expect(lattice(['evaluate', written.dir, '--fractions-planned', '5', '--threads', '0', '--out', out])).rejects.toThrow(
      /--threads expects an integer >= 1, found '0'/,
    );
    // any thread count gives the same report (here, from the TypeScript sources, without worker threads)
    const two = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--threads', '2', '--json', '--out', out]);
    expect(two.code).toBe(0);
    expect(two.out).toBe(j.out);
  });

  it('refuses an --alpha-beta name that matches no structure and no TG-263 organ, and takes those that do', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lattice-eval-out-'));
    const nope = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--alpha-beta', 'Nope=3', '--out', out]);
    expect(nope.code).toBe(1);
    expect(nope.err.trim().split('\n')).toHaveLength(1);
    expect(nope.err).toMatch(/InputError: --alpha-beta Nope=3: "Nope" names no structure of the case .*"Liver"/);
    // A structure name in another case, and the TG-263 name "Small Bowel" matches.
    const ok = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--alpha-beta', 'liver=2.5', '--alpha-beta', 'Bowel_Small=4', '--json', '--out', out]);
    expect(ok.code, ok.err).toBe(0);
    const report = JSON.parse(ok.out) as { structures: { name: string; alphaBetaGy: number }[] };
    expect(report.structures.find((st) => st.name === 'Liver')!.alphaBetaGy).toBe(2.5);
  });
});

describe('lattice evaluate on an RT Structure Set and an RT Dose alone', () => {
  it('gives the DVHs and metrics of the run with the CT, and skips constraints and EQD2 with one note naming --fractions-planned', async () => {
    const withCt = await lattice(['evaluate', written.dir, '--fractions-planned', '5', '--json', '--out', mkdtempSync(join(tmpdir(), 'lattice-eval-out-'))]);
    const out = mkdtempSync(join(tmpdir(), 'lattice-eval-out-'));
    const alone = await lattice(['evaluate', rtOnly, '--json', '--out', out]);
    expect(alone.code, alone.err).toBe(0);
    const a = JSON.parse(withCt.out) as { structures: ReportStructure[]; constraints?: unknown; input: { ctSeriesInstanceUid: string | null } };
    const b = JSON.parse(alone.out) as typeof a & { notes: string[]; schedule?: unknown };
    // The CT takes no part in a DVH: every structure's volume, planned-dose figures and curve are the same.
    expect(b.structures.map((s) => [s.name, s.volumeCc, s.planned, s.curve])).toEqual(a.structures.map((s) => [s.name, s.volumeCc, s.planned, s.curve]));
    expect(a.input.ctSeriesInstanceUid).not.toBeNull();
    expect(b.input.ctSeriesInstanceUid).toBeNull();
    expect(a.constraints).toBeDefined();
    expect(b.constraints).toBeUndefined();
    expect(b.schedule).toBeUndefined();
    expect(b.structures.every((s) => s.plannedEqd2 === undefined)).toBe(true);
    // One note, on standard error and in the report, naming the option that would run the checks.
    expect(b.notes).toHaveLength(1);
    expect(b.notes[0]).toMatch(/constraint checks, EQD2 and delivered-dose figures skipped: .*no RT Plan here.*give --fractions-planned N/);
    expect(alone.err.match(/--fractions-planned/g)).toHaveLength(1);
    expect(alone.err).not.toMatch(/warning/);
    expect(readFileSync(join(out, 'report.md'), 'utf8').match(/--fractions-planned/g)).toHaveLength(1);
    expect(readFileSync(join(out, 'report.html'), 'utf8').match(/--fractions-planned/g)).toHaveLength(1);
  });

  it('uses the between-planes model asked for, says which in every report, and refuses an unknown one', async () => {
    type Report = { conventions: string[]; structures: (ReportStructure & { sampling: { betweenPlanes: string } })[] };
    const runs: Record<string, Report> = {};
    for (const model of ['auto', 'interpolated', 'slab']) {
      const out = mkdtempSync(join(tmpdir(), 'lattice-eval-out-'));
      const args = ['evaluate', rtOnly, '--json', '--out', out, ...(model === 'auto' ? [] : ['--between-planes', model])];
      const r = await lattice(args);
      expect(r.code, r.err).toBe(0);
      const report = JSON.parse(r.out) as Report;
      runs[model] = report;
      expect(report.conventions.some((c) => c.startsWith(`Between contour planes: ${model}`))).toBe(true);
      for (const f of ['report.md', 'report.html']) expect(readFileSync(join(out, f), 'utf8')).toContain(`Between contour planes: ${model}`);
    }
    const modelOf = (m: string, name: string): string => runs[m]!.structures.find((st) => st.name === name)!.sampling.betweenPlanes;
    for (const m of ['interpolated', 'slab']) expect(runs[m]!.structures.every((st) => st.sampling.betweenPlanes === m)).toBe(true);
    // The default: interpolated for the 1.8 cc spheres (under 20 cc), slab for the 180 cc liver.
    expect(modelOf('auto', 'Sphere_1')).toBe('interpolated');
    expect(modelOf('auto', 'Liver')).toBe('slab');
    // The spheres, contoured from voxel masks on 2.5 mm planes, curve along the slice axis: the two
    // models give them different volumes.
    const vol = (m: string): number => runs[m]!.structures.find((st) => st.name === 'Sphere_1')!.volumeCc;
    expect(vol('auto')).toBe(vol('interpolated'));
    expect(Math.abs(vol('interpolated') - vol('slab'))).toBeGreaterThan(1e-3);
    await expect(lattice(['evaluate', rtOnly, '--between-planes', 'spline', '--out', mkdtempSync(join(tmpdir(), 'lattice-eval-out-'))])).rejects.toThrow(
      /--between-planes <model>' argument 'spline' is invalid\. Allowed choices are auto, interpolated, slab/,
    );
  });

  it('asks for --fractions-planned when an option or the dose needs the fraction count', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lattice-eval-out-'));
    const c = await lattice(['evaluate', rtOnly, '--constraints', 'tg101-5fx', '--out', out]);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/InputError: --constraints needs the number of planned fractions \(no RT Plan here\); give --fractions-planned/);
    const d = await lattice(['evaluate', rtOnly, '--fractions-delivered', '2', '--out', out]);
    expect(d.err).toMatch(/--fractions-delivered needs the number of planned fractions/);
    const perFraction = join(out, 'fraction.dcm');
    const dose = readRtDose(written.rtdoseFile);
    writeRtDose({ ...dose, seriesInstanceUid: `${dose.seriesInstanceUid}.8`, summationType: 'FRACTION' }, perFraction, { referencedFractionGroupNumber: 1 });
    const f = await lattice(['evaluate', rtOnly, '--dose', perFraction, '--out', out]);
    expect(f.err).toMatch(/a dose of summation type FRACTION \(to make the planned total\) needs the number of planned fractions/);
    // With the count, the same per-fraction dose is the planned total / 5: every dose figure x 5.
    const total = await lattice(['evaluate', rtOnly, '--fractions-planned', '5', '--json', '--out', out]);
    const fx = await lattice(['evaluate', rtOnly, '--dose', perFraction, '--fractions-planned', '5', '--json', '--out', out]);
    expect(fx.code, fx.err).toBe(0);
    const t = JSON.parse(total.out) as { structures: ReportStructure[] };
    const p = JSON.parse(fx.out) as { structures: ReportStructure[] };
    t.structures.forEach((s, i) => expect(p.structures[i]!.planned.meanGy / s.planned.meanGy).toBeCloseTo(5, 4));
  });
});

describe.runIf(have(TOOLS.dicompylercore))('DVH against dicompyler-core', () => {
  it('agrees on volume and mean dose within the stated convention differences', () => {
    // dicompyler-core: dose-grid voxel centres tested in plane, each plane a slab as thick as the
    // smallest plane gap, dose at voxel centres (no in-plane interpolation), 1 cGy bins, histogram
    // rescaled to the contour volume. lattice-rt: exact partial-volume area in plane, the same slab
    // per plane here (uniform 2.5 mm planes, end caps of half a gap), dose interpolated and spread over
    // each sampling box. Contours follow CT voxel edges (marching squares cuts the corners) and the
    // dose shares the CT grid, so volumes agree to the corner cuts (ours is the polygons' exact
    // area: -2.2 % on the 15 mm spheres, -0.4 % on the 34 cc GTV) and means to the sampling: on the
    // spheres, whose dose is a Gaussian peak (σ 4 mm) on 2.5 mm voxels, trilinear interpolation
    // between voxel centres reads the concave peak low, so our mean is 1.7 % under the voxel-centre mean.
    const script = [
      'import json, sys',
      'from dicompylercore import dicomparser, dvhcalc',
      'rtss = dicomparser.DicomParser(sys.argv[1])',
      'out = {}',
      'for n, s in rtss.GetStructures().items():',
      '    d = dvhcalc.get_dvh(sys.argv[1], sys.argv[2], n)',
      "    out[s['name']] = {'volume': float(d.volume), 'mean': float(d.mean), 'max': float(d.max)}",
      'print(json.dumps(out))',
    ].join('\n');
    const r = runTool(TOOLS.dicompylercore.command, ['-c', script, written.rtstructFile, written.rtdoseFile]);
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as Record<string, { volume: number; mean: number; max: number }>;
    // Both tools read the same two files, RTSTRUCT and RTDOSE, and nothing else (no CT, no plan).
    return lattice(['evaluate', rtOnly, '--json', '--out', mkdtempSync(join(tmpdir(), 'lattice-eval-dp-'))]).then((res) => {
      const ours = JSON.parse(res.out) as { structures: { name: string; volumeCc: number; planned: { meanGy: number } }[] };
      const rows = ours.structures.map((s) => ({ name: s.name, ours: s, theirs: theirs[s.name]! }));
      for (const { name, ours: o, theirs: t } of rows) {
        expect(t, name).toBeDefined();
        const big = o.volumeCc > 10;
        expect(Math.abs(o.volumeCc / t.volume - 1), `${name} volume ${o.volumeCc} vs ${t.volume}`).toBeLessThan(big ? 0.03 : 0.08);
        expect(Math.abs(o.planned.meanGy / t.mean - 1), `${name} mean ${o.planned.meanGy} vs ${t.mean}`).toBeLessThan(big ? 0.02 : 0.05);
      }
      console.log(rows.map((x) => `${x.name}: volume ${x.ours.volumeCc.toFixed(3)} vs ${x.theirs.volume.toFixed(3)} cc, mean ${x.ours.planned.meanGy.toFixed(3)} vs ${x.theirs.mean.toFixed(3)} Gy`).join('\n'));
    });
  });
});
