/**
 * `lattice demo`: the whole workflow on the built-in phantom. Today: build the seed-case phantom,
 * write it, print its structures and volumes. Vertex placement, dose and evaluation join as they land.
 */

import type { Command } from 'commander';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';
import { DISCLAIMER } from '../options.js';
import { runCommand } from '../run-command.js';
import { printStructureTable } from './structure-table.js';

export function registerDemo(program: Command, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('run the workflow on the built-in seed-case phantom')
    .option('--out <dir>', 'output folder', 'lattice-demo')
    .action(async (opts: { out: string }) => {
      setExit(
        await runCommand(() => {
          console.log(DISCLAIMER);
          const t0 = performance.now();
          const phantom = buildSeedPhantom();
          const t1 = performance.now();
          console.log(`\n1. seed-case phantom: ${phantom.grid.size.join(' x ')} voxels of ${phantom.grid.spacingMm.join(' x ')} mm, built in ${((t1 - t0) / 1000).toFixed(2)} s`);
          const out = writePhantom(`${opts.out}/phantom`, phantom, 'dicom');
          if (out.format === 'dicom') console.log(`   written as DICOM: ${out.written.ctDir} (${out.written.ctFiles.length} slices), ${out.written.rtstructFile}\n`);
          printStructureTable(phantom.structures);
        }),
      );
    });
}
