/**
 * What the bundled command line (dist/bundle/main.cjs, scripts/build-cli.mjs) exports: the CLI, and
 * the case its code cache is made on (loaded only when asked for: the bundle initialises no module a
 * run does not use).
 */
export { main } from './main.js';

/** cli/warm-up.ts writeWarmUpCase. */
export async function writeWarmUpCase(dir: string): Promise<void> {
  (await import('./warm-up.js')).writeWarmUpCase(dir);
}
