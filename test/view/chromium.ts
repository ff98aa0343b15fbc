/**
 * Debian's Chromium for the viewer tests, driven by playwright-core without any download. Present:
 * the tests run. Missing: a failure under CI=true, else the tests are skipped with a message naming
 * the Debian package (as test/helpers/external.ts does for the other tools).
 */

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const msg = `${CHROMIUM} is missing: install Debian package chromium`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: a missing tool is a failure)`);
  console.warn(`skipping the browser tests: ${msg}`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  // As root (containers, CI) Chromium refuses to start with its sandbox.
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: root ? ['--no-sandbox'] : [] });
}
