/**
 * `lattice demo`: the whole workflow on the built-in phantom, as far as it exists today:
 * 1. build the seed-case phantom and write it as DICOM (CT series + RTSTRUCT);
 * 2. read that case back and place the lattice vertices in the GTV with the case report's
 *    parameters, writing the new RTSTRUCT (with PTV_6670) and the vertex audit.
 * Dose and evaluation join as they land.
 */

import { join } from 'node:path';
import type { Command } from 'commander';
import { runPlacementForCase } from '../../src/lattice/run-case.js';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';
import { DISCLAIMER } from '../options.js';
import { runCommand } from '../run-command.js';
import { printStructureTable } from './structure-table.js';

const seconds = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(2);

export function registerDemo(program: Command, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('run the workflow on the built-in seed-case phantom')
    .option('--out <dir>', 'output folder', 'lattice-demo')
    .action(async (opts: { out: string }) => {
      setExit(
        await runCommand(() => {
          console.log(DISCLAIMER);
          let t0 = performance.now();
          const phantom = buildSeedPhantom();
          const phantomDir = join(opts.out, 'phantom');
          const out = writePhantom(phantomDir, phantom, 'dicom');
          const g = phantom.grid;
          console.log(
            `\n1. Seed-case phantom: ${g.size.join(' x ')} voxels of ${g.spacingMm.join(' x ')} mm (${seconds(t0)} s)`,
          );
          if (out.format === 'dicom') {
            console.log(`   DICOM: ${out.written.ctDir} (${out.written.ctFiles.length} CT slices), ${out.written.rtstructFile}\n`);
          }
          printStructureTable(phantom.structures);

          t0 = performance.now();
          const latticeDir = join(opts.out, 'lattice');
          const placed = runPlacementForCase(phantomDir, { target: 'GTV', outDir: latticeDir });
          console.log(`\n2. Lattice vertices in the GTV (case report parameters, ${seconds(t0)} s)`);
          for (const line of placed.summary) console.log(`   ${line}`);
          console.log(`   written: ${placed.rtstructFile ?? '(no RTSTRUCT: no vertex kept)'}, ${placed.verticesFile}`);
        }),
      );
    });
}
