/**
 * The bundled command line (scripts/build-cli.mjs: what bin/lattice.js runs) against the CLI run from
 * its TypeScript sources: the same report from a real process, and the worker threads' entries where
 * src/core/worker-spawn.ts looks for them (beside the calling module, which in the bundle is any of its
 * files). A worker whose entry is missing does not fail the command (its tasks are computed by the
 * caller), so the entries are checked directly: each name that the sources pass to spawnWorker is a
 * module of the bundle exporting runWorker.
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../helpers/bundle.js';
import { runLattice } from '../helpers/cli.js';
import { writeEvaluationCase, type WrittenEvaluationCase } from '../evaluate/dicom-case.js';

const run = promisify(execFile);

let dir: string;
let bundle: string;
let removeBundle: () => void;
let written: WrittenEvaluationCase;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-bundle-'));
  ({ bundle, remove: removeBundle } = await bundleCli('bundle-check'));
  written = writeEvaluationCase(join(dir, 'case'));
}, 60_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeBundle?.();
});

/** The worker entry names the sources start threads on: spawnWorker(import.meta.url, 'NAME', ...). */
function spawnedWorkerNames(): string[] {
  const names = new Set<string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/spawnWorker\(\s*import\.meta\.url,\s*'([^']+)'/g)) names.add(m[1]!);
      }
    }
  };
  walk(fileURLToPath(new URL('../../src', import.meta.url)));
  return [...names].sort();
}

describe('the bundled CLI', () => {
  it('writes the report the sources write (a real process, the DVH pool on 2 threads)', async () => {
    const args = ['evaluate', written.dir, '--fractions-planned', '5', '--fractions-delivered', '2'];
    const fromSources = await runLattice(...args, '--threads', '1', '--out', join(dir, 'from-sources'));
    expect(fromSources.code, fromSources.err).toBe(0);
    await run(process.execPath, [bundle, ...args, '--threads', '2', '--out', join(dir, 'bundled')], { encoding: 'utf8' });
    const report = readFileSync(join(dir, 'bundled', 'report.json'), 'utf8');
    expect(report).toBe(readFileSync(join(dir, 'from-sources', 'report.json'), 'utf8'));
    expect((JSON.parse(report) as { structures: unknown[] }).structures.length).toBeGreaterThanOrEqual(5);
  });

  it('holds an entry exporting runWorker for every worker the sources start', async () => {
    const names = spawnedWorkerNames();
    expect(names).toEqual(['dvh-worker', 'worker']);
    const folder = join(bundle, '..', 'bundle');
    for (const name of names) {
      const file = join(folder, `${name}.js`);
      expect(existsSync(file), file).toBe(true);
      const m = (await import(pathToFileURL(file).href)) as { runWorker?: unknown };
      expect(typeof m.runWorker, name).toBe('function');
    }
  });
});
