/**
 * The `lattice` command line: parses arguments, does file I/O, calls the library. No computation
 * lives here.
 */

import { Command } from 'commander';
import { registerDemo } from './commands/demo.js';
import { registerDose } from './commands/dose.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerInfo } from './commands/info.js';
import { registerPlace } from './commands/place.js';
import { registerPlan } from './commands/plan.js';
import { registerPhantom } from './commands/phantom.js';
import { DISCLAIMER } from './options.js';
import { EXIT_ERROR } from './run-command.js';

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('lattice')
    .description(`Lattice SFRT planning and evaluation.\n${DISCLAIMER}`)
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerDemo(program, setExit);
  registerPhantom(program, setExit);
  registerInfo(program, setExit);
  registerPlace(program, setExit);
  registerPlan(program, setExit);
  registerEvaluate(program, setExit);
  registerDose(program, setExit);
  return program;
}

/** Run the CLI on process.argv-style arguments; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    // commander has already printed its message (unknown option, missing argument, --help, --version).
    const exitCode = (err as { exitCode?: number }).exitCode;
    return typeof exitCode === 'number' ? exitCode : EXIT_ERROR;
  }
  return code;
}
