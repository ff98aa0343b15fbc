import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { InputError } from '../../src/core/errors.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { readDicomCase } from '../../src/io/dicom/case.js';
import { writeRtDose } from '../../src/io/dicom/write/rtdose.js';
import { loadViewData, type ViewData } from '../../src/view/case-data.js';
import { CSP, startViewServer, type ViewServer } from '../../src/view/server.js';
import { isolines } from '../../viewer/src/isolines.js';

/** A raw request: the path is sent exactly as given (no client-side normalisation). */
function get(origin: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A tiny in-memory case: what the server needs, without reading DICOM. */
function fakeData(): ViewData {
  const grid = { size: [2, 2, 1] as [number, number, number], spacingMm: [1, 1, 1] as [number, number, number], originMm: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  return {
    root: '/nonexistent',
    caseJson: { disclaimer: 'd', name: 'fake', patientId: 'p', ct: { grid, seriesInstanceUid: '1.2' }, dose: null, structures: [], spheres: [], prescriptionsGy: [], hasReport: false, hasVertices: false, warnings: [] },
    ctInt16: new Int16Array([0, 1, 2, 3]),
    doseFloat32: null,
    reportText: null,
    verticesText: null,
    dvh: () => ({ source: 'computed', curves: [] }),
  };
}

let assets: string;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lattice-view-server-'));
  assets = join(work, 'assets');
  mkdirSync(assets);
  writeFileSync(join(assets, 'index.html'), '<!DOCTYPE html><title>app</title>');
  writeFileSync(join(assets, 'viewer.js'), '// app');
  writeFileSync(join(assets, 'viewer.css'), '/* app */');
  // a secret next to the assets and the case, which no URL may reach
  writeFileSync(join(work, 'secret.txt'), 'SECRET');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lattice view server on loopback', () => {
  let s: ViewServer;
  beforeAll(async () => {
    s = await startViewServer(fakeData(), { assetsDir: assets });
  });
  afterAll(() => s.close());

  it('listens on 127.0.0.1 on a free port and serves the app and the data with a CSP that forbids other origins', async () => {
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get(s.origin, '/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>app</title>');
    expect(r.headers['content-security-policy']).toBe(CSP);
    expect(CSP).toMatch(/^default-src 'self';/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const ct = await get(s.origin, '/api/ct.i16');
    expect(ct.status).toBe(200);
    expect(ct.headers['content-type']).toBe('application/octet-stream');
    expect((await get(s.origin, '/api/case.json')).body).toContain('"name":"fake"');
    // no dose, no report: 404, not an error
    expect((await get(s.origin, '/api/dose.f32')).status).toBe(404);
    expect((await get(s.origin, '/api/report.json')).status).toBe(404);
  });

  it('refuses path traversal: ../, encoded %2e%2e, absolute paths and absolute-form targets reach nothing', async () => {
    const attempts = [
      '/../secret.txt',
      '/../../secret.txt',
      '/api/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/%2e%2e/secret.txt',
      '/api/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%5csecret.txt',
      '/api/..%5c..%5csecret.txt',
      `/${join(work, 'secret.txt')}`,
      join(work, 'secret.txt'),
      `//${join(work, 'secret.txt')}`,
      '/etc/passwd',
      '/../../../../../../etc/passwd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/index.html/../../secret.txt',
      '/viewer.js%00.html',
    ];
    for (const path of attempts) {
      const r = await get(s.origin, path);
      expect([400, 404], path).toContain(r.status);
      expect(r.body, path).not.toContain('SECRET');
      expect(r.body, path).not.toContain('root:');
    }
    const absoluteForm = await get(s.origin, `http://127.0.0.1/${join(work, 'secret.txt')}`);
    expect(absoluteForm.status).toBe(400);
  });

  it('is read-only: only GET and HEAD, anything else is 405', async () => {
    expect((await get(s.origin, '/api/case.json', { method: 'HEAD' })).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await get(s.origin, '/api/case.json', { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
    }
  });

  it('refuses a Host header that is not loopback (DNS rebinding)', async () => {
    expect((await get(s.origin, '/', { headers: { Host: 'attacker.example:80' } })).status).toBe(403);
    expect((await get(s.origin, '/', { headers: { Host: `localhost:${new URL(s.origin).port}` } })).status).toBe(200);
  });
});

describe('lattice view server on a non-loopback host', () => {
  it('requires the token on every request (query or the cookie its URL sets)', async () => {
    const external = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    const host = external ?? '0.0.0.0';
    const s = await startViewServer(fakeData(), { assetsDir: assets, host });
    try {
      expect(s.token).toMatch(/^[0-9a-f]{32}$/);
      expect(s.url).toBe(`http://${host}:${new URL(s.origin).port}/?token=${s.token}`);
      const target = external !== undefined ? s.origin : s.origin.replace('0.0.0.0', '127.0.0.1');
      expect((await get(target, '/')).status).toBe(403);
      expect((await get(target, '/api/ct.i16')).status).toBe(403);
      expect((await get(target, '/api/ct.i16?token=wrong')).status).toBe(403);
      expect((await get(target, `/api/ct.i16?token=${s.token!.slice(0, -1)}`)).status).toBe(403);
      const ok = await get(target, `/?token=${s.token}`);
      expect(ok.status).toBe(200);
      const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
      expect(cookie).toBe(`lattice_view_token=${s.token}`);
      expect((await get(target, '/api/ct.i16', { headers: { Cookie: cookie } })).status).toBe(200);
      expect((await get(target, '/api/ct.i16', { headers: { Cookie: 'lattice_view_token=x' } })).status).toBe(403);
    } finally {
      await s.close();
    }
  });
});

describe('lattice view case data', () => {
  let phantom: string;
  beforeAll(async () => {
    phantom = join(work, 'case', 'phantom');
    const log = console.log;
    console.log = () => undefined;
    try {
      expect(await main(['node', 'lattice', 'phantom', '--out', phantom, '--voxel', '10'])).toBe(0);
    } finally {
      console.log = log;
    }
  });

  it('reads a phantom found in a subfolder, as lattice info does, with the DICOM colours', () => {
    const d = loadViewData(join(work, 'case'));
    expect(d.caseJson.structures.map((s) => s.name)).toContain('GTV');
    expect(d.caseJson.structures.every((s) => s.colorFromDicom)).toBe(true);
    expect(d.ctInt16.length).toBe(d.caseJson.ct.grid.size.reduce((a, b) => a * b, 1));
    expect(d.caseJson.dose).toBeNull();
    expect(d.caseJson.spheres).toEqual([]);
  });

  it('refuses a case whose DICOM files are symlinks out of the folder', () => {
    const outer = join(work, 'linked');
    mkdirSync(outer);
    symlinkSync(phantom, join(outer, 'phantom'));
    expect(() => loadViewData(outer)).toThrow(InputError);
    expect(() => loadViewData(outer)).toThrow(/outside/);
  });

  it('without a report.json the DVHs are computed: a uniform 2 Gy dose gives a step at 2 Gy for every structure', () => {
    const withDose = join(work, 'uniform');
    cpSync(phantom, join(withDose, 'phantom'), { recursive: true });
    const c = readDicomCase(join(withDose, 'phantom'));
    const grid = c.ct.hu.grid;
    writeRtDose(
      {
        patientId: c.ct.patientId, patientName: c.ct.patientName, studyInstanceUid: c.ct.studyInstanceUid,
        seriesInstanceUid: '2.25.313370000000000000000000000000000021', frameOfReferenceUid: c.ct.frameOfReferenceUid,
        dose: createScalarVolume(grid, new Float32Array(c.ct.hu.data.length).fill(2)),
        summationType: 'PLAN', referencedPlanSopInstanceUid: '2.25.313370000000000000000000000000000022',
      },
      join(withDose, 'RTDOSE.dcm'),
    );
    const d = loadViewData(withDose);
    expect(d.caseJson.dose?.maxGy).toBeCloseTo(2, 6);
    const dvh = d.dvh();
    expect(dvh.source).toBe('computed');
    expect(dvh.curves.map((k) => k.name)).toEqual(d.caseJson.structures.map((s) => s.name));
    for (const k of dvh.curves) {
      k.doseGy.forEach((g, q) => {
        if (g < 1.99) expect(k.volumePct[q], `${k.name} at ${g} Gy`).toBeCloseTo(100, 6);
        if (g > 2.01) expect(k.volumePct[q], `${k.name} at ${g} Gy`).toBe(0);
      });
    }
  });

  it('does not serve a report.json that is a symlink out of the folder', async () => {
    const copy = join(work, 'copy');
    cpSync(phantom, join(copy, 'phantom'), { recursive: true });
    writeFileSync(join(work, 'outside-report.json'), '{"structures": [], "secret": "SECRET"}');
    symlinkSync(join(work, 'outside-report.json'), join(copy, 'report.json'));
    const d = loadViewData(copy);
    expect(d.caseJson.hasReport).toBe(false);
    const s = await startViewServer(d, { assetsDir: assets });
    try {
      const r = await get(s.origin, '/api/report.json');
      expect(r.status).toBe(404);
      expect(r.body).not.toContain('SECRET');
    } finally {
      await s.close();
    }
  });
});

describe('isolines (marching squares)', () => {
  it('a linear ramp 0..3 along x crosses 1.5 on the vertical line x = 1.5', () => {
    const w = 4, h = 3;
    const f = Float32Array.from({ length: w * h }, (_, n) => n % w);
    const segs = isolines(f, w, h, 1.5);
    expect(segs.length).toBe(4 * (h - 1));
    for (let q = 0; q < segs.length; q += 4) {
      expect(segs[q]).toBeCloseTo(1.5, 12);
      expect(segs[q + 2]).toBeCloseTo(1.5, 12);
    }
  });

  it('a single raised sample gives a closed diamond of four segments at half height', () => {
    const f = new Float32Array(9);
    f[4] = 1;
    const segs = isolines(f, 3, 3, 0.5);
    expect(segs.length).toBe(16);
    // every end point lies half way between the centre (1, 1) and a neighbour
    for (let q = 0; q < segs.length; q += 2) expect(Math.abs(segs[q]! - 1) + Math.abs(segs[q + 1]! - 1)).toBeCloseTo(0.5, 12);
  });
});

describe('lattice view command', () => {
  it('refuses a folder that does not exist, in one line, with exit status 1', async () => {
    const errors: string[] = [];
    const err = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await main(['node', 'lattice', 'view', join(tmpdir(), 'lattice-view-no-such-folder')])).toBe(1);
      expect(await main(['node', 'lattice', 'view', '.', '--port', '70000'])).toBe(1);
    } finally {
      console.error = err;
    }
    expect(errors[0]).toMatch(/^lattice: InputError: .*lattice-view-no-such-folder: no such file or folder$/);
    expect(errors[1]).toMatch(/--port expects a port number 0-65535, found '70000'/);
  });
});
