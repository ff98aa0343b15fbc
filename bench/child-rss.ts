/**
 * Fallback peak-memory probe for bench/plan.bench.ts when /usr/bin/time is absent: loaded into a
 * child `node` with `--import`, it writes process.resourceUsage().maxRSS (kilobytes; the whole
 * process, worker threads included) to the file named by LATTICE_BENCH_RSS_FILE when the process
 * exits. Does nothing without that variable. Not a suite (no `.bench` in its name).
 */

import { writeFileSync } from 'node:fs';

const file = process.env.LATTICE_BENCH_RSS_FILE;
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    writeFileSync(file, `${process.resourceUsage().maxRSS}\n`);
  });
}
