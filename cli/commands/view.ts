/**
 * `lattice view DIR [--port N] [--host H]`: serve the case under DIR (CT, structures, dose, the
 * report and the vertex audit, found in subfolders as `lattice info` finds them) to the browser
 * viewer on 127.0.0.1 (a free port unless --port), print the URL, open nothing. A non-loopback
 * --host needs the random token printed in the URL on every request. Runs until interrupted.
 */

import { InvalidArgumentError, type Command } from 'commander';
import { courseReportSection } from '../../src/course/report-section.js';
import { loadViewData } from '../../src/view/case-data.js';
import { isLoopback, startViewServer } from '../../src/view/server.js';
import { DISCLAIMER } from '../options.js';
import { runCommand } from '../run-command.js';

interface ViewOptions {
  readonly port?: number;
  readonly host: string;
  readonly course?: string;
}

function portNumber(value: string): number {
  const v = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(Number.isInteger(v) && v >= 0 && v <= 65535)) throw new InvalidArgumentError(`--port expects a port number 0-65535, found '${value}'`);
  return v;
}

export function registerView(program: Command, setExit: (code: number) => void): void {
  program
    .command('view')
    .description('serve a case (CT, structures, dose, DVHs, report) to a browser viewer on this machine; prints the URL')
    .argument('<dir>', 'a folder with a CT and RTSTRUCT (+ RTDOSE, report.json, vertices.json), searched recursively')
    .option('--port <n>', 'port (default: a free one)', portNumber)
    .option('--host <host>', 'address to listen on; a non-loopback one requires the printed token on every request', '127.0.0.1')
    .option('--course <file>', 'a clinical course file (lattice course, docs/course.md) shown below the plan')
    .action(async (dir: string, opts: ViewOptions) => {
      let running = false;
      const code = await runCommand(async () => {
        const course = opts.course !== undefined ? courseReportSection(opts.course, [dir]) : undefined;
        const data = loadViewData(dir);
        const s = await startViewServer(data, {
          host: opts.host,
          ...(opts.port !== undefined ? { port: opts.port } : {}),
          ...(course !== undefined ? { courseHtml: course.html } : {}),
        });
        console.log(DISCLAIMER);
        for (const w of [...data.caseJson.warnings, ...(course?.warnings ?? [])]) console.error(`warning: ${w}`);
        if (!isLoopback(opts.host)) console.error('warning: listening on a non-loopback address; anyone with the URL (it holds the token) can read this case');
        console.log(`lattice view: serving ${data.root} at ${s.url} (Ctrl-C to stop)`);
        running = true;
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            void s.close().then(resolve);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      });
      if (!running || code !== 0) setExit(code);
    });
}
