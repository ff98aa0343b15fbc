/**
 * The `lattice` command line: parses arguments, does file I/O, calls the library. No computation
 * lives here.
 */

import { Command, CommanderError } from 'commander';
import { escapeControl } from '../src/core/errors.js';
import type { Started } from './early.js';
import { DISCLAIMER } from './options.js';
import { reportError } from './run-command.js';

/** A command's registration; `started`: what the launcher started for it before the CLI loaded (cli/early.ts). */
type Register = (program: Command, setExit: (code: number) => void, started: Started) => void;

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
  'check-plan': async () => (await import('./commands/check-plan.js')).registerCheckPlan,
  course: async () => (await import('./commands/course.js')).registerCourse,
  view: async () => (await import('./commands/view.js')).registerView,
};

/** What `lattice --version` is asked as: it prints the version alone, so no command is loaded for it. */
const VERSION_FLAGS: ReadonlySet<string> = new Set(['--version', '-V']);

/**
 * The program with every command, or only `command` when given (and known), or none when `command` is
 * the version flag.
 */
export async function buildProgram(setExit: (code: number) => void, command?: string, started: Started = {}): Promise<Command> {
  const program = new Command();
  program
    .name('lattice')
    .description(`Lattice SFRT planning and evaluation.\n${DISCLAIMER}`)
    .version('0.1.0')
    // commander's errors are printed by main() as one line (oneLineError); help only on request
    .configureOutput({ outputError: () => undefined })
    .exitOverride();
  const version = command !== undefined && VERSION_FLAGS.has(command);
  const known = command !== undefined && Object.hasOwn(COMMANDS, command);
  const names = version ? [] : known ? [command] : Object.keys(COMMANDS);
  const registers = await Promise.all(names.map((n) => COMMANDS[n]!()));
  for (const register of registers) register(program, setExit, started);
  return program;
}

/**
 * Run the CLI on process.argv-style arguments; resolves to the exit code. `started`: what the launcher
 * started for the command before loading the CLI (cli/early.ts prestart).
 */
export async function main(argv: readonly string[], started: Started = {}): Promise<number> {
  let code = 0;
  const program = await buildProgram((c) => {
    code = c;
  }, argv[2], started);
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    // an option parser's own failure (not an InvalidArgumentError): one line, as a command's would be
    if (!(err instanceof CommanderError)) return reportError(err);
    // --help, --version and the usage printed for a bare `lattice` are commander's own output
    if (!QUIET_CODES.has(err.code)) {
      const command = argv[2] !== undefined && Object.hasOwn(COMMANDS, argv[2]) ? argv[2] : undefined;
      console.error(oneLineError(err.message, command));
    }
    return err.exitCode;
  }
  return code;
}

/** Commander's exits that print help or the version rather than an error. */
const QUIET_CODES: ReadonlySet<string> = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version', 'commander.executeSubCommandAsync']);

/**
 * Commander's error as one line: `lattice: error: WHAT (see lattice COMMAND --help)`. An option
 * parser's message already names the option and the value ("--grid-mm expects a decimal number ...,
 * found 'x'"), so commander's preamble ("option '--grid-mm <mm>' argument 'x' is invalid.") goes;
 * the "(Did you mean ...?)" line of an unknown option or command joins the first.
 */
export function oneLineError(message: string, command?: string): string {
  let text = message.replace(/^error: /u, '').trim();
  const invalid = /^option '(\S+)[^']*' argument '.*' is invalid\. (.*)$/su.exec(text);
  if (invalid !== null && invalid[2]!.startsWith(invalid[1]!)) text = invalid[2]!;
  const oneLine = escapeControl(text.replace(/\n(?=\(Did you mean)/u, ' '));
  return `lattice: error: ${oneLine} (see lattice${command !== undefined ? ` ${command}` : ''} --help)`;
}
