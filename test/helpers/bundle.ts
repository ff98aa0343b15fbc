/**
 * The CLI as one bundled file (esbuild, from the TypeScript sources), for tests that run it as a real
 * process many times without paying the compile per run. The bundle is written under the repository's
 * node_modules/.cache, not the system's temporary folder, so that the packages lattice-rt loads on first
 * use (dcmjs, through createRequire in src/io/dicom/dcmjs.ts) resolve from it as from dist/.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Bundle cli/main.ts into a fresh folder; returns the bundle's path and a function removing the folder. */
export async function bundleCli(prefix: string): Promise<{ readonly bundle: string; readonly remove: () => void }> {
  const parent = join(root, 'node_modules', '.cache', 'lattice-test-bundles');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, `${prefix}-`));
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, `import { main } from ${JSON.stringify(join(root, 'cli', 'main.ts'))};\nprocess.exitCode = await main(process.argv);\n`);
  const bundle = join(dir, 'lattice.mjs');
  await build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'error',
    // CommonJS dependencies call require(): give the ES module one
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return { bundle, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
