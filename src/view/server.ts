/**
 * The `lattice view` HTTP server (node:http, no framework): serves the bundled viewer app and the
 * data of one case (ViewData), nothing else.
 *
 * Security, by construction:
 * - a fixed table of routes: the app's files by name from the bundle folder and the case's data
 *   endpoints; no request path is ever joined to a file path, so ../, %2e%2e, absolute paths and
 *   symlinks cannot reach anything (the case's own files were checked to lie under DIR when read);
 * - read-only: GET and HEAD only, anything else 405;
 * - Content-Security-Policy default-src 'self' (no request may leave the machine), nosniff,
 *   no-referrer, no framing;
 * - loopback by default; on a non-loopback host every request needs the random token (the URL's
 *   ?token=, or the cookie set when that URL is opened), compared in constant time; on loopback
 *   the Host header must name the loopback address (no DNS rebinding).
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../core/errors.js';
import type { ViewData } from './case-data.js';

/** The app's files, by URL path: the only static files served. */
export const APP_FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/viewer.js': { file: 'viewer.js', type: 'text/javascript; charset=utf-8' },
  '/viewer.css': { file: 'viewer.css', type: 'text/css; charset=utf-8' },
};

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TOKEN_COOKIE = 'lattice_view_token';

export interface ViewServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Folder of the bundled app (index.html, viewer.js, viewer.css). Default: the package's dist/viewer. */
  readonly assetsDir?: string;
  /** Token required on a non-loopback host. Default: 32 random hex digits. */
  readonly token?: string;
  /** The clinical course as an HTML section (src/course/report-section.ts), served as /api/course.html. */
  readonly courseHtml?: string;
}

export interface ViewServer {
  readonly server: Server;
  /** The URL to open (with ?token= on a non-loopback host). */
  readonly url: string;
  readonly origin: string;
  readonly token: string | undefined;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The package root: the nearest folder above this module holding package.json. */
function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json'))) return d;
    const up = dirname(d);
    if (up === d) throw new InputError('cannot find the lattice-rt package folder (for the viewer app)');
    d = up;
  }
}

export const defaultAssetsDir = (): string => join(packageRoot(), 'dist', 'viewer');

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return v.join('=');
  }
  return undefined;
}

/** Start serving `data`; resolves once listening. */
export async function startViewServer(data: ViewData, options: ViewServerOptions = {}): Promise<ViewServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopback(host);
  const token = loopback ? undefined : (options.token ?? randomBytes(16).toString('hex'));
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  const assets = new Map<string, Buffer>();
  for (const { file } of Object.values(APP_FILES)) {
    const path = join(assetsDir, file);
    if (!existsSync(path)) throw new InputError(`${path}: the viewer app is not built (run npm run build)`);
    assets.set(file, readFileSync(path));
  }
  const ct = Buffer.from(data.ctInt16.buffer, data.ctInt16.byteOffset, data.ctInt16.byteLength);
  const dose = data.doseFloat32 !== null ? Buffer.from(data.doseFloat32.buffer, data.doseFloat32.byteOffset, data.doseFloat32.byteLength) : null;
  const caseJson = Buffer.from(JSON.stringify(data.caseJson));
  let port = options.port ?? 0;

  const routes: Record<string, () => { body: Buffer; type: string } | null> = {
    '/api/case.json': () => ({ body: caseJson, type: 'application/json' }),
    '/api/ct.i16': () => ({ body: ct, type: 'application/octet-stream' }),
    '/api/dose.f32': () => (dose !== null ? { body: dose, type: 'application/octet-stream' } : null),
    '/api/dvh.json': () => ({ body: Buffer.from(JSON.stringify(data.dvh())), type: 'application/json' }),
    '/api/report.json': () => (data.reportText !== null ? { body: Buffer.from(data.reportText), type: 'application/json' } : null),
    '/api/vertices.json': () => (data.verticesText !== null ? { body: Buffer.from(data.verticesText), type: 'application/json' } : null),
    '/api/course.html': () => (options.courseHtml !== undefined ? { body: Buffer.from(options.courseHtml), type: 'text/html; charset=utf-8' } : null),
  };

  const send = (res: ServerResponse, status: number, body: Buffer | string, type: string, head: boolean, extra: Record<string, string> = {}): void => {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': String(buf.length),
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(head ? undefined : buf);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    if (method !== 'GET' && !head) {
      send(res, 405, 'method not allowed: lattice view is read-only\n', 'text/plain; charset=utf-8', false, { Allow: 'GET, HEAD' });
      return;
    }
    const raw = req.url ?? '/';
    // Only origin-form targets ("/path?query"); "//x", absolute URLs and "*" are refused.
    if (!raw.startsWith('/') || raw.startsWith('//')) {
      send(res, 400, 'bad request\n', 'text/plain; charset=utf-8', head);
      return;
    }
    const url = new URL(raw, 'http://view.invalid');
    if (loopback) {
      const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!isLoopback(hostHeader)) {
        send(res, 403, 'forbidden: Host is not a loopback address\n', 'text/plain; charset=utf-8', head);
        return;
      }
    } else {
      const given = url.searchParams.get('token') ?? cookieToken(req);
      if (!sameToken(given ?? undefined, token!)) {
        send(res, 403, 'forbidden: a token is required (open the URL lattice view printed)\n', 'text/plain; charset=utf-8', head);
        return;
      }
    }
    // The raw path is compared as sent: "/%2e%2e/x" or "/api/../x" match no route.
    const path = raw.split('?')[0]!;
    const extra: Record<string, string> = token !== undefined ? { 'Set-Cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/` } : {};
    const app = Object.hasOwn(APP_FILES, path) ? APP_FILES[path] : undefined;
    if (app !== undefined) {
      send(res, 200, assets.get(app.file)!, app.type, head, extra);
      return;
    }
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    const found = route?.();
    if (found === undefined || found === null) {
      send(res, 404, 'not found\n', 'text/plain; charset=utf-8', head);
      return;
    }
    send(res, 200, found.body, found.type, head, extra);
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!res.headersSent) send(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}\n`, 'text/plain; charset=utf-8', false);
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${hostInUrl}:${port}`;
  return {
    server,
    origin,
    url: token !== undefined ? `${origin}/?token=${token}` : `${origin}/`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
