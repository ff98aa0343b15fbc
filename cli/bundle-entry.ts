/** What the bundled command line (dist/bundle/main.cjs, scripts/build-cli.mjs) exports: the CLI and the case its code cache is made on. */
export { main } from './main.js';
export { writeWarmUpCase } from './warm-up.js';
