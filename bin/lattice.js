#!/usr/bin/env node
// The `lattice` command: a thin launcher for the bundled CLI (built by `npm ci` via `prepare`:
// scripts/build-cli.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bundle/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('lattice: the bundled CLI (dist/bundle/main.js) is missing; run `npm ci` (or `npm run build`) in the lattice-rt folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
