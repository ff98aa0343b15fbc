/**
 * Options that make no sense are refused with one line naming the option, the value and the
 * reason (issue 11): numbers not in decimal notation, spheres smaller than the CT can resolve, a
 * valley margin that leaves no valley, empty or over-long ROI names, rotation searches too fine or
 * too large to finish in reasonable time.
 */

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../cli/main.js';
import { decimalNumber, fraction, nonNegativeNumber, positiveNumber, roiName } from '../../cli/options.js';
import { readStructureSet } from '../../src/io/dicom/read/rtstruct.js';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  const writeOut = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  try {
    const code = await main(['node', 'lattice', ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
    writeOut.mockRestore();
  }
}

/** The first line of what was printed on stderr (commander appends the usage after its own errors). */
const firstLine = (err: string): string => err.trim().split('\n')[0]!;

let dir: string;
let caseDir: string;
/** The phantom's voxel spacing (isotropic), mm. */
let voxelMm: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-options-'));
  caseDir = join(dir, 'phantom');
  const phantom = buildSeedPhantom();
  writePhantom(caseDir, phantom, 'dicom');
  const [sx, sy, sz] = phantom.grid.spacingMm;
  expect(sx).toBe(sy);
  expect(sy).toBe(sz);
  voxelMm = sx;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('number options take plain decimal numbers only', () => {
  it('reads decimal notation, with sign, fraction and exponent', () => {
    const cases: [string, number][] = [['15', 15], ['2.5', 2.5], ['.5', 0.5], ['5.', 5], ['+3', 3], ['1e1', 10], ['1.5E-3', 0.0015], [' 7 ', 7]];
    for (const [text, value] of cases) expect(decimalNumber('--x', text), text).toBe(value);
    expect(positiveNumber('--spacing')('1e1')).toBe(10);
    expect(nonNegativeNumber('--inset')('0')).toBe(0);
    expect(fraction('--partial-min')('0.25')).toBe(0.25);
  });

  it('refuses hexadecimal, binary, octal, empty, blank, Infinity, NaN, overflow and digit separators, naming option and value', () => {
    // Number() reads the first five as 16, 3, 15, 0 and 0: each would pass silently as a length.
    for (const text of ['0x10', '0b11', '0o17', '', '   ', 'Infinity', '-Infinity', 'NaN', '1e400', '1_000', '10mm', '1e', '.']) {
      for (const parse of [positiveNumber('--spacing'), nonNegativeNumber('--spacing'), fraction('--spacing')]) {
        expect(() => parse(text), text).toThrow(InvalidArgumentError);
        expect(() => parse(text), text).toThrow(`--spacing expects a decimal number (e.g. 2.5 or 1e1), found '${text}'`);
      }
    }
  });

  it('lattice place --spacing 0x10 is refused in one line and writes nothing', async () => {
    const out = join(dir, 'hex');
    const r = await run('place', caseDir, '--target', 'GTV', '--spacing', '0x10', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(firstLine(r.err)).toBe(
      "lattice: error: --spacing expects a decimal number (e.g. 2.5 or 1e1), found '0x10' (see lattice place --help)",
    );
    expect(existsSync(out)).toBe(false);
  });

  it('every number option of place refuses a hexadecimal value, and so do the commands sharing the parser', async () => {
    const place = ['--diameter', '--spacing', '--plane-spacing', '--inset', '--oar-clearance', '--partial-min', '--rotation-step', '--boost-gy', '--valley-margin'];
    for (const option of place) {
      const r = await run('place', caseDir, '--target', 'GTV', option, '0x1', '--out', join(dir, 'hex2'));
      expect(r.code, option).toBe(1);
      expect(firstLine(r.err), option).toMatch(new RegExp(`${option} expects a decimal number .*found '0x1' \\(see lattice place --help\\)$`));
    }
    const ring = await run('place', caseDir, '--target', 'GTV', '--ring', '0x1,10', '--out', join(dir, 'hex2'));
    expect(firstLine(ring.err)).toMatch(/--ring expects INNER,OUTER in mm with 0 <= INNER < OUTER, found '0x1,10' \(see lattice place --help\)$/);
    const phantom = await run('phantom', '--voxel', '0x2', '--out', join(dir, 'hex3'));
    expect(phantom.code).toBe(1);
    expect(firstLine(phantom.err)).toMatch(/--voxel expects a decimal number .*found '0x2' \(see lattice phantom --help\)$/);
  });
});

describe('lattice place refuses spheres the CT cannot resolve', () => {
  it('--diameter 0.3 on the 2.5 mm phantom is refused before placing, naming the CT spacing and the smallest diameter', async () => {
    const out = join(dir, 'tiny');
    const r = await run('place', caseDir, '--target', 'GTV', '--diameter', '0.3', '--out', out);
    expect(r.code).toBe(1);
    // Two voxels of the CT: 2 x 2.5 mm = 5 mm.
    expect(r.err.trim()).toBe(
      `lattice: InputError: --diameter 0.3 mm is smaller than 2 voxels of the CT (pixel spacing ${voxelMm} mm, so at least ${2 * voxelMm} mm): spheres would not be resolved`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a diameter of exactly two voxels and a 64-character union name are accepted and written', async () => {
    const out = join(dir, 'two-voxels');
    const name = `PTV_${'x'.repeat(60)}`;
    expect(name).toHaveLength(64);
    const r = await run('place', caseDir, '--target', 'GTV', '--diameter', String(2 * voxelMm), '--union-name', name, '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(readStructureSet(join(out, 'RTSTRUCT.dcm')).structures.map((s) => s.name)).toContain(name);
  });
});

describe('lattice place refuses a valley margin that leaves no valley', () => {
  it('--valley-margin 1e6 is refused naming the option, and nothing is written', async () => {
    const out = join(dir, 'no-valley');
    const r = await run('place', caseDir, '--target', 'GTV', '--valley-margin', '1e6', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe(
      'lattice: InputError: --valley-margin 1000000 mm: the valley Valley_GTV (the target minus the spheres grown by 1000000 mm) would be empty; use a smaller margin',
    );
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });
});

describe('ROI names written by lattice place', () => {
  it('refuses an empty, blank or over-long name, a backslash and control characters; keeps a valid one as given', () => {
    const parse = roiName('--union-name');
    expect(() => parse('')).toThrow("--union-name expects an ROI name, found an empty one ('')");
    expect(() => parse('   ')).toThrow("--union-name expects an ROI name, found an empty one ('   ')");
    const long = 'P'.repeat(65);
    expect(() => parse(long)).toThrow(`--union-name expects an ROI name of at most 64 characters (DICOM LO), found 65: '${long}'`);
    expect(() => parse('PTV\\6670')).toThrow(/without backslash or control characters/);
    expect(() => parse('PTV\n6670')).toThrow(/without backslash or control characters/);
    expect(parse('PTV 66.7 Gy')).toBe('PTV 66.7 Gy');
    expect(parse('Ü'.repeat(64))).toBe('Ü'.repeat(64));
  });

  it("lattice place --union-name '' is refused in one line and writes nothing", async () => {
    for (const name of ['', ' ', 'U'.repeat(65)]) {
      const out = join(dir, 'unnamed');
      const r = await run('place', caseDir, '--target', 'GTV', '--union-name', name, '--out', out);
      expect(r.code, JSON.stringify(name)).toBe(1);
      expect(firstLine(r.err)).toMatch(/^lattice: error: --union-name expects an ROI name/);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('rotation search size', () => {
  // The seed pattern with 60 mm spacing and planes 30 mm apart: cell vectors (60, 0, 0), (0, 60, 0)
  // and (30, 30, 30) mm, refined to 1 mm steps: 60 x 60 x 30 offsets per rotation; it repeats
  // itself after a quarter turn, so a step s searches 90 / s rotations.
  const offsets = 60 * 60 * 30;

  it('--rotation-step 0.001 is refused at once with the size of the search', async () => {
    const t0 = performance.now();
    const r = await run('place', caseDir, '--target', 'GTV', '--rotation-step', '0.001', '--out', join(dir, 'fine'));
    expect(r.code).toBe(1);
    const rotations = 90 / 0.001;
    const layouts = '9.72e9'; // 90000 x 108000 = 9 720 000 000
    expect(r.err.trim()).toBe(
      `lattice: InputError: --rotation-step 0.001 deg searches ${rotations} rotations x ${offsets} offsets (${layouts} layouts): ` +
        'a step under 0.5 deg moves a vertex less than the 1 mm translation step within 115 mm of the pivot, so it adds no distinct layouts; use a step of at least 0.5 deg',
    );
    expect(performance.now() - t0).toBeLessThan(5_000);
    const r2 = await run('place', caseDir, '--target', 'GTV', '--rotation-step', '0.4', '--out', join(dir, 'fine'));
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/--rotation-step 0\.4 deg searches 225 rotations x 108000 offsets/);
  });

  it('a search over a large target beyond 1e9 candidate positions is refused with the estimate and a coarser step', async () => {
    const body = readStructureSet(join(caseDir, 'RTSTRUCT.dcm')).structures.find((s) => s.name === 'BODY')!;
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (const c of body.contours) {
      for (let n = 0; n < c.pointsLps.length; n += 3) {
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a]!, c.pointsLps[n + a]!);
          hi[a] = Math.max(hi[a]!, c.pointsLps[n + a]!);
        }
      }
    }
    // Centres whose sphere can touch BODY: its box grown by the radius (7.5 mm) and half a voxel
    // diagonal; one refined position per mm^3 (offsets per cell volume 60 x 60 x 30 mm^3).
    const grow = 7.5 + 0.5 * Math.sqrt(3) * voxelMm;
    const perRotation = (hi[0]! - lo[0]! + 2 * grow) * (hi[1]! - lo[1]! + 2 * grow) * (hi[2]! - lo[2]! + 2 * grow);
    const positions = 180 * perRotation;
    expect(positions).toBeGreaterThan(1e9);
    const r = await run('place', caseDir, '--target', 'BODY', '--rotation-step', '0.5', '--out', join(dir, 'big'));
    expect(r.code).toBe(1);
    const m = /about ([\d.]+e\d+) candidate positions to classify, more than the limit of 1e9 \(about a minute\); use a step of at least ([\d.]+) deg$/.exec(r.err.trim());
    expect(m, r.err).not.toBeNull();
    // The estimate is printed to three significant digits.
    expect(Math.abs(Number(m![1]) / positions - 1)).toBeLessThan(0.005);
    // The suggested step (rounded up to 0.1 deg) keeps the search within the limit, and 0.1 deg finer would not.
    const step = Number(m![2]);
    expect(Math.ceil(90 / step) * perRotation).toBeLessThanOrEqual(1e9 * 1.001);
    expect(Math.ceil(90 / (step - 0.1)) * perRotation).toBeGreaterThan(1e9);
    expect(r.err).toMatch(/^lattice: InputError: --rotation-step 0\.5 deg searches 180 rotations x 108000 offsets \(1\.94e7 layouts\) over target "BODY"/);
  });

  it('a search of a few seconds runs and is announced on stderr with its size, then shows its progress there', async () => {
    const r = await run('place', caseDir, '--target', 'GTV', '--rotation-step', '5', '--out', join(dir, 'rot5'));
    expect(r.code, r.err).toBe(0);
    const lines = r.err.trim().split('\n').filter((l) => l !== '');
    expect(lines[0]).toMatch(/^lattice place: --rotation-step 5 deg searches 18 rotations x 108000 offsets \(1\.94e6 layouts\), about [\d.]+e7 candidate positions; this may take a while$/);
    // Not a terminal: a progress line at each tenth of the 18 rotations (2, 4, 6, 8, 9, 11, 13, 15, 17, 18), and the first.
    const done = lines.slice(1).map((l) => Number(/^lattice place: rotation (\d+)\/18 searched/.exec(l)?.[1]));
    expect(done).toEqual([1, 2, 4, 6, 8, 9, 11, 13, 15, 17, 18]);
    expect(r.out).not.toMatch(/lattice place: rotation/);
  });
});

describe('lattice plan delivery options', () => {
  it('refuses an unknown delivery, a machine without --delivery vmat and a machine file that does not exist, before reading the case', async () => {
    const out = join(dir, 'plan-delivery');
    let r = await run('plan', caseDir, '--out', out, '--delivery', 'tomo');
    expect(r.code).toBe(1);
    expect(firstLine(r.err)).toMatch(/--delivery.*tomo.*fluence, vmat, imrt/);
    r = await run('plan', caseDir, '--out', out, '--machine', 'agility', '--delivery', 'fluence');
    expect(r.code).toBe(1);
    expect(firstLine(r.err)).toMatch(/--machine applies to --delivery vmat or imrt/);
    // a template whose delivery is fluence (imrt) refuses a machine too, before reading the case
    r = await run('plan', caseDir, '--out', out, '--template', 'imrt', '--machine', 'agility');
    expect(r.code).toBe(1);
    expect(firstLine(r.err)).toMatch(/delivery machine applies to VMAT or IMRT delivery/);
    r = await run('plan', caseDir, '--out', out, '--delivery', 'vmat', '--machine', join(dir, 'no-such-machine.yaml'));
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/no-such-machine\.yaml/);
    expect(existsSync(join(out, 'RTPLAN.dcm'))).toBe(false);
  });
});

describe('lattice --version', () => {
  it('prints the package version with no command loaded; help still lists every command', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const written: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
      let code: number;
      try {
        code = await main(['node', 'lattice', flag]);
      } finally {
        spy.mockRestore();
      }
      expect(code).toBe(0);
      expect(written.join('')).toBe(`${version}\n`);
      expect((await buildProgram(() => undefined, flag)).commands).toHaveLength(0);
    }
    expect((await buildProgram(() => undefined, 'evaluate')).commands.map((c) => c.name())).toEqual(['evaluate']);
    expect((await buildProgram(() => undefined, '--help')).commands.map((c) => c.name())).toEqual(
      ['demo', 'phantom', 'info', 'place', 'plan', 'evaluate', 'dose', 'check-plan', 'course', 'view'],
    );
  });
});
