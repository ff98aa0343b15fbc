/** `lattice phantom --out DIR`: write the built-in seed-case phantom. */

import type { Command } from 'commander';
import { buildSeedPhantom } from '../../src/phantom/seed-case.js';
import { writeVolumeSet } from '../../src/io/volume-set.js';
import { positiveNumber } from '../main.js';
import { runCommand } from '../run-command.js';
import { printStructureTable } from './structure-table.js';

export function registerPhantom(program: Command, setExit: (code: number) => void): void {
  program
    .command('phantom')
    .description('write the seed-case abdominal phantom (CT and structures)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--voxel <mm>', 'voxel size in mm (isotropic)', positiveNumber('--voxel'), 2.5)
    .option('--format <format>', 'nrrd: NRRD volumes plus structures.json', 'nrrd')
    .action(async (opts: { out: string; voxel: number; format: string }) => {
      setExit(
        await runCommand(() => {
          const phantom = buildSeedPhantom({ voxelSizeMm: opts.voxel });
          writeVolumeSet(opts.out, phantom.ct, phantom.structures);
          console.log(`wrote the seed-case phantom to ${opts.out} (NRRD volumes + structures.json)`);
          printStructureTable(phantom.structures);
        }),
      );
    });
}
