/**
 * Four `lattice place` processes writing into the same --out at once (issue 10 §6): every run ends
 * with exit code 0 (or a clean refusal naming the other run), and the folder then holds the
 * RTSTRUCT and the vertices.json of one and the same run: the SOP Instance UID that vertices.json
 * records is the one in RTSTRUCT.dcm. The four runs differ only in the union ROI's name, so they
 * take the same time (finishing together, as in the report) and write different RTSTRUCTs (the UID
 * derives from the new ROIs).
 *
 * The CLI runs as real processes: the TypeScript source is bundled once with esbuild (a dev
 * dependency), so no `npm run build` is needed. Measured with a shell loop over the same four runs
 * on a 2-core machine: before the fix 2 of 20 rounds left a mismatched pair, after it 0 of 20 (and
 * 0 of 20 here with LATTICE_RACE_ROUNDS=20). A round costs about 2.3 s, so the default is 4 rounds;
 * the exact interleaving of the race is replayed deterministically in test/io/output-folder.test.ts.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readStructureSet } from '../../src/io/dicom/read/rtstruct.js';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';
import { bundleCli } from '../helpers/bundle.js';

const ROUNDS = Number(process.env.LATTICE_RACE_ROUNDS ?? 4);

let dir: string;
let bundle: string;
let caseDir: string;

let removeBundle: () => void;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-place-race-'));
  ({ bundle, remove: removeBundle } = await bundleCli('place-race'));
  caseDir = join(dir, 'case');
  writePhantom(caseDir, buildSeedPhantom({ voxelSizeMm: 10 }), 'dicom');
}, 60_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeBundle();
});

function lattice(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.on('error', fail);
    p.on('close', (code) => done({ code, err }));
  });
}

describe('concurrent lattice place into one folder', () => {
  test(`${ROUNDS} rounds of four runs: RTSTRUCT and vertices.json always from the same run`, async () => {
    let refusals = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const out = join(dir, `out-${round}`);
      const names = ['PTV_A', 'PTV_B', 'PTV_C', 'PTV_D'];
      const runs = await Promise.all(names.map((u) => lattice(['place', caseDir, '--target', 'GTV', '--diameter', '20', '--union-name', u, '--out', out])));
      for (const r of runs) {
        if (r.code === 0) continue;
        // the only acceptable failure: a clean refusal while another run holds the folder
        expect(r.code, r.err).toBe(1);
        expect(r.err.trim()).toMatch(new RegExp(`^lattice: FormatError: output folder ${out} is being written by another lattice run \\(pid \\d+`));
        refusals++;
      }
      expect(runs.some((r) => r.code === 0)).toBe(true);
      const audit = JSON.parse(readFileSync(join(out, 'vertices.json'), 'utf8')) as { rtstructSopInstanceUid: string | null };
      const rtstruct = readStructureSet(join(out, 'RTSTRUCT.dcm'));
      expect(audit.rtstructSopInstanceUid, `round ${round + 1}`).toBe(rtstruct.sopInstanceUid);
      // the union in the RTSTRUCT is that run's: exactly one of the four names
      expect(rtstruct.structures.filter((s) => names.includes(s.name))).toHaveLength(1);
      // no staging folder or lock left behind
      expect(readdirSync(out).filter((n) => n !== '.lattice-outputs.json').sort()).toEqual(['RTSTRUCT.dcm', 'vertices.json']);
    }
    if (process.env.DOSE_REPORT || process.env.RACE_REPORT) console.log(`${ROUNDS} rounds, ${refusals} refusals`);
  }, 30_000 + ROUNDS * 15_000);
});
