#!/usr/bin/env node
// The `lattice` command: a thin launcher for the compiled CLI (built by `npm ci` via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('lattice: the compiled CLI is missing; run `npm ci` (or `npm run build`) in the lattice-rt folder first.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
