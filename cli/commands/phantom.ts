/** `lattice phantom --out DIR`: write the built-in seed-case phantom (DICOM by default). */

import { Option, type Command } from 'commander';
import { buildSeedPhantom, PHANTOM_FORMATS, writePhantom, type PhantomFormat } from '../../src/phantom/index.js';
import { positiveNumber } from '../options.js';
import { withOutputFolder } from '../../src/io/atomic.js';
import { runCommand } from '../run-command.js';
import { printStructureTable } from './structure-table.js';

export function registerPhantom(program: Command, setExit: (code: number) => void): void {
  program
    .command('phantom')
    .description('write the seed-case abdominal phantom: a DICOM CT series and RTSTRUCT, or NRRD volumes')
    .requiredOption('--out <dir>', 'output folder')
    .option('--voxel <mm>', 'voxel size in mm (isotropic)', positiveNumber('--voxel'), 2.5)
    .addOption(
      new Option('--format <format>', 'dicom: CT series + RTSTRUCT; nrrd: NRRD volumes + structures.json')
        .choices(PHANTOM_FORMATS)
        .default('dicom'),
    )
    .option('--force', 'write into a folder that holds files lattice did not write, replacing same-named ones')
    .action(async (opts: { out: string; voxel: number; format: PhantomFormat; force?: boolean }) => {
      setExit(
        await runCommand(() => {
          const phantom = buildSeedPhantom({ voxelSizeMm: opts.voxel });
          const out = withOutputFolder(opts.out, () => writePhantom(opts.out, phantom, opts.format), { emptyOrOwn: true, force: opts.force === true });
          console.log(
            out.format === 'dicom'
              ? `wrote ${out.written.ctFiles.length} CT slices and ${out.written.rtstructFile}`
              : `wrote NRRD volumes and structures.json to ${opts.out}`,
          );
          printStructureTable(phantom.structures);
        }),
      );
    });
}
