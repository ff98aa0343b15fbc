/** Runs every bench/*.bench.js suite (or those whose names are given) and prints a table. */

import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchSuite, Measurement } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .sort();

console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
let failed = 0;
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { suite: BenchSuite };
  const suite = mod.suite;
  if (wanted.length > 0 && !wanted.includes(suite.name)) continue;
  console.log(`\n## ${suite.name}`);
  const rows: Measurement[] = await suite.run();
  for (const m of rows) {
    const value = m.unit === 's' ? m.value.toFixed(3) : String(Number(m.value.toPrecision(6)));
    const verdict = m.pass === undefined ? '' : m.pass ? 'ok' : 'OVER TARGET';
    if (m.pass === false) failed++;
    console.log(`${m.name.padEnd(60)} ${value.padStart(10)} ${m.unit.padEnd(6)} ${(m.target ?? '').padEnd(10)} ${verdict}`);
  }
}
if (failed > 0) console.log(`\n${failed} measurement(s) over target`);
