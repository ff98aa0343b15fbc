#!/usr/bin/env node
// The `lattice` command: a thin launcher for the bundled CLI (built by `npm ci` via `prepare`:
// scripts/build-cli.mjs; loaded with its code cache by load-cli.js). CommonJS (bin/package.json).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { bundleFiles, launch } = require('./load-cli.js');

const dir = join(__dirname, '..', 'dist', 'bundle');
const files = bundleFiles(dir);
if (!existsSync(files.source) || !existsSync(files.early)) {
  console.error('lattice: the bundled CLI (dist/bundle/main.cjs, early.cjs) is missing; run `npm ci` (or `npm run build`) in the lattice-rt folder first.');
  process.exit(1);
}
launch(dir, process.argv);
