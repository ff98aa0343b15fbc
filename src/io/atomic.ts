/**
 * File output, in one place.
 *
 * writeFileAtomic(path, data): write to a temporary name in the same folder, then rename, so that a
 * failure never leaves half a file under the final name. Input files are never opened for writing here.
 *
 * withOutputFolder(dir, run): one run's set of files goes into an output folder together.
 * 1. The folder is checked before anything is computed (nothing is created yet): a file in its place
 *    or above it (ENOTDIR), or a folder that cannot be written (EACCES), is a FormatError of one line
 *    naming the path, with the file-system error as its cause.
 * 2. While `run` executes, every writeFileAtomic into the folder goes to a private staging folder
 *    inside it (`.lattice-staging-<host>-<pid>-<nonce>/`, created at the first write).
 * 3. When `run` has succeeded, the staged files are renamed into place under a lock, `.lattice.lock`
 *    in the folder (created atomically by link(2), holding host, pid, start time and a token): a run
 *    that finds the lock held waits up to `lockWaitMs` (the lock is held only for the renames), then
 *    refuses with "being written by another lattice run (pid N)"; a lock left by a dead process of
 *    this host is taken over. Files named in `replaces` that this run did not write are removed
 *    under the same lock, so the folder never mixes one run's file with another run's.
 * 4. A file lattice did not write is never replaced or removed without `force`: the folder keeps a
 *    manifest, `.lattice-outputs.json`, of the files lattice runs moved into it (size and
 *    modification time); a file in the way that is not in it, or changed since, makes the run refuse
 *    (FormatError naming the file) before anything moves. With `emptyOrOwn` (phantom, demo: a new
 *    patient's data set) a folder holding any file lattice did not write is refused as a whole, so
 *    that two patients never share one folder.
 * Whatever happens, the staging folder is removed; a failure while cleaning up never hides the error
 * that caused it. Two runs may thus write the same folder at once: the folder ends up with the
 * complete set of files of one of them (the last to finish).
 */

import {
  accessSync, constants, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FormatError } from '../core/errors.js';

let counter = 0;

/**
 * A name part no other name of this process repeats: its clock (ns, monotonic) and a count. Beside the
 * host and the pid it names a run's own files uniquely (on a folder shared between machines too); no
 * randomness is needed, so node:crypto (some 3.5 ms to load on the 2-vCPU test machine) stays off
 * `lattice evaluate`'s path.
 */
const nonce = (): string => `${process.hrtime.bigint().toString(36)}_${(++counter).toString(36)}`;

/** Plain words for the file-system errors a user can fix, with the code. */
function fsReason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const words: Record<string, string> = {
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file is in the way',
    EISDIR: 'it is a folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENAMETOOLONG: 'the name is too long',
    ENOENT: 'no such file or folder',
  };
  if (code !== undefined && words[code] !== undefined) return `${words[code]} (${code})`;
  return cause instanceof Error ? cause.message : String(cause);
}

/** Runs a clean-up step; its own failure is dropped so that it never hides the error being handled. */
function quietly(step: () => void): void {
  try {
    step();
  } catch {
    // the error that led here is the one to report
  }
}

/** The first existing path at or above `p` (undefined if none can be stat'ed). */
function existingAncestor(p: string): { path: string; isDir: boolean } | undefined {
  let cur = resolve(p);
  for (;;) {
    try {
      const st = statSync(cur);
      return { path: cur, isDir: st.isDirectory() };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    }
    const up = dirname(cur);
    if (up === cur) return undefined;
    cur = up;
  }
}

/**
 * Checks that `dir` is, or can be created as, a writable folder, without creating anything. Throws
 * a FormatError naming `dir` (and the file in the way) otherwise.
 */
export function checkOutputFolder(dir: string): void {
  const fail = (what: string, cause: unknown): never => {
    throw new FormatError(`output folder ${dir}: ${what}`, {}, cause !== undefined ? { cause } : undefined);
  };
  let st;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOTDIR') fail(fsReason(cause), cause);
  }
  if (st !== undefined) {
    if (!st.isDirectory()) fail('exists and is a file, not a folder', undefined);
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
    } catch (cause) {
      fail(`cannot be written: ${fsReason(cause)}`, cause);
    }
    return;
  }
  const up = existingAncestor(dir);
  if (up === undefined) return; // nothing to check against; writing will tell
  if (!up.isDir) {
    fail(`cannot be created: ${up.path} is a file, not a folder`, undefined);
  }
  try {
    accessSync(up.path, constants.W_OK | constants.X_OK);
  } catch (cause) {
    fail(`cannot be created in ${up.path}: ${fsReason(cause)}`, cause);
  }
}

// ---------------------------------------------------------------------------------------------
// Staging scopes

interface Scope {
  /** Resolved output folder. */
  readonly dir: string;
  readonly staging: string;
  /** Relative name (with '/' or the platform separator) -> staged file. */
  readonly files: Map<string, string>;
}

/** Active scopes, innermost last (runs are synchronous, so this is the call stack's). */
const scopes: Scope[] = [];

function scopeOf(path: string): { scope: Scope; rel: string } | undefined {
  const abs = resolve(path);
  for (let i = scopes.length - 1; i >= 0; i--) {
    const s = scopes[i]!;
    const rel = relative(s.dir, abs);
    const inside = rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
    if (inside && !abs.startsWith(s.staging + sep)) return { scope: s, rel };
  }
  return undefined;
}

/** Write `data` to `target` through a temporary file and a rename; `path` names it in the error. */
function writeThroughTemporary(target: string, data: string | Uint8Array, path: string): void {
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${counter++}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (cause) {
    quietly(() => rmSync(tmp, { force: true }));
    const up = existingAncestor(dirname(path));
    const reason = up !== undefined && !up.isDir ? `${up.path} is a file, not a folder` : fsReason(cause);
    throw new FormatError(`could not write ${path}: ${reason}`, { file: path }, { cause });
  }
}

/** Write `data` to `path` atomically (temporary file + rename). Creates the folder if needed. Inside
 * withOutputFolder, a path in the output folder is written to the run's staging folder instead. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const staged = scopeOf(path);
  const target = staged !== undefined ? join(staged.scope.staging, staged.rel) : path;
  writeThroughTemporary(target, data, path);
  if (staged !== undefined) staged.scope.files.set(staged.rel, target);
}

/** Undo a writeFileAtomic of this run (roll back a partly written set): inside withOutputFolder the
 * staged copy is dropped and the file in the folder is left as it was. */
export function removeWrittenFile(path: string): void {
  const staged = scopeOf(path);
  if (staged === undefined) {
    rmSync(path, { force: true });
    return;
  }
  const file = staged.scope.files.get(staged.rel);
  if (file !== undefined) rmSync(file, { force: true });
  staged.scope.files.delete(staged.rel);
}

export interface OutputFolderOptions {
  /** Names (relative to the folder) this run owns: those it did not write are removed when its files
   * move into place, so that an earlier run's file never sits beside this run's set. */
  readonly replaces?: readonly string[];
  /** How long to wait for another run's lock before refusing, ms (default 10 000). */
  readonly lockWaitMs?: number;
  /** Replace or remove files lattice did not write (the user's `--force`). */
  readonly force?: boolean;
  /** Refuse a folder that holds any file lattice did not write (a new data set goes in its own folder). */
  readonly emptyOrOwn?: boolean;
}

/** The manifest of the files lattice moved into an output folder (read by the DICOM scan too). */
export const MANIFEST_NAME = '.lattice-outputs.json';

interface Manifest {
  readonly files: Record<string, { readonly size: number; readonly mtimeMs: number }>;
}

function readManifest(folder: string): Manifest {
  const text = readText(join(folder, MANIFEST_NAME));
  if (text === undefined) return { files: {} };
  try {
    const v = JSON.parse(text) as Partial<Manifest>;
    return v !== null && typeof v.files === 'object' && v.files !== null ? { files: { ...v.files } } : { files: {} };
  } catch {
    return { files: {} };
  }
}

/** A name relative to the output folder as the manifest keys it: '/'-separated. */
const slashed = (rel: string): string => rel.split(sep).join('/');

/** Whether the file at `path` (named `rel` in the folder) is one lattice wrote there, unchanged since. */
function ownFile(manifest: Manifest, rel: string, path: string): boolean {
  const entry = manifest.files[slashed(rel)];
  if (entry === undefined) return false;
  try {
    const st = statSync(path);
    return st.size === entry.size && Math.abs(st.mtimeMs - entry.mtimeMs) < 1;
  } catch {
    return false;
  }
}

/** Files (relative, '/'-separated) under `folder`, lattice's own bookkeeping left out. */
function listFiles(folder: string, prefix = ''): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(join(folder, prefix), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (prefix === '' && (e.name === MANIFEST_NAME || e.name === LOCK_NAME || e.name.startsWith(STAGING_PREFIX) || e.name.startsWith(`${LOCK_NAME}.`))) continue;
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(folder, rel));
    else out.push(rel);
  }
  return out;
}

const FORCE_HINT = 'choose another output folder, move the file away, or give --force to replace it';

export const LOCK_NAME = '.lattice.lock';
export const STAGING_PREFIX = '.lattice-staging-';
const hostTag = (): string => hostname().replace(/[^A-Za-z0-9]/g, '') || 'host';

/** Runs `run` with the folder's writes staged, then moves them into place together (see the header). */
export function withOutputFolder<T>(dir: string, run: () => T, options: OutputFolderOptions = {}): T {
  checkOutputFolder(dir);
  const abs = resolve(dir);
  // Before computing anything: a folder of another data set, or a foreign file among `replaces`.
  if (existingAncestor(abs)?.path === abs) refuseForeign(abs, dir, [], options);
  const scope: Scope = {
    dir: abs,
    staging: join(abs, `${STAGING_PREFIX}${hostTag()}-${process.pid}-${nonce()}`),
    files: new Map(),
  };
  scopes.push(scope);
  try {
    const result = run();
    if (typeof (result as { then?: unknown } | undefined)?.then === 'function') {
      throw new Error('withOutputFolder: the run must be synchronous');
    }
    commit(scope, dir, options);
    return result;
  } finally {
    scopes.splice(scopes.indexOf(scope), 1);
    quietly(() => rmSync(scope.staging, { recursive: true, force: true }));
  }
}

/**
 * Refuses (FormatError) when the run would replace or remove a file lattice did not write, or, with
 * `emptyOrOwn`, when the folder holds any such file (see the header). `names`: the files the run writes.
 */
function refuseForeign(folder: string, dir: string, names: readonly string[], options: OutputFolderOptions, manifest = readManifest(folder)): void {
  if (options.force === true) return;
  if (options.emptyOrOwn === true) {
    const foreign = listFiles(folder).filter((rel) => !ownFile(manifest, rel, join(folder, rel)));
    if (foreign.length > 0) {
      const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, ... (${foreign.length} files)` : '');
      throw new FormatError(
        `output folder ${dir} already holds files lattice did not write (${shown}): a new data set needs an empty or new folder; choose another, or give --force to write into it`,
      );
    }
  }
  const replaces = options.replaces ?? [];
  const inTheWay = [...new Set([...names, ...replaces].map(slashed))].filter((rel) => {
    const final = join(folder, rel);
    return existsFile(final) && !ownFile(manifest, rel, final);
  });
  if (inTheWay.length > 0) {
    throw new FormatError(
      `output folder ${dir} holds ${inTheWay.join(', ')}, which lattice did not write (or which changed since): ${FORCE_HINT}`,
      { file: join(dir, inTheWay[0]!) },
    );
  }
}

function commit(scope: Scope, dir: string, options: OutputFolderOptions): void {
  const replaces = options.replaces ?? [];
  if (scope.files.size === 0 && replaces.length === 0) return;
  try {
    mkdirSync(scope.dir, { recursive: true });
  } catch (cause) {
    throw new FormatError(`output folder ${dir}: cannot be created: ${fsReason(cause)}`, {}, { cause });
  }
  const lock = acquireLock(scope.dir, dir, options.lockWaitMs ?? 10_000);
  try {
    if (!holds(lock)) throw new FormatError(`output folder ${dir}: another lattice run took over its lock (${lock.path}); this run's files were not moved into place`);
    const manifest = readManifest(scope.dir);
    refuseForeign(scope.dir, dir, [...scope.files.keys()], options, manifest);
    for (const [rel, staged] of scope.files) {
      const final = join(scope.dir, rel);
      try {
        mkdirSync(dirname(final), { recursive: true });
        renameSync(staged, final);
      } catch (cause) {
        throw new FormatError(`could not write ${join(dir, rel)}: ${fsReason(cause)}`, { file: join(dir, rel) }, { cause });
      }
    }
    for (const name of replaces) {
      if (scope.files.has(name) || scope.files.has(name.split('/').join(sep))) continue;
      try {
        rmSync(join(scope.dir, name), { force: true });
      } catch (cause) {
        throw new FormatError(`could not remove ${join(dir, name)} left by an earlier run: ${fsReason(cause)}`, { file: join(dir, name) }, { cause });
      }
    }
    // The manifest: this run's files as they now are; removed files dropped.
    const files: Record<string, { size: number; mtimeMs: number }> = { ...manifest.files };
    for (const name of replaces) delete files[name];
    for (const rel of scope.files.keys()) {
      const key = slashed(rel);
      try {
        const st = statSync(join(scope.dir, rel));
        files[key] = { size: st.size, mtimeMs: st.mtimeMs };
      } catch {
        delete files[key];
      }
    }
    writeThroughTemporary(join(scope.dir, MANIFEST_NAME), `${JSON.stringify({ files }, null, 1)}\n`, join(dir, MANIFEST_NAME));
    removeDeadStaging(scope.dir);
  } finally {
    quietly(() => release(lock));
  }
}

function existsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The lock

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly token: string;
}

interface HeldLock {
  readonly path: string;
  readonly token: string;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether a process of this host with that pid exists (EPERM: it does, run by someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.token === 'string' ? (v as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** A lock nobody can be holding: its process (on this host) is gone; an unreadable lock older than a minute. */
function isStale(path: string, text: string): boolean {
  const info = parseLock(text);
  if (info !== undefined) return info.host === hostname() && !processAlive(info.pid);
  try {
    return Date.now() - statSync(path).mtimeMs > 60_000;
  } catch {
    return false;
  }
}

/** Removes a stale lock, unless it changed since it was read (then someone else holds it now). */
function takeOver(path: string, staleText: string): void {
  const moved = `${path}.${hostTag()}.${process.pid}.${nonce()}.stale`;
  try {
    renameSync(path, moved);
  } catch {
    return; // gone already: another run took it over
  }
  if (readText(moved) !== staleText) quietly(() => linkSync(moved, path)); // a fresh lock: put it back
  quietly(() => unlinkSync(moved));
}

function acquireLock(absDir: string, dir: string, waitMs: number): HeldLock {
  const path = join(absDir, LOCK_NAME);
  const token = `${hostTag()}-${process.pid}-${nonce()}`;
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), token };
  const tmp = join(absDir, `${LOCK_NAME}.${token}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(info)}\n`);
  } catch (cause) {
    throw new FormatError(`output folder ${dir}: cannot write its lock file: ${fsReason(cause)}`, {}, { cause });
  }
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        linkSync(tmp, path); // atomic: fails with EEXIST while another run holds the lock
        return { path, token };
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new FormatError(`output folder ${dir}: cannot create its lock file: ${fsReason(cause)}`, {}, { cause });
        }
      }
      const text = readText(path);
      if (text === undefined) continue; // released meanwhile
      if (isStale(path, text)) {
        takeOver(path, text);
        continue;
      }
      if (Date.now() >= deadline) {
        const holder = parseLock(text);
        const who = holder !== undefined ? `pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''}, since ${holder.startedAt}` : 'unknown process';
        throw new FormatError(
          `output folder ${dir} is being written by another lattice run (${who}); try again when it has finished, or delete ${path} if no such run exists`,
        );
      }
      sleepMs(20);
    }
  } finally {
    quietly(() => unlinkSync(tmp));
  }
}

function holds(lock: HeldLock): boolean {
  const info = parseLock(readText(lock.path) ?? '');
  return info?.token === lock.token;
}

function release(lock: HeldLock): void {
  if (holds(lock)) unlinkSync(lock.path);
}

/** Staging folders of this host's runs that died before cleaning up. */
function removeDeadStaging(absDir: string): void {
  const prefix = `${STAGING_PREFIX}${hostTag()}-`;
  let names: string[];
  try {
    names = readdirSync(absDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) quietly(() => rmSync(join(absDir, name), { recursive: true, force: true }));
  }
}
