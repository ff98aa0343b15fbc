/**
 * `lattice info PATH [--json]`: what a DICOM file or folder holds. Exits non-zero, saying why, when
 * nothing under PATH could be read.
 */

import type { Command } from 'commander';
import { DicomError } from '../../src/core/errors.js';
import { describeDicom, formatSummary, nothingReadReason } from '../../src/io/dicom/read/describe.js';
import { runCommand } from '../run-command.js';

export function registerInfo(program: Command, setExit: (code: number) => void): void {
  program
    .command('info')
    .description('list the patients, studies, series, CT grid, ROIs (with volumes), doses and plans under PATH')
    .argument('<path>', 'a DICOM file or a folder (searched recursively)')
    .option('--json', 'print JSON instead of text')
    .action(async (path: string, opts: { json?: boolean }) => {
      setExit(
        await runCommand(() => {
          const summary = describeDicom(path, { roiVolumes: true });
          const why = nothingReadReason(summary);
          if (why !== undefined) throw new DicomError(`${path}: ${why}`);
          console.log(opts.json === true ? JSON.stringify(summary, null, 2) : formatSummary(summary));
        }),
      );
    });
}
