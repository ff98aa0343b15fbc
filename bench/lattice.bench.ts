/**
 * Lattice vertex placement: wall time of placeVertices (fields + exhaustive 1 mm translation search +
 * evaluation) on the seed-case phantom at 2.5 mm, with the case report's parameters and 'auto'
 * organs at risk, for the GTV (1268 cc) and for the 1640 cc PTV_2000 (the target size):
 * target < 3 s on two cores. Then vertex counts (kept = intact + partial) of the search against the
 * baseline (one grid anchored at the target centroid, no search) on the phantom and on four more
 * target shapes built here: a lobulated ellipsoid of about 1600 cc, a 100 x 80 x 120 mm box, a
 * 55 mm ball, and an L-shaped target, all on 2.5 mm grids with no organs at risk.
 */

import { createGrid, type Grid } from '../src/geometry/grid.js';
import type { MaskStructure } from '../src/geometry/structure.js';
import { createMask, maskVolumeCc, type Mask } from '../src/geometry/volume.js';
import { selectOars } from '../src/lattice/oars.js';
import { placeVertices } from '../src/lattice/placement.js';
import { buildSeedPhantom } from '../src/phantom/seed-case.js';
import { timeIt, underSeconds, type BenchSuite, type Measurement } from './harness.js';

const SPACING_MM = 2.5;

function grid(extentMm: number): Grid {
  const n = Math.round(extentMm / SPACING_MM) + 1;
  const o = (-(n - 1) / 2) * SPACING_MM;
  return createGrid({ size: [n, n, n], spacingMm: [SPACING_MM, SPACING_MM, SPACING_MM], originMm: [o, o, o] });
}

function shape(name: string, g: Grid, inside: (x: number, y: number, z: number) => boolean): MaskStructure {
  const m: Mask = createMask(g);
  const [nx, ny, nz] = g.size;
  const o = g.originMm;
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        if (inside(o[0] + i * SPACING_MM, o[1] + j * SPACING_MM, o[2] + k * SPACING_MM)) m.data[p] = 1;
      }
    }
  }
  return { name, interpretedType: 'GTV', colorRgb: [255, 0, 0], mask: m };
}

function lobulated(x: number, y: number, z: number): boolean {
  const u = (x - 1.3) / 78, v = (y + 0.7) / 64, w = (z - 0.4) / 80;
  const r = Math.sqrt(u * u + v * v + w * w);
  const az = Math.atan2(v, u);
  const el = r > 0 ? Math.acos(w / r) : 0;
  return r <= 1 + 0.12 * Math.sin(3 * az) * Math.sin(2 * el);
}

const counts = (label: string, t: MaskStructure, oars: readonly MaskStructure[]): Measurement[] => {
  const r = placeVertices(t, oars, {});
  const cc = maskVolumeCc(t.mask).toFixed(0);
  return [
    { name: `${label} (${cc} cc): search, kept (intact + partial)`, value: r.best.score.intact + r.best.score.partial, unit: 'vertices' },
    { name: `${label}: search, intact`, value: r.best.score.intact, unit: 'vertices' },
    { name: `${label}: baseline (centroid grid), kept`, value: r.baseline.score.intact + r.baseline.score.partial, unit: 'vertices' },
    { name: `${label}: baseline (centroid grid), intact`, value: r.baseline.score.intact, unit: 'vertices' },
  ];
};

export const suite: BenchSuite = {
  name: 'lattice',
  run(): Measurement[] {
    const p = buildSeedPhantom();
    const gtv = p.structures.find((s) => s.name === 'GTV')!;
    const ptv = p.structures.find((s) => s.name === 'PTV_2000')!;
    const oars = selectOars(p.structures, gtv, 'auto').oars;
    const oarsPtv = selectOars(p.structures, ptv, 'auto').oars;
    const tGtv = timeIt(() => placeVertices(gtv, oars, {}), 3);
    const tPtv = timeIt(() => placeVertices(ptv, oarsPtv, {}), 3);
    const out: Measurement[] = [
      underSeconds('placeVertices, phantom GTV (1268 cc), 2.5 mm, seed, auto OARs', tGtv.seconds, 3),
      underSeconds('placeVertices, phantom PTV_2000 (1640 cc), 2.5 mm, seed, auto OARs', tPtv.seconds, 3),
      { name: 'phantom GTV: layouts searched (1 mm offsets)', value: tGtv.result.layoutsSearched, unit: 'layouts' },
    ];
    out.push(...counts('phantom GTV, auto OARs', gtv, oars));
    const g = grid(300);
    out.push(...counts('lobulated ellipsoid', shape('lobulated', g, lobulated), []));
    out.push(...counts('box 100 x 80 x 120 mm', shape('box', g, (x, y, z) => Math.abs(x - 0.6) <= 50 && Math.abs(y + 1.1) <= 40 && Math.abs(z - 0.3) <= 60), []));
    out.push(...counts('ball r = 55 mm', shape('ball', g, (x, y, z) => Math.hypot(x - 0.8, y - 0.3, z + 0.5) <= 55), []));
    out.push(
      ...counts(
        'L-shape',
        shape('L', g, (x, y, z) => Math.abs(z) <= 45 && ((x >= -70 && x <= 70 && y >= -70 && y <= -20) || (x >= -70 && x <= -20 && y >= -70 && y <= 70))),
        [],
      ),
    );
    return out;
  },
};
