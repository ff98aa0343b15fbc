/**
 * Output folders (src/io/atomic.ts): one-line typed errors naming the path for a file in the way or
 * a folder that cannot be written, and one run's set of files moved into place together under a
 * lock (issue 10 §6).
 *
 * Expected values: the file-system facts each test sets up (which file is where, which process is
 * alive); the interleaving test replays the order of writes of the reported race (run A writes its
 * RTSTRUCT, run B writes both files, run A writes its vertices.json), which without staging leaves
 * B's RTSTRUCT beside A's vertices.json.
 */

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { checkOutputFolder, removeWrittenFile, withOutputFolder, writeFileAtomic } from '../../src/io/atomic.js';

let root: string;
let n = 0;
const fresh = (): string => {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
};
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'lattice-out-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function caught(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/** The folder's entries, hidden ones included (but not the manifest of lattice's own files), sorted. */
const entries = (d: string): string[] => readdirSync(d).filter((n) => n !== '.lattice-outputs.json').sort();

describe('output folder checks', () => {
  test('an existing file as the folder: FormatError of one line naming it', () => {
    const file = join(fresh(), 'report');
    writeFileSync(file, 'x');
    const e = caught(() => checkOutputFolder(file));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe(`output folder ${file}: exists and is a file, not a folder`);
  });

  test('a folder under a file (ENOTDIR): names the file in the way', () => {
    const file = join(fresh(), 'f');
    writeFileSync(file, 'x');
    const e = caught(() => checkOutputFolder(join(file, 'a', 'b')));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe(`output folder ${join(file, 'a', 'b')}: cannot be created: ${file} is a file, not a folder`);
    expect(e.message).not.toMatch(/\n/);
  });

  test.skipIf(isRoot)('a folder without write permission (EACCES): names it, with the cause', () => {
    const d = fresh();
    chmodSync(d, 0o555);
    try {
      const e = caught(() => checkOutputFolder(d));
      expect(e.message).toBe(`output folder ${d}: cannot be written: permission denied (EACCES)`);
      expect((e.cause as NodeJS.ErrnoException).code).toBe('EACCES');
      const sub = caught(() => checkOutputFolder(join(d, 'new')));
      expect(sub.message).toBe(`output folder ${join(d, 'new')}: cannot be created in ${d}: permission denied (EACCES)`);
    } finally {
      chmodSync(d, 0o755);
    }
  });

  test('checking creates nothing', () => {
    const d = fresh();
    checkOutputFolder(join(d, 'a', 'b'));
    expect(entries(d)).toEqual([]);
  });

  test('writeFileAtomic under a file: the real error (the file in the way), not the clean-up failure', () => {
    const file = join(fresh(), 'f');
    writeFileSync(file, 'x');
    const target = join(file, 'out.json');
    const e = caught(() => writeFileAtomic(target, '{}'));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe(`could not write ${target}: ${file} is a file, not a folder (file ${target})`);
    expect(e.message).not.toMatch(/\.tmp/);
    expect(['ENOTDIR', 'EEXIST']).toContain((e.cause as NodeJS.ErrnoException).code);
  });
});

describe('one run, one set of files', () => {
  test('a run\'s files appear only when it has succeeded, all of them; no staging or lock left', () => {
    const d = join(fresh(), 'out');
    withOutputFolder(d, () => {
      writeFileAtomic(join(d, 'a.txt'), 'A');
      writeFileAtomic(join(d, 'CT', 'b.txt'), 'B');
      expect(existsSync(d) ? entries(d).filter((x) => !x.startsWith('.')) : []).toEqual([]);
    });
    expect(entries(d)).toEqual(['CT', 'a.txt']);
    expect(readFileSync(join(d, 'CT', 'b.txt'), 'utf8')).toBe('B');
  });

  test('a failing run leaves the folder as it was and its own error propagates', () => {
    const d = fresh();
    writeFileSync(join(d, 'a.txt'), 'old');
    const boom = new Error('computation failed');
    const e = caught(() =>
      withOutputFolder(d, () => {
        writeFileAtomic(join(d, 'a.txt'), 'new');
        throw boom;
      }),
    );
    expect(e).toBe(boom);
    expect(entries(d)).toEqual(['a.txt']);
    expect(readFileSync(join(d, 'a.txt'), 'utf8')).toBe('old');
  });

  test('the reported interleaving (A: RTSTRUCT; B: both; A: vertices) ends with one run\'s pair', () => {
    const d = fresh();
    const runA = (): void => {
      writeFileAtomic(join(d, 'RTSTRUCT.dcm'), 'A');
      withOutputFolder(d, () => {
        writeFileAtomic(join(d, 'RTSTRUCT.dcm'), 'B');
        writeFileAtomic(join(d, 'vertices.json'), 'B');
      });
      // B has finished: its pair is in place, A's is not yet
      expect([readFileSync(join(d, 'RTSTRUCT.dcm'), 'utf8'), readFileSync(join(d, 'vertices.json'), 'utf8')]).toEqual(['B', 'B']);
      writeFileAtomic(join(d, 'vertices.json'), 'A');
    };
    withOutputFolder(d, runA);
    expect([readFileSync(join(d, 'RTSTRUCT.dcm'), 'utf8'), readFileSync(join(d, 'vertices.json'), 'utf8')]).toEqual(['A', 'A']);
    expect(entries(d)).toEqual(['RTSTRUCT.dcm', 'vertices.json']);
  });

  test('files a run owns but did not write are removed (no RTSTRUCT of an earlier run beside this vertices.json)', () => {
    const d = fresh();
    withOutputFolder(d, () => writeFileAtomic(join(d, 'RTSTRUCT.dcm'), 'old'));
    writeFileSync(join(d, 'notes.txt'), 'mine');
    withOutputFolder(d, () => writeFileAtomic(join(d, 'vertices.json'), 'new'), { replaces: ['RTSTRUCT.dcm', 'vertices.json'] });
    expect(entries(d)).toEqual(['notes.txt', 'vertices.json']);
  });
});

describe('files lattice did not write', () => {
  test('are never replaced or removed: the run refuses, naming them, before it computes; --force replaces them', () => {
    const d = fresh();
    writeFileSync(join(d, 'RTSTRUCT.dcm'), 'the user\'s');
    let ran = false;
    const e = caught(() =>
      withOutputFolder(d, () => {
        ran = true;
        writeFileAtomic(join(d, 'RTSTRUCT.dcm'), 'new');
      }, { replaces: ['RTSTRUCT.dcm'] }),
    );
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toMatch(/holds RTSTRUCT\.dcm, which lattice did not write .*give --force/);
    expect(ran).toBe(false); // refused before the run: `replaces` names it
    expect(readFileSync(join(d, 'RTSTRUCT.dcm'), 'utf8')).toBe('the user\'s');
    // Not named in `replaces`: refused when the files would move into place, nothing moved.
    const e2 = caught(() => withOutputFolder(d, () => { writeFileAtomic(join(d, 'RTSTRUCT.dcm'), 'new'); writeFileAtomic(join(d, 'b.txt'), 'b'); }));
    expect((e2 as Error).message).toMatch(/holds RTSTRUCT\.dcm, which lattice did not write/);
    expect(entries(d)).toEqual(['RTSTRUCT.dcm']);
    withOutputFolder(d, () => writeFileAtomic(join(d, 'RTSTRUCT.dcm'), 'new'), { force: true });
    expect(readFileSync(join(d, 'RTSTRUCT.dcm'), 'utf8')).toBe('new');
  });

  test('a file lattice wrote is replaced freely, unless it changed since', () => {
    const d = fresh();
    withOutputFolder(d, () => writeFileAtomic(join(d, 'report.json'), '1'));
    withOutputFolder(d, () => writeFileAtomic(join(d, 'report.json'), '22'));
    expect(readFileSync(join(d, 'report.json'), 'utf8')).toBe('22');
    writeFileSync(join(d, 'report.json'), 'edited by hand');
    expect(() => withOutputFolder(d, () => writeFileAtomic(join(d, 'report.json'), '333'))).toThrow(/which lattice did not write \(or which changed since\)/);
    expect(readFileSync(join(d, 'report.json'), 'utf8')).toBe('edited by hand');
  });

  test('a new data set (emptyOrOwn) refuses a folder holding any file lattice did not write, and takes its own again', () => {
    const d = fresh();
    mkdirSync(join(d, 'CT'));
    writeFileSync(join(d, 'CT', 'CT_0001.dcm'), 'another patient');
    const e = caught(() => withOutputFolder(d, () => writeFileAtomic(join(d, 'x.dcm'), 'x'), { emptyOrOwn: true }));
    expect((e as Error).message).toMatch(/already holds files lattice did not write \(CT\/CT_0001\.dcm\): a new data set needs an empty or new folder/);
    const own = fresh();
    withOutputFolder(own, () => writeFileAtomic(join(own, 'CT', 'CT_0001.dcm'), 'phantom'), { emptyOrOwn: true });
    withOutputFolder(own, () => writeFileAtomic(join(own, 'CT', 'CT_0001.dcm'), 'phantom again'), { emptyOrOwn: true });
    expect(readFileSync(join(own, 'CT', 'CT_0001.dcm'), 'utf8')).toBe('phantom again');
  });

  test('rolling back a partly written set inside a run keeps the earlier file', () => {
    const d = fresh();
    writeFileSync(join(d, 'a.txt'), 'old');
    withOutputFolder(d, () => {
      writeFileAtomic(join(d, 'a.txt'), 'new');
      removeWrittenFile(join(d, 'a.txt'));
    });
    expect(readFileSync(join(d, 'a.txt'), 'utf8')).toBe('old');
  });
});

describe('the lock', () => {
  const lock = (d: string, pid: number): void =>
    writeFileSync(join(d, '.lattice.lock'), JSON.stringify({ pid, host: hostname(), startedAt: '2025-01-01T00:00:00.000Z', token: `t${pid}` }));

  test('held by a live run: a clear refusal naming the folder and the pid; the folder is untouched', () => {
    const d = fresh();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      lock(d, holder.pid!);
      const e = caught(() => withOutputFolder(d, () => writeFileAtomic(join(d, 'a.txt'), 'A'), { lockWaitMs: 100 }));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(new RegExp(`^output folder ${d} is being written by another lattice run \\(pid ${holder.pid}, since 2025-01-01T00:00:00.000Z\\)`));
      expect(entries(d)).toEqual(['.lattice.lock']);
    } finally {
      holder.kill();
    }
  });

  test('released while waiting: the run goes ahead', () => {
    const d = fresh();
    const path = join(d, '.lattice.lock');
    // the holder removes its lock 300 ms after starting
    const holder = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').unlinkSync(${JSON.stringify(path)}), 300); setTimeout(() => {}, 5000)`]);
    try {
      lock(d, holder.pid!);
      const t0 = Date.now();
      withOutputFolder(d, () => writeFileAtomic(join(d, 'a.txt'), 'A'), { lockWaitMs: 10_000 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(entries(d)).toEqual(['a.txt']);
    } finally {
      holder.kill();
    }
  });

  test('left by a dead process: taken over', () => {
    const d = fresh();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    lock(d, Number(gone.stdout));
    withOutputFolder(d, () => writeFileAtomic(join(d, 'a.txt'), 'A'), { lockWaitMs: 100 });
    expect(entries(d)).toEqual(['a.txt']);
  });
});
