/**
 * The lattice-rt browser viewer: axial / coronal / sagittal views of the CT with window presets,
 * structure outlines in their DICOM colours, the lattice spheres (click: go to the centre), the dose
 * as a colour wash with a scale and isodose lines, a readout under the cursor (LPS mm, HU, dose Gy),
 * the DVHs (uPlot) and the report's constraint table and vertex audit. Everything comes from the
 * `lattice view` server that served this page; nothing else is requested.
 *
 * Views are drawn in the CT's index space (i right, j down on the axial view; k up on the others),
 * one screen pixel block per CT voxel; the dose is sampled trilinearly at each CT voxel centre.
 */

import uPlot from 'uplot';
import { isolines } from './isolines.js';
import { ijkToLps, lpsToIjk, trilinear, type Vec3 } from './grid.js';
import type { CaseJson, DvhJson, GridJson, StructureJson } from './types.js';

type ViewName = 'axial' | 'coronal' | 'sagittal';
const VIEWS: readonly ViewName[] = ['axial', 'coronal', 'sagittal'];
/** Per view: horizontal index axis, vertical index axis, slice axis, vertical flipped (k up). */
const AXES: Readonly<Record<ViewName, { h: number; v: number; s: number; flip: boolean }>> = {
  axial: { h: 0, v: 1, s: 2, flip: false },
  coronal: { h: 0, v: 2, s: 1, flip: true },
  sagittal: { h: 1, v: 2, s: 0, flip: true },
};

/** Window presets (width, level) in HU. */
export const WINDOWS: Readonly<Record<string, { w: number; l: number }>> = {
  abdomen: { w: 400, l: 40 },
  lung: { w: 1500, l: -600 },
  bone: { w: 1800, l: 400 },
};

const ISODOSE_COLOURS = ['#ff2020', '#ffb000', '#20e0ff', '#40ff40', '#ff40ff', '#ffffff'];
/** The wash starts at this fraction of the peak dose. */
const WASH_MIN_FRACTION = 0.1;
const VIEW_BOX_PX = 420;

interface Level {
  readonly label: string;
  readonly gy: number;
  readonly colour: string;
}

interface Prepared {
  readonly s: StructureJson;
  readonly css: string;
  /** Polygons in continuous CT index (ci, cj) pairs, by slice k. */
  readonly byK: Map<number, Float64Array[]>;
}

interface State {
  pos: [number, number, number];
  window: { w: number; l: number };
  doseOn: boolean;
  washOpacity: number;
  levels: Level[];
  visible: Set<string>;
}

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`missing element #${id}`);
  return e as T;
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls !== undefined) e.className = cls;
  return e;
}

async function getJson<T>(path: string): Promise<T | null> {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

async function getText(path: string): Promise<string | null> {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return await r.text();
}

async function getBinary(path: string): Promise<ArrayBuffer | null> {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return await r.arrayBuffer();
}

/** Jet-like colour map, t in [0, 1]. */
function jet(t: number): [number, number, number] {
  const c = (x: number): number => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))];
}

function parseLevels(text: string, peakGy: number): Level[] {
  const out: Level[] = [];
  for (const raw of text.split(',')) {
    const t = raw.trim();
    const m = /^([0-9]*\.?[0-9]+)\s*(%|gy)?$/i.exec(t);
    if (m === null) continue;
    const v = Number(m[1]);
    const pct = (m[2] ?? '%') === '%';
    const gy = pct ? (v / 100) * peakGy : v;
    if (gy > 0) out.push({ label: pct ? `${v} % (${gy.toFixed(1)} Gy)` : `${v} Gy`, gy, colour: ISODOSE_COLOURS[out.length % ISODOSE_COLOURS.length]! });
  }
  return out;
}

function prepareStructures(c: CaseJson): Prepared[] {
  const g = c.ct.grid;
  return c.structures.map((s) => {
    const byK = new Map<number, Float64Array[]>();
    for (const pts of s.contours) {
      const n = pts.length / 3;
      if (n < 3) continue;
      const poly = new Float64Array(2 * n);
      let kSum = 0;
      for (let p = 0; p < n; p++) {
        const ijk = lpsToIjk(g, [pts[3 * p]!, pts[3 * p + 1]!, pts[3 * p + 2]!]);
        poly[2 * p] = ijk[0];
        poly[2 * p + 1] = ijk[1];
        kSum += ijk[2];
      }
      const k = Math.round(kSum / n);
      if (k < 0 || k >= g.size[2]) continue;
      const list = byK.get(k);
      if (list === undefined) byK.set(k, [poly]);
      else list.push(poly);
    }
    return { s, css: `rgb(${s.colorRgb[0]}, ${s.colorRgb[1]}, ${s.colorRgb[2]})`, byK };
  });
}

/**
 * A structure's cross-section on a coronal (axis 1 fixed at `at`) or sagittal (axis 0 fixed) view:
 * 1 where a voxel centre of the line lies inside the slice's polygons (even-odd), on a w x h raster.
 */
function sectionMask(p: Prepared, fixedAxis: 0 | 1, at: number, w: number, nz: number): Uint8Array {
  const mask = new Uint8Array(w * nz);
  const other = fixedAxis === 0 ? 1 : 0;
  const xs: number[] = [];
  for (const [k, polys] of p.byK) {
    xs.length = 0;
    for (const poly of polys) {
      const n = poly.length / 2;
      for (let a = 0, b = n - 1; a < n; b = a++) {
        const fa = poly[2 * a + fixedAxis]!, fb = poly[2 * b + fixedAxis]!;
        if (fa > at !== fb > at) xs.push(poly[2 * a + other]! + ((at - fa) / (fb - fa)) * (poly[2 * b + other]! - poly[2 * a + other]!));
      }
    }
    if (xs.length < 2) continue;
    xs.sort((u, v) => u - v);
    const row = (nz - 1 - k) * w;
    for (let q = 0; q + 1 < xs.length; q += 2) {
      const from = Math.max(0, Math.ceil(xs[q]!)), to = Math.min(w - 1, Math.floor(xs[q + 1]!));
      for (let x = from; x <= to; x++) mask[row + x] = 1;
    }
  }
  return mask;
}

class ViewerApp {
  readonly state: State;
  readonly canvases = new Map<ViewName, HTMLCanvasElement>();
  private readonly offscreen = new Map<ViewName, HTMLCanvasElement>();
  private readonly doseCache = new Map<string, Float32Array>();
  readonly prepared: Prepared[];
  dvhPlot: uPlot | null = null;
  /** Time of the last full render (ms), for the bench. */
  lastRenderMs = 0;

  constructor(
    readonly c: CaseJson,
    readonly ct: Int16Array,
    readonly dose: Float32Array | null,
  ) {
    const n = c.ct.grid.size;
    this.state = {
      pos: [Math.floor(n[0] / 2), Math.floor(n[1] / 2), Math.floor(n[2] / 2)],
      window: WINDOWS.abdomen!,
      doseOn: dose !== null,
      washOpacity: 0.4,
      levels: [],
      visible: new Set(c.structures.map((s) => s.name)),
    };
    this.prepared = prepareStructures(c);
  }

  get peakGy(): number {
    return this.c.dose?.maxGy ?? 0;
  }

  /** Size of a view's raster (voxels) and its screen scale (px per voxel along each axis). */
  layout(v: ViewName): { w: number; h: number; sx: number; sy: number } {
    const g = this.c.ct.grid;
    const a = AXES[v];
    const w = g.size[a.h], h = g.size[a.v];
    const mmW = w * g.spacingMm[a.h], mmH = h * g.spacingMm[a.v];
    const pxPerMm = VIEW_BOX_PX / Math.max(mmW, mmH);
    return { w, h, sx: g.spacingMm[a.h] * pxPerMm, sy: g.spacingMm[a.v] * pxPerMm };
  }

  /** The CT index of raster pixel (x, y) of a view at the current slice. */
  ijkAt(v: ViewName, x: number, y: number): [number, number, number] {
    const a = AXES[v];
    const { h } = this.layout(v);
    const ijk: [number, number, number] = [this.state.pos[0], this.state.pos[1], this.state.pos[2]];
    ijk[a.h] = x;
    ijk[a.v] = a.flip ? h - 1 - y : y;
    return ijk;
  }

  /** Client (page) coordinates of a voxel's centre on a view: for tests and the bench. */
  voxelToClient(v: ViewName, ijk: readonly number[]): { x: number; y: number } {
    const a = AXES[v];
    const { h, sx, sy } = this.layout(v);
    const x = ijk[a.h]!, y = a.flip ? h - 1 - ijk[a.v]! : ijk[a.v]!;
    const r = this.canvases.get(v)!.getBoundingClientRect();
    return { x: r.left + (x + 0.5) * sx, y: r.top + (y + 0.5) * sy };
  }

  doseAtLps(p: Vec3): number {
    if (this.dose === null || this.c.dose === null) return NaN;
    const q = lpsToIjk(this.c.dose.grid, p);
    return trilinear(this.c.dose.grid, this.dose, q[0], q[1], q[2]);
  }

  /** Dose at each CT voxel centre of a view's current slice (cached per slice). */
  doseSlice(v: ViewName): Float32Array | null {
    if (this.dose === null) return null;
    const a = AXES[v];
    const key = `${v}:${this.state.pos[a.s]}`;
    const hit = this.doseCache.get(key);
    if (hit !== undefined) return hit;
    const { w, h } = this.layout(v);
    const out = new Float32Array(w * h);
    const ctG = this.c.ct.grid, dG = this.c.dose!.grid;
    // the dose grid's continuous index is affine in the raster's (x, y): origin plus x and y steps
    const at = (x: number, y: number): Vec3 => lpsToIjk(dG, ijkToLps(ctG, this.ijkAt(v, x, y)));
    const q0 = at(0, 0), qx = at(1, 0), qy = at(0, 1);
    const dx = [qx[0] - q0[0], qx[1] - q0[1], qx[2] - q0[2]], dy = [qy[0] - q0[0], qy[1] - q0[1], qy[2] - q0[2]];
    const dose = this.dose;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // snap to 1e-9 voxel so a CT voxel centre on a dose voxel centre reads the stored value exactly
        const snap = (t: number): number => (Math.abs(t - Math.round(t)) < 1e-9 ? Math.round(t) : t);
        out[x + w * y] = trilinear(dG, dose, snap(q0[0] + x * dx[0]! + y * dy[0]!), snap(q0[1] + x * dx[1]! + y * dy[1]!), snap(q0[2] + x * dx[2]! + y * dy[2]!));
      }
    }
    if (this.doseCache.size > 600) this.doseCache.clear();
    this.doseCache.set(key, out);
    return out;
  }

  /** Bumped whenever what a view shows changes other than its slice (window, dose, levels, toggles). */
  version = 0;
  /** Per view: the image without the crosshair, and what it shows (slice and version). */
  private readonly bases = new Map<ViewName, { key: string; canvas: HTMLCanvasElement }>();

  /** Draw a view: from its cached image when only the crosshair moved, else in full. */
  render(v: ViewName): void {
    const a = AXES[v];
    const key = `${this.state.pos[a.s]}:${this.version}`;
    const base = this.bases.get(v);
    const canvas = this.canvases.get(v)!;
    if (base !== undefined && base.key === key) {
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(base.canvas, 0, 0);
      this.drawCrosshair(v, ctx);
      return;
    }
    this.renderFull(v);
    let b = base?.canvas;
    if (b === undefined) b = document.createElement('canvas');
    b.width = canvas.width;
    b.height = canvas.height;
    b.getContext('2d')!.drawImage(canvas, 0, 0);
    this.bases.set(v, { key, canvas: b });
    this.drawCrosshair(v, canvas.getContext('2d')!);
  }

  private drawCrosshair(v: ViewName, ctx: CanvasRenderingContext2D): void {
    const a = AXES[v];
    const { h, sx, sy } = this.layout(v);
    const cw = ctx.canvas.width, ch = ctx.canvas.height;
    ctx.lineWidth = 1;
    ctx.strokeStyle = 'rgba(255, 255, 0, 0.35)';
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    const cx = (this.state.pos[a.h] + 0.5) * sx;
    const cy = ((a.flip ? h - 1 - this.state.pos[a.v] : this.state.pos[a.v]) + 0.5) * sy;
    ctx.moveTo(cx, 0);
    ctx.lineTo(cx, ch);
    ctx.moveTo(0, cy);
    ctx.lineTo(cw, cy);
    ctx.stroke();
    ctx.setLineDash([]);
    const n = this.c.ct.grid.size[a.s];
    $(`slice-${v}`).textContent = `${'ijk'[a.s]} ${this.state.pos[a.s]} / ${n - 1}`;
    const range = $<HTMLInputElement>(`range-${v}`);
    range.max = String(n - 1);
    range.value = String(this.state.pos[a.s]);
  }

  private renderFull(v: ViewName): void {
    const a = AXES[v];
    const canvas = this.canvases.get(v)!;
    const { w, h, sx, sy } = this.layout(v);
    const g = this.c.ct.grid;
    const [nx, ny] = g.size;
    let off = this.offscreen.get(v);
    if (off === undefined) {
      off = document.createElement('canvas');
      off.width = w;
      off.height = h;
      this.offscreen.set(v, off);
    }
    const octx = off.getContext('2d')!;
    const img = octx.createImageData(w, h);
    const px = img.data;
    const lo = this.state.window.l - this.state.window.w / 2;
    const scale = 255 / this.state.window.w;
    const doseSlice = this.state.doseOn ? this.doseSlice(v) : null;
    const peak = this.peakGy;
    const washMin = WASH_MIN_FRACTION * peak;
    const alpha = this.state.washOpacity;
    // linear CT index of raster pixel (x, y): base + x * stepX + y * stepY
    const strides = [1, nx, nx * ny];
    const first = this.ijkAt(v, 0, 0);
    const base = first[0] + nx * (first[1] + ny * first[2]);
    const stepX = strides[a.h]!, stepY = a.flip ? -strides[a.v]! : strides[a.v]!;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const hu = this.ct[base + x * stepX + y * stepY]!;
        const grey = Math.max(0, Math.min(255, (hu - lo) * scale));
        let r = grey, gg = grey, b = grey;
        if (doseSlice !== null && peak > 0) {
          const d = doseSlice[x + w * y]!;
          if (d >= washMin) {
            const c = jet(Math.min(1, d / peak));
            r = (1 - alpha) * r + alpha * c[0];
            gg = (1 - alpha) * gg + alpha * c[1];
            b = (1 - alpha) * b + alpha * c[2];
          }
        }
        const o = 4 * (x + w * y);
        px[o] = r;
        px[o + 1] = gg;
        px[o + 2] = b;
        px[o + 3] = 255;
      }
    }
    octx.putImageData(img, 0, 0);
    const cw = Math.round(w * sx), ch = Math.round(h * sy);
    if (canvas.width !== cw || canvas.height !== ch) {
      canvas.width = cw;
      canvas.height = ch;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, cw, ch);
    const toX = (x: number): number => (x + 0.5) * sx;
    const toY = (y: number): number => (y + 0.5) * sy;

    // isodose lines
    if (doseSlice !== null) {
      ctx.lineWidth = 1.5;
      for (const level of this.state.levels) {
        const segs = isolines(doseSlice, w, h, level.gy);
        ctx.strokeStyle = level.colour;
        ctx.beginPath();
        for (let q = 0; q < segs.length; q += 4) {
          ctx.moveTo(toX(segs[q]!), toY(segs[q + 1]!));
          ctx.lineTo(toX(segs[q + 2]!), toY(segs[q + 3]!));
        }
        ctx.stroke();
      }
    }

    // structure outlines
    ctx.lineWidth = 2;
    for (const p of this.prepared) {
      if (!this.state.visible.has(p.s.name)) continue;
      ctx.strokeStyle = p.css;
      ctx.beginPath();
      if (v === 'axial') {
        for (const poly of p.byK.get(this.state.pos[2]) ?? []) {
          const n = poly.length / 2;
          ctx.moveTo(toX(poly[0]!), toY(poly[1]!));
          for (let q = 1; q < n; q++) ctx.lineTo(toX(poly[2 * q]!), toY(poly[2 * q + 1]!));
          ctx.closePath();
        }
      } else {
        const mask = sectionMask(p, a.s === 1 ? 1 : 0, this.state.pos[a.s], w, h);
        const segs = isolines(mask, w, h, 0.5);
        for (let q = 0; q < segs.length; q += 4) {
          ctx.moveTo(toX(segs[q]!), toY(segs[q + 1]!));
          ctx.lineTo(toX(segs[q + 2]!), toY(segs[q + 3]!));
        }
      }
      ctx.stroke();
    }
  }

  renderAll(): void {
    const t0 = performance.now();
    for (const v of VIEWS) this.render(v);
    this.lastRenderMs = performance.now() - t0;
  }

  setSlice(v: ViewName, index: number): void {
    const a = AXES[v];
    const n = this.c.ct.grid.size[a.s];
    const next = Math.max(0, Math.min(n - 1, Math.round(index)));
    if (next === this.state.pos[a.s]) return;
    this.state.pos[a.s] = next;
    this.renderAll();
  }

  /** Move the three views to the CT voxel nearest a point (LPS, mm). */
  goTo(p: readonly number[]): void {
    const g = this.c.ct.grid;
    const q = lpsToIjk(g, p);
    for (let r = 0; r < 3; r++) this.state.pos[r] = Math.max(0, Math.min(g.size[r]! - 1, Math.round(q[r]!)));
    this.renderAll();
  }

  /** What the readout shows for a CT voxel. */
  readout(ijk: readonly number[]): { lps: Vec3; hu: number; doseGy: number } {
    const g = this.c.ct.grid;
    const [nx, ny] = g.size;
    const lps = ijkToLps(g, ijk);
    return { lps, hu: this.ct[ijk[0]! + nx * (ijk[1]! + ny * ijk[2]!)]!, doseGy: this.doseAtLps(lps) };
  }

  showReadout(ijk: readonly number[]): void {
    const r = this.readout(ijk);
    $('readout-lps').textContent = `LPS (${r.lps.map((x) => x.toFixed(1)).join(', ')}) mm`;
    $('readout-ijk').textContent = `voxel (${ijk.join(', ')})`;
    $('readout-hu').textContent = `${r.hu} HU`;
    $('readout-dose').textContent = Number.isNaN(r.doseGy) ? 'no dose' : `${r.doseGy.toFixed(3)} Gy`;
  }

  pixelOf(v: ViewName, ev: MouseEvent): [number, number] | null {
    const canvas = this.canvases.get(v)!;
    const rect = canvas.getBoundingClientRect();
    const { w, h, sx, sy } = this.layout(v);
    const x = Math.floor((ev.clientX - rect.left) / sx), y = Math.floor((ev.clientY - rect.top) / sy);
    return x >= 0 && y >= 0 && x < w && y < h ? [x, y] : null;
  }
}

function buildViews(app: ViewerApp): void {
  for (const v of VIEWS) {
    const canvas = $<HTMLCanvasElement>(`view-${v}`);
    app.canvases.set(v, canvas);
    const a = AXES[v];
    canvas.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      app.setSlice(v, app.state.pos[a.s] + (ev.deltaY > 0 ? -1 : 1));
    }, { passive: false });
    canvas.addEventListener('mousemove', (ev) => {
      const p = app.pixelOf(v, ev);
      if (p !== null) app.showReadout(app.ijkAt(v, p[0], p[1]));
    });
    canvas.addEventListener('click', (ev) => {
      const p = app.pixelOf(v, ev);
      if (p === null) return;
      const ijk = app.ijkAt(v, p[0], p[1]);
      app.state.pos = ijk;
      app.renderAll();
      app.showReadout(ijk);
    });
    $<HTMLInputElement>(`range-${v}`).addEventListener('input', (ev) => app.setSlice(v, Number((ev.target as HTMLInputElement).value)));
  }
  document.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLInputElement) return;
    if (ev.key === 'PageUp' || ev.key === 'ArrowUp') app.setSlice('axial', app.state.pos[2] + 1);
    if (ev.key === 'PageDown' || ev.key === 'ArrowDown') app.setSlice('axial', app.state.pos[2] - 1);
  });
}

function buildControls(app: ViewerApp): void {
  const presets = $('window-presets');
  for (const [name, win] of Object.entries(WINDOWS)) {
    const b = el('button', name);
    b.type = 'button';
    b.dataset.preset = name;
    b.addEventListener('click', () => {
      app.state.window = win;
      app.version++;
      for (const x of presets.querySelectorAll('button')) x.classList.toggle('active', x === b);
      app.renderAll();
    });
    if (name === 'abdomen') b.classList.add('active');
    presets.append(b);
  }
  const doseToggle = $<HTMLInputElement>('dose-on');
  doseToggle.checked = app.state.doseOn;
  doseToggle.disabled = app.dose === null;
  doseToggle.addEventListener('change', () => {
    app.state.doseOn = doseToggle.checked;
    app.version++;
    app.renderAll();
  });
  const opacity = $<HTMLInputElement>('dose-opacity');
  opacity.value = String(app.state.washOpacity);
  opacity.addEventListener('input', () => {
    app.state.washOpacity = Number(opacity.value);
    app.version++;
    app.renderAll();
  });
  const levelsInput = $<HTMLInputElement>('isodose-levels');
  const low = app.c.prescriptionsGy[0];
  levelsInput.value = ['100%', '50%', '30%', ...(low !== undefined ? [`${low.gy} Gy`] : [])].join(', ');
  const applyLevels = (): void => {
    app.state.levels = parseLevels(levelsInput.value, app.peakGy);
    app.version++;
    const legend = $('isodose-legend');
    legend.replaceChildren(
      ...app.state.levels.map((l) => {
        const li = el('li', l.label);
        const sw = el('span', '', 'swatch');
        sw.style.backgroundColor = l.colour;
        li.prepend(sw);
        return li;
      }),
    );
    app.renderAll();
  };
  levelsInput.addEventListener('change', applyLevels);
  app.state.levels = parseLevels(levelsInput.value, app.peakGy);
  applyLevels();

  // dose scale
  const scale = $<HTMLCanvasElement>('dose-scale');
  const sctx = scale.getContext('2d')!;
  for (let y = 0; y < scale.height; y++) {
    const t = 1 - y / (scale.height - 1);
    const c = t >= WASH_MIN_FRACTION ? jet(t) : [40, 40, 40];
    sctx.fillStyle = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
    sctx.fillRect(0, y, scale.width, 1);
  }
  $('dose-scale-max').textContent = app.dose !== null ? `${app.peakGy.toFixed(1)} Gy` : 'no dose';
  $('dose-scale-mid').textContent = app.dose !== null ? `${(app.peakGy / 2).toFixed(1)} Gy` : '';
  $('dose-scale-min').textContent = app.dose !== null ? `${(WASH_MIN_FRACTION * app.peakGy).toFixed(1)} Gy` : '';

  // structures
  const list = $('structures');
  for (const p of app.prepared) {
    const li = el('li');
    const label = el('label');
    const cb = el('input');
    cb.type = 'checkbox';
    cb.checked = true;
    cb.dataset.structure = p.s.name;
    cb.addEventListener('change', () => {
      if (cb.checked) app.state.visible.add(p.s.name);
      else app.state.visible.delete(p.s.name);
      app.version++;
      app.renderAll();
    });
    const sw = el('span', '', 'swatch');
    sw.style.backgroundColor = p.css;
    label.append(cb, sw, document.createTextNode(p.s.name));
    li.append(label);
    list.append(li);
  }

  // spheres
  const spheres = $('spheres');
  if (app.c.spheres.length === 0) spheres.append(el('li', 'no lattice spheres in this case'));
  for (const s of app.c.spheres) {
    const b = el('button', s.name);
    b.type = 'button';
    b.dataset.sphere = s.name;
    b.title = `centre LPS (${s.centreLps.map((x) => x.toFixed(1)).join(', ')}) mm`;
    b.addEventListener('click', () => {
      app.goTo(s.centreLps);
      app.showReadout([...app.state.pos]);
    });
    const li = el('li');
    li.append(b);
    spheres.append(li);
  }
}

function buildDvh(app: ViewerApp, dvh: DvhJson): void {
  const host = $('dvh');
  $('dvh-source').textContent =
    dvh.curves.length === 0
      ? 'no DVHs (no dose)'
      : dvh.source === 'report.json'
        ? 'cumulative DVHs of the planned physical dose, from report.json (lattice evaluate / plan)'
        : 'cumulative DVHs of the planned physical dose, computed by lattice view with the library\'s DVH code';
  if (dvh.curves.length === 0) return;
  let maxDose = 0;
  for (const c of dvh.curves) maxDose = Math.max(maxDose, c.doseGy[c.doseGy.length - 1] ?? 0);
  const N = 500;
  const xs = Array.from({ length: N + 1 }, (_, q) => (maxDose * q) / N);
  const colourOf = new Map(app.c.structures.map((s) => [s.name, `rgb(${s.colorRgb[0]}, ${s.colorRgb[1]}, ${s.colorRgb[2]})`]));
  const ys = dvh.curves.map((c) => {
    // step interpolation of the cumulative curve at xs (0 beyond its last dose)
    const out = new Array<number>(xs.length);
    let q = 0;
    for (let t = 0; t < xs.length; t++) {
      const x = xs[t]!;
      while (q + 1 < c.doseGy.length && c.doseGy[q + 1]! <= x) q++;
      out[t] = x > c.doseGy[c.doseGy.length - 1]! ? 0 : q + 1 < c.doseGy.length && c.doseGy[q]! <= x ? c.volumePct[q]! + ((c.volumePct[q + 1]! - c.volumePct[q]!) * (x - c.doseGy[q]!)) / (c.doseGy[q + 1]! - c.doseGy[q]! || 1) : c.volumePct[q]!;
    }
    return out;
  });
  const opts: uPlot.Options = {
    width: 760,
    height: 380,
    scales: { x: { time: false }, y: { range: [0, 100] } },
    axes: [{ label: 'Dose (Gy, planned physical)' }, { label: 'Volume (%)' }],
    legend: { live: false },
    cursor: { drag: { x: true, y: false } },
    series: [{ label: 'Gy' }, ...dvh.curves.map((c) => ({ label: c.name, stroke: colourOf.get(c.name) ?? '#888', width: 1.5, points: { show: false } }))],
  };
  app.dvhPlot = new uPlot(opts, [xs, ...ys], host);
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], statusCol?: number): HTMLTableElement {
  const t = el('table');
  const tr = el('tr');
  for (const h of headers) tr.append(el('th', h));
  t.append(tr);
  for (const r of rows) {
    const row = el('tr');
    r.forEach((c, i) => {
      const td = el('td', c);
      if (i === statusCol) td.className = /^pass/i.test(c) ? 'good' : /fail/i.test(c) ? 'bad' : /not achievable/i.test(c) ? 'warn' : '';
      row.append(td);
    });
    t.append(row);
  }
  return t;
}

const fmt = (v: unknown, digits = 2): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : v === null || v === undefined ? '-' : String(v));

function buildReport(report: Record<string, unknown> | null, vertices: Record<string, unknown> | null): void {
  const host = $('constraints');
  if (report === null) host.append(el('p', 'no report.json beside the dose: run lattice evaluate (or lattice plan) for the constraint table'));
  else {
    const goals = (report.plan as { goals?: Record<string, unknown>[] } | undefined)?.goals;
    if (Array.isArray(goals)) {
      host.append(el('h3', 'Plan goals'));
      host.append(table(['goal', 'value', 'target', 'met'], goals.map((g) => [fmt(g.goal), `${fmt(g.value)} ${fmt(g.unit)}`, fmt(g.target), g.met === true ? 'pass' : 'fail']), 3));
    }
    const cons = report.constraints as { set?: string; basis?: string; results?: Record<string, unknown>[] } | undefined;
    if (cons !== undefined && Array.isArray(cons.results)) {
      host.append(el('h3', `Constraints: ${cons.set ?? ''} (${cons.basis ?? ''})`));
      host.append(
        table(
          ['organ', 'structures', 'metric', 'limit', 'value', 'status'],
          cons.results.map((r) => [
            fmt(r.label),
            Array.isArray(r.structures) ? r.structures.join(' + ') : '-',
            fmt(r.metric),
            `${fmt(r.comparison)} ${fmt(r.limit)} ${fmt(r.unit)}`,
            `${fmt(r.value)} ${fmt(r.unit)}`,
            fmt(r.status).replace(/-/g, ' '),
          ]),
          5,
        ),
      );
    } else host.append(el('p', 'report.json holds no constraint checks (no fraction count?)'));
  }
  const vh = $('vertex-audit');
  if (vertices === null) {
    vh.append(el('p', 'no vertices.json (the vertex audit lattice place / plan write)'));
    return;
  }
  const list = Array.isArray(vertices.vertices) ? (vertices.vertices as Record<string, unknown>[]) : [];
  const summary = vertices.summary as { spheres?: Record<string, unknown>[]; kept?: number; intact?: number; partial?: number } | undefined;
  const byVertex = new Map((summary?.spheres ?? []).map((s) => [s.vertex, s]));
  if (summary !== undefined) vh.append(el('p', `${fmt(summary.kept)} vertices kept: ${fmt(summary.intact)} intact, ${fmt(summary.partial)} partial`));
  vh.append(
    table(
      ['vertex', 'centre LPS (mm)', 'status', 'fraction inside', 'contour cc'],
      list.map((v) => {
        const s = byVertex.get(v.vertex);
        return [
          fmt(v.vertex),
          Array.isArray(v.centreLps) ? v.centreLps.map((x: unknown) => fmt(x, 1)).join(', ') : '-',
          fmt(v.status),
          fmt(s?.fractionInside, 3),
          fmt(s?.contourCc, 3),
        ];
      }),
    ),
  );
}

async function start(): Promise<void> {
  const status = $('status');
  status.textContent = 'loading';
  const t0 = performance.now();
  const [c, ctBuf, doseBuf] = await Promise.all([getJson<CaseJson>('api/case.json'), getBinary('api/ct.i16'), getBinary('api/dose.f32')]);
  if (c === null || ctBuf === null) throw new Error('the server sent no case');
  $('disclaimer').textContent = c.disclaimer;
  $('case-name').textContent = `${c.name} (patient ${c.patientId})`;
  const app = new ViewerApp(c, new Int16Array(ctBuf), doseBuf !== null ? new Float32Array(doseBuf) : null);
  buildViews(app);
  buildControls(app);
  app.renderAll();
  const firstRenderMs = performance.now() - t0;
  if (c.warnings.length > 0) $('warnings').replaceChildren(...c.warnings.map((w) => el('li', w)));
  (window as unknown as { latticeViewer: unknown }).latticeViewer = { app, firstRenderMs, ready: false };
  const [dvh, report, vertices, course] = await Promise.all([
    getJson<DvhJson>('api/dvh.json'),
    c.hasReport ? getJson<Record<string, unknown>>('api/report.json') : Promise.resolve(null),
    c.hasVertices ? getJson<Record<string, unknown>>('api/vertices.json') : Promise.resolve(null),
    getText('api/course.html'),
  ]);
  if (dvh !== null) buildDvh(app, dvh);
  buildReport(report, vertices);
  // the clinical course (lattice view --course): an HTML section rendered by our own server (src/course)
  if (course !== null) $('course').innerHTML = course;
  const completeMs = performance.now() - t0;
  // readyAtMs: since navigation start (page load, bundle parse, data, first render, DVH and tables)
  (window as unknown as { latticeViewer: unknown }).latticeViewer = { app, firstRenderMs, completeMs, readyAtMs: performance.now(), ready: true };
  status.textContent = `ready (first render ${firstRenderMs.toFixed(0)} ms)`;
  document.body.dataset.ready = 'true';
}

start().catch((err: unknown) => {
  const s = document.getElementById('status');
  if (s !== null) s.textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
  document.body.dataset.ready = 'error';
});

export type { GridJson };
