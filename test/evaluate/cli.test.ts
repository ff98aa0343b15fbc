import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
beforeAll(() => {
  written = writeEvaluationCase(mkdtempSync(join(tmpdir(), 'lattice-eval-case-')));
});
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
    return lattice(['evaluate', written.dir, '--fractions-planned', '5', '--json', '--out', mkdtempSync(join(tmpdir(), 'lattice-eval-dp-'))]).then((res) => {
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
