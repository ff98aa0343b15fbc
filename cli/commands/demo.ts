/**
 * `lattice demo`: the whole workflow on the built-in phantom:
 * 1. build the seed-case phantom and write it as DICOM (CT series + RTSTRUCT);
 * 2. plan it with the seed-case template (`lattice plan`): place the lattice vertices in the GTV with
 *    the case report's parameters, optimise the simultaneous integrated boost (20 Gy to PTV_2000,
 *    66.7 Gy to the spheres, 5 fractions, TG-101 limits), recompute the final dose on the full grid;
 *    the fluence plan by default (about a minute), the template's two VMAT arcs with `--delivery vmat`
 *    (sequencing, aperture and MU optimisation, RTPLAN: several minutes more);
 * 3. evaluate that dose (as `lattice evaluate` does) and print the case report's Table 1 (organ,
 *    limit, achieved) and the peak / valley figures.
 */

import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';
import { planCase } from '../../src/plan/run-case.js';
import { SEED_CASE_TABLE1 } from '../../src/plan/seed-case-reference.js';
import { DISCLAIMER } from '../options.js';
import { checkOutputFolder, withOutputFolder } from '../../src/io/atomic.js';
import { runCommand } from '../run-command.js';
import { PLAN_OUTPUTS, positiveInteger, printPlanSummary, progressLine } from './plan.js';
import { printStructureTable } from './structure-table.js';

const seconds = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(2);

export function registerDemo(program: Command, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('run the workflow on the built-in seed-case phantom: phantom -> place -> plan -> evaluate')
    .option('--out <dir>', 'output folder', 'lattice-demo')
    .option('--max-iterations <n>', 'cap on optimiser iterations (default: the template\'s)', positiveInteger('--max-iterations'))
    .addOption(
      new Option('--delivery <mode>', 'fluence: the optimised static-beam plan (fast); vmat: the seed-case template\'s two arcs, written as RTPLAN (several minutes more); imrt: step-and-shoot')
        .choices(['fluence', 'vmat', 'imrt'])
        .default('fluence'),
    )
    .option('--no-progress', 'no progress line on stderr')
    .option('--force', 'write into folders that hold files lattice did not write, replacing same-named ones')
    .action(async (opts: { out: string; maxIterations?: number; delivery: 'fluence' | 'vmat' | 'imrt'; progress: boolean; force?: boolean }) => {
      setExit(
        await runCommand(() => {
          checkOutputFolder(opts.out);
          console.log(DISCLAIMER);
          const tAll = performance.now();
          let t0 = performance.now();
          const phantom = buildSeedPhantom();
          const phantomDir = join(opts.out, 'phantom');
          const force = opts.force === true;
          const out = withOutputFolder(phantomDir, () => writePhantom(phantomDir, phantom, 'dicom'), { emptyOrOwn: true, force });
          const g = phantom.grid;
          console.log(
            `\n1. Seed-case phantom: ${g.size.join(' x ')} voxels of ${g.spacingMm.join(' x ')} mm (${seconds(t0)} s)`,
          );
          if (out.format === 'dicom') {
            console.log(`   DICOM: ${out.written.ctDir} (${out.written.ctFiles.length} CT slices), ${out.written.rtstructFile}\n`);
          }
          printStructureTable(phantom.structures);

          t0 = performance.now();
          const planDir = join(opts.out, 'plan');
          const bar = progressLine(opts.progress);
          let r;
          try {
            r = withOutputFolder(planDir, () => planCase(phantomDir, {
              template: 'seed-case',
              outDir: planDir,
              delivery: opts.delivery,
              ...(opts.maxIterations !== undefined ? { maxIterations: opts.maxIterations } : {}),
              onProgress: bar.update,
            }), { replaces: PLAN_OUTPUTS, force });
          } finally {
            bar.done();
          }
          for (const w of r.warnings) console.error(`lattice: warning: ${w}`);
          console.log(`\n2. Lattice vertices in the GTV (case report parameters: 15 mm spheres, 60 mm apart in-plane, planes 30 mm apart)`);
          for (const line of r.structures.placement?.summary ?? ['no vertex placed']) console.log(`   ${line}`);
          const o = r.optimised;
          console.log(
            `\n3. Optimised SIB plan (template seed-case: 20 Gy to PTV_2000, 66.7 Gy to PTV_6670, 5 fx): ${o.beams.length} beams, ` +
              `${o.nBeamlets} beamlets of ${o.beamletMm} mm, ${o.cloud.count} optimisation points, ${o.solver.iterations} iterations (${seconds(t0)} s)`,
          );
          console.log(`\n4. Evaluation of the final dose (report: ${r.files.reportHtml})`);
          printPlanSummary(r, '   ', SEED_CASE_TABLE1);
          console.log('   (case report: Table 1 of the 2025 report, a Monaco VMAT plan of the real patient; the phantom only resembles that anatomy)');
          console.log(`\n   written: ${Object.values(r.files).join(', ')}`);
          console.log(`\nDemo finished in ${seconds(tAll)} s. Evaluate again with: lattice evaluate ${opts.out} --dose ${r.files.rtdose} --fractions-planned 5 --out DIR`);
          if (opts.delivery === 'fluence') {
            console.log('The deliverable plan (two VMAT arcs on an Elekta Agility, written as RTPLAN.dcm; the seed-case template\'s delivery) takes several minutes more: lattice demo --delivery vmat');
          }
        }),
      );
    });
}
