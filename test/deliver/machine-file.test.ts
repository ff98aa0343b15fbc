/**
 * Delivery machine files: the shipped Elekta Agility, and the FormatErrors of malformed files.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FormatError, InputError } from '../../src/core/errors.js';
import { listMachines, loadMachine, shippedMachinesDir } from '../../src/deliver/machine-file.js';
import type { LinacMachine } from '../../src/deliver/machine.js';

const dir = mkdtempSync(join(tmpdir(), 'lattice-machine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const agilityFile = (): string => join(shippedMachinesDir(), 'elekta-agility.yaml');
const agilityRaw = (): Record<string, any> => parseYaml(readFileSync(agilityFile(), 'utf8')) as Record<string, any>;

/** Write a modified copy of the shipped Agility file (as JSON) and return its path. */
function variant(name: string, edit: (m: Record<string, any>) => void): string {
  const m = agilityRaw();
  edit(m);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(m));
  return file;
}

function expectFormatError(file: string, ...fragments: string[]): void {
  let caught: unknown;
  try {
    loadMachine(file);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FormatError);
  const message = (caught as Error).message;
  expect(message).toContain(file);
  for (const f of fragments) expect(message).toContain(f);
}

/** Dotted paths of every figure (number, boolean, range, boundary list) of a loaded machine. */
function figurePaths(m: LinacMachine): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string[]): void => {
    if (typeof node === 'number' || typeof node === 'boolean' || node instanceof Float64Array || Array.isArray(node) && typeof node[0] === 'number') {
      out.push(path.join('.'));
      return;
    }
    if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  const { sources: _sources, name: _n, manufacturer: _m, model: _mo, ...figures } = m;
  walk(figures, []);
  return out;
}

describe('the shipped Elekta Agility', () => {
  it('is listed and loads by its name and by its file name', () => {
    expect(listMachines()).toContain('agility');
    const m = loadMachine('agility');
    expect(m.name).toBe('agility');
    expect(loadMachine('elekta-agility')).toEqual(m);
    expect(loadMachine(agilityFile())).toEqual(m);
  });

  it('has 80 MLCX pairs of 5 mm: 81 boundaries -200, -195, ..., +200 mm', () => {
    const m = loadMachine('agility');
    expect(m.mlc.deviceType).toBe('MLCX');
    expect(m.mlc.leafPairs).toBe(80);
    const b = m.mlc.leafBoundariesMm;
    expect(b.length).toBe(81);
    for (let k = 0; k <= 80; k++) expect(b[k]).toBeCloseTo(-200 + 5 * k, 9);
  });

  it('has Y diaphragms only (the MLC acts as X jaws), interdigitation, 0.4 % transmission, 35 mm/s leaves (vmat.md section 1)', () => {
    const m = loadMachine('agility');
    expect(m.jaws.map((j) => j.deviceType)).toEqual(['ASYMY']);
    expect(m.mlc.interdigitation).toBe(true);
    expect(m.mlc.transmission).toBeCloseTo(0.004, 9);
    expect(m.mlc.leafSpeedMmPerS).toBe(35);
    expect(m.gantry.maxSpeedDegPerS).toBe(6);
    expect(m.sadMm).toBe(1000);
  });

  it('names a source for every figure, either a cited reference or an assumption', () => {
    for (const name of listMachines()) {
      const m = loadMachine(name);
      const paths = figurePaths(m);
      expect(paths).toContain('mlc.leafSpeedMmPerS');
      expect(paths).toContain('jaws.0.speedMmPerS');
      for (const p of paths) {
        const s = m.sources[p];
        expect(s, `${name}: figure ${p} has no source`).toBeDefined();
        expect(s!, `${name}: figure ${p}`).toMatch(/^assumption: |\[[A-Za-z0-9_-]+\] \S/u);
      }
    }
  });

  it('resolves a cited reference into the full citation', () => {
    const s = loadMachine('agility').sources['mlc.leafSpeedMmPerS']!;
    expect(s).toContain('3.5 cm/s');
    expect(s).toContain('Bedford');
    expect(s).toContain('https://');
  });

  it('writes every figure of the shipped file as a { value, source } pair (checked on the raw YAML)', () => {
    const bare: string[] = [];
    const walk = (node: unknown, path: string[]): void => {
      if (typeof node === 'number' || typeof node === 'boolean') bare.push(path.join('.'));
      else if (node !== null && typeof node === 'object') {
        if ('value' in node && 'source' in node) return;
        for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
      }
    };
    walk(agilityRaw(), []);
    expect(bare).toEqual([]);
  });
});

describe('malformed machine files', () => {
  it('refuses decreasing leaf boundaries, naming the boundary', () => {
    const file = variant('decreasing', (m) => {
      const b = Array.from({ length: 81 }, (_, k) => -200 + 5 * k);
      [b[10], b[11]] = [b[11]!, b[10]!];
      m.mlc.leafBoundariesMm.value = b;
    });
    expectFormatError(file, "field 'mlc.leafBoundariesMm.value.11'", 'strictly increasing');
  });

  it('refuses boundaries whose count is not leafPairs + 1', () => {
    const file = variant('count', (m) => {
      m.mlc.leafBoundariesMm.value = { pairs: 79, widthMm: 5 };
    });
    expectFormatError(file, "field 'mlc.leafBoundariesMm.value'", 'expected 81 boundaries for 80 leaf pairs', 'found 80');
  });

  it('refuses a figure without its source', () => {
    const file = variant('no-source', (m) => {
      delete m.mlc.leafSpeedMmPerS.source;
    });
    expectFormatError(file, "field 'mlc.leafSpeedMmPerS.source'", 'expected a source');
  });

  it('refuses a bare figure (no { value, source } pair)', () => {
    const file = variant('bare', (m) => {
      m.gantry.maxSpeedDegPerS = 6;
    });
    expectFormatError(file, "field 'gantry.maxSpeedDegPerS'", 'expected { value, source }');
  });

  it('refuses a transmission of 1.2', () => {
    const file = variant('transmission', (m) => {
      m.mlc.transmission.value = 1.2;
    });
    expectFormatError(file, "field 'mlc.transmission.value'", 'expected a fraction in [0, 1), found 1.2');
  });

  it('refuses a reversed range, a non-positive speed and a minimum dose rate above the maximum', () => {
    expectFormatError(variant('range', (m) => (m.jaws[0].positionRangeMm.value = [200, -200])), "field 'jaws.0.positionRangeMm.value'", 'low < high');
    expectFormatError(variant('speed', (m) => (m.mlc.leafSpeedMmPerS.value = 0)), "field 'mlc.leafSpeedMmPerS.value'", 'positive');
    expectFormatError(variant('rate', (m) => (m.doseRate.minMuPerMin.value = 700)), "field 'doseRate.minMuPerMin.value'", '600 MU/min');
  });

  it('refuses a source citing a reference the file does not define', () => {
    const file = variant('reference', (m) => {
      m.sadMm.source = '[NOWHERE] a paper';
    });
    expectFormatError(file, "field 'sadMm.source'", '[NOWHERE]');
  });

  it('refuses a file that is not YAML', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'mlc: [unclosed\n');
    expectFormatError(file, 'not valid YAML');
  });

  it('refuses an unknown machine name, listing the shipped ones', () => {
    expect(() => loadMachine('no-such-linac')).toThrow(InputError);
    expect(() => loadMachine('no-such-linac')).toThrow(/agility.*'no-such-linac'/u);
  });
});
