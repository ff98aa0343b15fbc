#!/usr/bin/env node
/**
 * Bundle the browser viewer (viewer/) into one JS file, one CSS file (uPlot's included) and the
 * HTML page: dist/viewer/{index.html,viewer.js,viewer.css}, served by `lattice view`. Offline:
 * esbuild only reads node_modules. Usage: node scripts/build-viewer.mjs [OUTDIR]
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Build the viewer into `outDir` (default dist/viewer); resolves to the folder. */
export async function buildViewer(outDir = join(root, 'dist', 'viewer')) {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { viewer: join(root, 'viewer', 'src', 'main.ts') },
    bundle: true,
    format: 'iife',
    target: ['es2022'],
    platform: 'browser',
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    outdir: outDir,
    logLevel: 'warning',
  });
  await build({
    entryPoints: { viewer: join(root, 'viewer', 'src', 'viewer.css') },
    bundle: true,
    minify: true,
    legalComments: 'eof',
    outdir: outDir,
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'viewer', 'index.html'), join(outDir, 'index.html'));
  return outDir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildViewer(process.argv[2] !== undefined ? resolve(process.argv[2]) : undefined);
  console.log(`built the viewer into ${out}`);
}
