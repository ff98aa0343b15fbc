/**
 * The bundled command line (scripts/build-cli.mjs: what bin/lattice.js runs, built as `npm ci` builds
 * it, with its code cache) against the CLI run from its TypeScript sources: the same report from a real
 * process, with and without the cache; the cache accepted by V8 in a plain `node` process (V8's own
 * verdict, vm.Script cachedDataRejected); and the worker threads' entries where
 * src/core/worker-spawn.ts looks for them (beside the calling module, which in the bundle is any of its
 * files). A worker whose entry is missing does not fail the command (its tasks are computed by the
 * caller), so the entries are checked directly: each name that the sources pass to spawnWorker is a
 * module of the bundle exporting runWorker.
 */

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../helpers/bundle.js';
import { runLattice } from '../helpers/cli.js';
import { writeEvaluationCase, type WrittenEvaluationCase } from '../evaluate/dicom-case.js';

const run = promisify(execFile);
const loaderUrl = new URL('../../bin/load-cli.js', import.meta.url).href;

let dir: string;
let bundle: string;
let folder: string;
let removeBundle: () => void;
let written: WrittenEvaluationCase;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-bundle-'));
  ({ bundle, folder, remove: removeBundle } = await bundleCli('bundle-check', { cache: true }));
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
    // the same run compiling everything itself (the cache ignored)
    const uncached = join(dir, 'uncached.mjs');
    writeFileSync(uncached, `import { loadCli } from ${JSON.stringify(loaderUrl)};\nprocess.exitCode = await loadCli(${JSON.stringify(folder)}, false).exports.main(process.argv);\n`);
    await run(process.execPath, [uncached, ...args, '--threads', '2', '--out', join(dir, 'uncached')], { encoding: 'utf8' });
    expect(readFileSync(join(dir, 'uncached', 'report.json'), 'utf8')).toBe(report);
  });

  it('holds a code cache that V8 accepts in a plain node process, used only for the source it was made from', async () => {
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, `import { loadCli } from ${JSON.stringify(loaderUrl)};\nconsole.log(JSON.stringify({ used: loadCli(process.argv[2]).cacheUsed }));\n`);
    const verdict = async (f: string): Promise<boolean> => (JSON.parse((await run(process.execPath, [probe, f], { encoding: 'utf8' })).stdout) as { used: boolean }).used;
    expect(existsSync(join(folder, 'main.cache'))).toBe(true);
    expect(await verdict(folder)).toBe(true);
    // the DVH worker's entry too (written by the worker of the build's warm-up run as it ended), loaded
    // as a worker loads it (src/core/worker-spawn.ts: early.cjs loadBundle)
    const workerProbe = join(dir, 'worker-probe.cjs');
    writeFileSync(workerProbe, `const { loadBundle } = require(process.argv[2] + '/early.cjs');\nconst l = loadBundle(process.argv[2] + '/dvh-worker.cjs');\nconsole.log(JSON.stringify({ used: l.cacheUsed, entry: typeof l.exports.runWorker }));\n`);
    expect(existsSync(join(folder, 'dvh-worker.cache'))).toBe(true);
    expect(JSON.parse((await run(process.execPath, [workerProbe, folder], { encoding: 'utf8' })).stdout)).toEqual({ used: true, entry: 'function' });
    // the bundles are ASCII, which the loader reads as Latin-1 (the same string as UTF-8 would give)
    for (const f of ['main.cjs', 'dvh-worker.cjs', 'early.cjs']) expect(readFileSync(join(folder, f)).every((b) => b < 0x80), f).toBe(true);
    // a copy of the bundle (new modification times: the cache's stamp no longer matches): used, its
    // bytes having the digest the cache holds
    const copied = join(folder, '..', 'copied');
    mkdirSync(copied);
    for (const f of ['main.cjs', 'main.cache', 'early.cjs']) copyFileSync(join(folder, f), join(copied, f));
    utimesSync(join(copied, 'main.cjs'), new Date(2001, 0, 1), new Date(2001, 0, 1));
    expect(await verdict(copied)).toBe(true);
    // a bundle whose source differs in one character (the same length, which is all V8 itself checks
    // of the source): the old cache is not used
    const edited = join(folder, '..', 'edited');
    mkdirSync(edited);
    writeFileSync(join(edited, 'main.cjs'), readFileSync(join(folder, 'main.cjs'), 'utf8').replace('Lattice SFRT planning', 'Lattice SFRT-planning'));
    for (const f of ['main.cache', 'early.cjs']) copyFileSync(join(folder, f), join(edited, f));
    expect(await verdict(edited)).toBe(false);
  });

  it('prints through pipes what the command prints in-process, in order, and exits with its code', async () => {
    // bin/load-cli.js launch: the console writes straight to the descriptors, the process ends at once
    const args = ['evaluate', written.dir, '--fractions-planned', '5', '--threads', '2'];
    const inProcess = await runLattice(...args, '--out', join(dir, 'print-in-process'));
    expect(inProcess.code, inProcess.err).toBe(0);
    const launched = await run(process.execPath, [bundle, ...args, '--out', join(dir, 'print-launched')], { encoding: 'utf8' });
    expect(launched.stdout).toBe(`${inProcess.out.replaceAll(join(dir, 'print-in-process'), join(dir, 'print-launched'))}\n`);
    expect(launched.stdout.split('\n')[0]).toMatch(/^Research use only/);
    expect(launched.stderr).toBe(inProcess.err === '' ? '' : `${inProcess.err}\n`);
    // --json: the report whole on stdout (Node's own stream), parsed as the file written beside it
    const json = await run(process.execPath, [bundle, ...args, '--json', '--out', join(dir, 'print-json')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(JSON.parse(json.stdout)).toEqual(JSON.parse(readFileSync(join(dir, 'print-json', 'report.json'), 'utf8')));
    // an error: its one line on stderr, exit code 1
    const failed = await run(process.execPath, [bundle, 'evaluate', join(dir, 'no-such-folder'), '--out', join(dir, 'print-failed')], { encoding: 'utf8' }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failed ? failed.code : 0).toBe(1);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/^lattice: .*no-such-folder/);
  });

  it('ends as the command ends when the reader of its output has gone: no stack trace, its files written', async () => {
    // `lattice ... | head -c 1`: the rest of the output has nowhere to go (EPIPE); Node alone ends on an
    // unhandled 'error' event with a stack trace and exit code 1
    for (const json of [false, true]) {
      const out = join(dir, `print-head-${json}`);
      const err = join(dir, `head-stderr-${json}.txt`);
      const sh =
        `set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(bundle)} evaluate ${JSON.stringify(written.dir)} --fractions-planned 5 ` +
        `${json ? '--json ' : ''}--out ${JSON.stringify(out)} 2>${JSON.stringify(err)} | head -c 1`;
      const r = await run('bash', ['-c', sh], { encoding: 'utf8' });
      expect(r.stdout).toBe(json ? '{' : 'R');
      expect(readFileSync(err, 'utf8')).toBe('');
      expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toHaveProperty('structures');
    }
  });

  it('has a DVH worker entry that loads no node:crypto (reading an RT Dose derives no UID)', async () => {
    // a script file (\`node -e\` loads node:crypto itself)
    const probe = join(dir, 'crypto-probe.cjs');
    const loaded = "process.stdout.write(String(process.moduleLoadList.includes('NativeModule crypto')))";
    writeFileSync(probe, `${loaded};\nrequire(${JSON.stringify(join(folder, 'dvh-worker.cjs'))});\n${loaded};\n`);
    expect((await run(process.execPath, [probe], { encoding: 'utf8' })).stdout).toBe('falsefalse');
  });

  it('runs `lattice evaluate` without loading node:crypto (its cache checked by the source file\'s size and time, the output folder\'s names need no random bytes)', async () => {
    // node:crypto costs some 3.5 ms to load and hashing the bundle 1.3 ms on the 2-vCPU test machine
    const probe = join(dir, 'evaluate-crypto-probe.cjs');
    const verdict = join(dir, 'evaluate-crypto-verdict.txt');
    const out = join(dir, 'crypto-probe-out');
    writeFileSync(probe, [
      `const { writeFileSync } = require('node:fs');`,
      `const exit = process.exit;`,
      `process.exit = (code) => { writeFileSync(${JSON.stringify(verdict)}, String(process.moduleLoadList.includes('NativeModule crypto'))); exit(code); };`,
      `require(${JSON.stringify(fileURLToPath(loaderUrl))}).launch(${JSON.stringify(folder)}, ['node', 'lattice', 'evaluate', ${JSON.stringify(written.dir)}, '--fractions-planned', '5', '--out', ${JSON.stringify(out)}]);`,
    ].join('\n'));
    await run(process.execPath, [probe], { encoding: 'utf8' });
    expect(readFileSync(verdict, 'utf8')).toBe('false');
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toHaveProperty('structures');
  });

  it('holds an entry exporting runWorker for every worker the sources start', async () => {
    const names = spawnedWorkerNames();
    expect(names).toEqual(['dvh-worker', 'worker']);
    const folder = join(bundle, '..', 'bundle');
    for (const name of names) {
      // CommonJS, as src/core/worker-spawn.ts requires it (a worker loading an ES module sets up that loader first)
      const file = join(folder, `${name}.cjs`);
      expect(existsSync(file), file).toBe(true);
      const m = createRequire(import.meta.url)(file) as { runWorker?: unknown };
      expect(typeof m.runWorker, name).toBe('function');
    }
  });
});
