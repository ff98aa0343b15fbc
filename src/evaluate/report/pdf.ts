/**
 * report.html -> report.pdf through headless Chromium (Debian package `chromium`): the HTML is
 * written to a private temporary folder, printed there with `chromium --headless --no-sandbox
 * --print-to-pdf=...`, checked (the file starts with %PDF-) and then written to its place with
 * writeFileAtomic (temporary name, then rename; inside withOutputFolder, staged with the rest).
 * Chromium is /usr/bin/chromium, else `chromium` on PATH; missing: a ChromiumError naming the
 * package. The report is one offline file (inline SVG and data: images): nothing is fetched.
 */

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LatticeError } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';

/** Chromium is missing, failed, or wrote no PDF. */
export class ChromiumError extends LatticeError {}

export const CHROMIUM_PACKAGE = 'chromium';
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** /usr/bin/chromium, else the first `chromium` on `searchPath` (default: $PATH); undefined when neither. */
export function findChromium(searchPath: string | undefined = process.env.PATH, preferred: string = DEFAULT_CHROMIUM): string | undefined {
  if (preferred !== '' && executable(preferred)) return preferred;
  for (const dir of (searchPath ?? '').split(delimiter)) {
    if (dir === '') continue;
    const f = join(dir, 'chromium');
    if (existsSync(f) && executable(f)) return f;
  }
  return undefined;
}

/** The Chromium to print with, or a ChromiumError naming the Debian package (check before long work). */
export function requireChromium(searchPath: string | undefined = process.env.PATH, preferred: string = DEFAULT_CHROMIUM): string {
  const chromium = findChromium(searchPath, preferred);
  if (chromium === undefined) {
    throw new ChromiumError(`--pdf needs Chromium: expected ${DEFAULT_CHROMIUM} or chromium on PATH, found neither; install the Debian package ${CHROMIUM_PACKAGE} (apt-get install ${CHROMIUM_PACKAGE})`);
  }
  return chromium;
}

export interface PrintPdfOptions {
  /** The Chromium executable (default: findChromium()). */
  readonly chromium?: string;
  /** Give up after this long (default 120 s). */
  readonly timeoutMs?: number;
}

/** Print `html` (one self-contained page) to `pdfPath` (atomically). Returns the PDF's size in bytes. */
export function printHtmlToPdf(html: string, pdfPath: string, options: PrintPdfOptions = {}): number {
  const chromium = options.chromium ?? requireChromium();
  const work = mkdtempSync(join(tmpdir(), 'lattice-pdf-'));
  try {
    const htmlFile = join(work, 'report.html');
    const pdfFile = join(work, 'report.pdf');
    writeFileSync(htmlFile, html);
    const r = spawnSync(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-extensions',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-pdf-header-footer',
        `--user-data-dir=${join(work, 'profile')}`,
        `--print-to-pdf=${pdfFile}`,
        pathToFileURL(htmlFile).href,
      ],
      { encoding: 'utf8', timeout: options.timeoutMs ?? 120_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (r.error !== undefined) throw new ChromiumError(`could not run ${chromium} to print the report: ${r.error.message}`, {}, { cause: r.error });
    const bytes = existsSync(pdfFile) ? readFileSync(pdfFile) : undefined;
    if (bytes === undefined || bytes.length < 5 || bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
      const tail = `${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
      throw new ChromiumError(
        `${chromium} wrote no PDF (exit ${r.status ?? r.signal}${bytes !== undefined ? `, a file of ${bytes.length} bytes not starting with %PDF-` : ''})${tail !== '' ? `: ${tail}` : ''}`,
      );
    }
    writeFileAtomic(pdfPath, bytes);
    return bytes.length;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
