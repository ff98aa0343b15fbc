#!/usr/bin/env node
// The `lattice` command: a thin launcher for the bundled CLI (built by `npm ci` via `prepare`:
// scripts/build-cli.mjs; loaded with its code cache by load-cli.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleFiles, loadCli } from './load-cli.js';

const dir = fileURLToPath(new URL('../dist/bundle', import.meta.url));
if (!existsSync(bundleFiles(dir).source)) {
  console.error('lattice: the bundled CLI (dist/bundle/main.cjs) is missing; run `npm ci` (or `npm run build`) in the lattice-rt folder first.');
  process.exit(1);
}
process.exitCode = await loadCli(dir).exports.main(process.argv);
