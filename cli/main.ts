/**
 * The `lattice` command line: parses arguments, does file I/O, calls the library. No computation
 * lives here.
 */

import { Command } from 'commander';
import { DISCLAIMER } from './options.js';
import { EXIT_ERROR } from './run-command.js';

type Register = (program: Command, setExit: (code: number) => void) => void;

/**
 * The commands in help order, each loaded when needed: a run of one command imports only that
 * command's modules (a whole-process `lattice evaluate` does not load the planner's).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  phantom: async () => (await import('./commands/phantom.js')).registerPhantom,
  info: async () => (await import('./commands/info.js')).registerInfo,
  place: async () => (await import('./commands/place.js')).registerPlace,
  plan: async () => (await import('./commands/plan.js')).registerPlan,
  evaluate: async () => (await import('./commands/evaluate.js')).registerEvaluate,
  dose: async () => (await import('./commands/dose.js')).registerDose,
};

/** The program with every command, or only `command` when given (and known). */
export async function buildProgram(setExit: (code: number) => void, command?: string): Promise<Command> {
  const program = new Command();
  program
    .name('lattice')
    .description(`Lattice SFRT planning and evaluation.\n${DISCLAIMER}`)
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  const names = command !== undefined && Object.hasOwn(COMMANDS, command) ? [command] : Object.keys(COMMANDS);
  const registers = await Promise.all(names.map((n) => COMMANDS[n]!()));
  for (const register of registers) register(program, setExit);
  return program;
}

/** Run the CLI on process.argv-style arguments; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = await buildProgram((c) => {
    code = c;
  }, argv[2]);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    // commander has already printed its message (unknown option, missing argument, --help, --version).
    const exitCode = (err as { exitCode?: number }).exitCode;
    return typeof exitCode === 'number' ? exitCode : EXIT_ERROR;
  }
  return code;
}
