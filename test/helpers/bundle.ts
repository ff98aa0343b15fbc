/**
 * The CLI bundled as `lattice` runs it (scripts/build-cli.mjs, from the TypeScript sources), for tests
 * that run it as a real process many times without paying the compile per run. The bundle is written
 * under the repository's node_modules/.cache, not the system's temporary folder, so that the packages
 * it loads from node_modules (commander; dcmjs on first use) resolve from it as from dist/.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error a plain ESM build script without type declarations
import { buildCli } from '../../scripts/build-cli.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Bundle the CLI into a fresh folder (`cache`: with its code cache, as `npm ci` builds it; default
 * without, which spares the warm-up run); returns the path of a script that runs it (as bin/lattice.js
 * does, through bin/load-cli.js launch), the bundle's folder and a function removing the folder.
 */
export async function bundleCli(
  prefix: string,
  options: { readonly cache?: boolean } = {},
): Promise<{ readonly bundle: string; readonly folder: string; readonly remove: () => void }> {
  const parent = join(root, 'node_modules', '.cache', 'lattice-test-bundles');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, `${prefix}-`));
  const folder = join(dir, 'bundle');
  await buildCli(folder, { cache: options.cache ?? false });
  const bundle = join(dir, 'lattice.mjs');
  const loader = pathToFileURL(join(root, 'bin', 'load-cli.js')).href;
  writeFileSync(
    bundle,
    `import { launch } from ${JSON.stringify(loader)};\n` + `launch(${JSON.stringify(folder)}, process.argv);\n`,
  );
  return { bundle, folder, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
