import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { IDENTITY3 } from '../../src/core/vec3.js';
import { createGrid, lpsToContinuousIndex } from '../../src/geometry/grid.js';
import { expandMask } from '../../src/geometry/margins.js';
import type { MaskStructure } from '../../src/geometry/structure.js';
import { createMask, type Mask } from '../../src/geometry/volume.js';
import { buildSeedPhantom, type SeedPhantom } from '../../src/phantom/seed-case.js';

// ---- expected values, from the seed case report (physics.md §0), not from the generator ----
const CASE_PTV_2000_CC = 1639.97;
const CASE_LIVER_OUTSIDE_GTV_CC = 504.5;
const CASE_KIDNEY_L_CC = 200.0;
const CASE_KIDNEY_R_CC = 177.8;

const STRUCTURES: readonly [string, string][] = [
  ['BODY', 'EXTERNAL'],
  ['GTV', 'GTV'],
  ['PTV_2000', 'PTV'],
  ['Liver', 'ORGAN'],
  ['Liver-GTV', 'ORGAN'],
  ['Kidney_L', 'ORGAN'],
  ['Kidney_R', 'ORGAN'],
  ['Aorta', 'ORGAN'],
  ['IVC', 'ORGAN'],
  ['GreatVessels', 'ORGAN'],
  ['Esophagus', 'ORGAN'],
  ['Stomach', 'ORGAN'],
  ['Duodenum', 'ORGAN'],
  ['Bowel_Small', 'ORGAN'],
  ['Colon', 'ORGAN'],
  ['Lung_L', 'ORGAN'],
  ['Lung_R', 'ORGAN'],
  ['Vertebrae', 'ORGAN'],
  ['SpinalCord', 'ORGAN'],
];

/** Organs that must never share a voxel (Liver ⊃ GTV, Liver ⊃ Liver-GTV and GreatVessels = Aorta ∪ IVC are allowed). */
const DISJOINT = [
  'GTV',
  'Kidney_L',
  'Kidney_R',
  'Aorta',
  'IVC',
  'Esophagus',
  'Stomach',
  'Duodenum',
  'Bowel_Small',
  'Colon',
  'Lung_L',
  'Lung_R',
  'Vertebrae',
  'SpinalCord',
];

const NEAR_GTV = ['Duodenum', 'Stomach', 'Kidney_R', 'IVC', 'Colon'];

// ---- helpers written for the tests (independent of the code under test) ----

function structure(p: SeedPhantom, name: string): MaskStructure {
  const s = p.structures.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no structure ${name}`);
  return s;
}
const maskOf = (p: SeedPhantom, name: string): Mask => structure(p, name).mask;

function countOf(m: Mask): number {
  let n = 0;
  for (let i = 0; i < m.data.length; i++) if (m.data[i] !== 0) n++;
  return n;
}

function volumeCc(m: Mask): number {
  const s = m.grid.spacingMm;
  return (countOf(m) * s[0] * s[1] * s[2]) / 1000;
}

/** Voxels in a and not in b, in cc. */
function differenceCc(a: Mask, b: Mask): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== 0 && b.data[i] === 0) n++;
  const s = a.grid.spacingMm;
  return (n * s[0] * s[1] * s[2]) / 1000;
}

function overlapCount(a: Mask, b: Mask): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== 0 && b.data[i] !== 0) n++;
  return n;
}

/**
 * Smallest centre-to-centre distance (mm) between a voxel of a and a voxel of b, searching b in a
 * box of +-maxMm around each voxel of a; Infinity when none is that close. 0 means they overlap.
 */
function minDistanceMm(a: Mask, b: Mask, maxMm: number): number {
  const [nx, ny, nz] = a.grid.size;
  const [sx, sy, sz] = a.grid.spacingMm;
  const ri = Math.ceil(maxMm / sx);
  const rj = Math.ceil(maxMm / sy);
  const rk = Math.ceil(maxMm / sz);
  let best = Infinity;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        if (a.data[i + nx * (j + ny * k)] === 0) continue;
        for (let dk = -rk; dk <= rk; dk++) {
          const kk = k + dk;
          if (kk < 0 || kk >= nz) continue;
          for (let dj = -rj; dj <= rj; dj++) {
            const jj = j + dj;
            if (jj < 0 || jj >= ny) continue;
            for (let di = -ri; di <= ri; di++) {
              const ii = i + di;
              if (ii < 0 || ii >= nx || b.data[ii + nx * (jj + ny * kk)] === 0) continue;
              const d = Math.hypot(di * sx, dj * sy, dk * sz);
              if (d < best) best = d;
            }
          }
        }
      }
    }
  }
  return best;
}

/** Centroid (LPS, mm) of a mask on an identity-direction grid. */
function centroidLps(m: Mask): [number, number, number] {
  const [nx, ny, nz] = m.grid.size;
  const o = m.grid.originMm;
  const s = m.grid.spacingMm;
  let n = 0;
  const c = [0, 0, 0];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        if (m.data[i + nx * (j + ny * k)] === 0) continue;
        c[0] += i;
        c[1] += j;
        c[2] += k;
        n++;
      }
  return [o[0] + (s[0] * c[0]!) / n, o[1] + (s[1] * c[1]!) / n, o[2] + (s[2] * c[2]!) / n];
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
}

/** CT values (HU) in a mask, optionally excluding a second mask. */
function huIn(p: SeedPhantom, m: Mask, exclude?: Mask): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.data.length; i++) {
    if (m.data[i] !== 0 && (exclude === undefined || exclude.data[i] === 0)) out.push(p.ct.data[i]!);
  }
  return out;
}

/**
 * Dice overlap of a mask with the solid ellipsoid of the same centroid and second moments (a solid
 * ellipsoid with semi-axes a_i has covariance eigenvalues a_i² / 5; a quadratic form avoids the
 * eigen-decomposition: x is inside when xᵀ C⁻¹ x <= 5). An ellipsoid scores about 1.
 */
function momentEllipsoidDice(m: Mask): number {
  const [nx, ny, nz] = m.grid.size;
  const s = m.grid.spacingMm;
  const pts: number[] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) if (m.data[i + nx * (j + ny * k)] !== 0) pts.push(i * s[0], j * s[1], k * s[2]);
  const n = pts.length / 3;
  const mu = [0, 0, 0];
  for (let p = 0; p < n; p++) for (let a = 0; a < 3; a++) mu[a]! += pts[3 * p + a]! / n;
  const c = new Array<number>(9).fill(0);
  for (let p = 0; p < n; p++)
    for (let a = 0; a < 3; a++)
      for (let b = 0; b < 3; b++) c[3 * a + b]! += ((pts[3 * p + a]! - mu[a]!) * (pts[3 * p + b]! - mu[b]!)) / n;
  const [a, b, cc, d, e, f, g, h, i] = c as [number, number, number, number, number, number, number, number, number];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + cc * (d * h - e * g);
  const inv = [
    (e * i - f * h) / det, (cc * h - b * i) / det, (b * f - cc * e) / det,
    (f * g - d * i) / det, (a * i - cc * g) / det, (cc * d - a * f) / det,
    (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
  ];
  let inEll = 0;
  let both = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let ii = 0; ii < nx; ii++) {
        const x = [ii * s[0] - mu[0]!, j * s[1] - mu[1]!, k * s[2] - mu[2]!];
        let q = 0;
        for (let r = 0; r < 3; r++) for (let t = 0; t < 3; t++) q += x[r]! * inv[3 * r + t]! * x[t]!;
        if (q <= 5) {
          inEll++;
          if (m.data[ii + nx * (j + ny * k)] !== 0) both++;
        }
      }
  return (2 * both) / (inEll + n);
}

// ---- the default phantom ----

let phantom: SeedPhantom;
beforeAll(() => {
  phantom = buildSeedPhantom();
});

describe('seed phantom grid', () => {
  it('is a 2.5 mm isotropic grid with identity direction covering about 400 x 300 x 300 mm', () => {
    const g = phantom.grid;
    expect(g.spacingMm).toEqual([2.5, 2.5, 2.5]);
    expect([...g.direction]).toEqual([...IDENTITY3]);
    expect(g.size[0] * 2.5).toBeGreaterThanOrEqual(390);
    expect(g.size[0] * 2.5).toBeLessThanOrEqual(410);
    expect(g.size[1] * 2.5).toBeGreaterThanOrEqual(290);
    expect(g.size[1] * 2.5).toBeLessThanOrEqual(310);
    expect(g.size[2] * 2.5).toBeGreaterThanOrEqual(250);
    expect(g.size[2] * 2.5).toBeLessThanOrEqual(310);
    expect(phantom.ct.data.length).toBe(g.size[0] * g.size[1] * g.size[2]);
  });

  it('puts (0, 0, 0) on a voxel centre near the centre of the GTV (the isocentre region)', () => {
    const c = lpsToContinuousIndex(phantom.grid, [0, 0, 0]);
    for (const v of c) expect(Math.abs(v - Math.round(v))).toBeLessThan(1e-9);
    const gtv = centroidLps(maskOf(phantom, 'GTV'));
    expect(Math.hypot(...gtv)).toBeLessThan(15);
    expect([...phantom.description.isocentreLps]).toEqual([0, 0, 0]);
  });

  it('has a body of about 340 x 240 mm in-plane', () => {
    const body = maskOf(phantom, 'BODY');
    const [nx, ny, nz] = body.grid.size;
    const k = Math.floor(nz / 2);
    let i0 = nx, i1 = -1, j0 = ny, j1 = -1;
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        if (body.data[i + nx * (j + ny * k)] !== 0) {
          i0 = Math.min(i0, i); i1 = Math.max(i1, i); j0 = Math.min(j0, j); j1 = Math.max(j1, j);
        }
    expect((i1 - i0 + 1) * 2.5).toBeGreaterThan(320);
    expect((i1 - i0 + 1) * 2.5).toBeLessThan(360);
    expect((j1 - j0 + 1) * 2.5).toBeGreaterThan(220);
    expect((j1 - j0 + 1) * 2.5).toBeLessThan(260);
  });
});

describe('seed phantom structures', () => {
  it('lists the TG-263 names with their interpreted types, each non-empty', () => {
    expect(phantom.structures.map((s) => [s.name, s.interpretedType])).toEqual(STRUCTURES);
    for (const s of phantom.structures) {
      expect(countOf(s.mask), s.name).toBeGreaterThan(0);
      expect(s.mask.grid).toBe(phantom.grid);
      expect(s.colorRgb.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)).toBe(true);
    }
  });

  it('PTV_2000 = GTV + 5 mm is 1640 cc within 3 % (case: 1639.97 cc)', () => {
    const ptv = maskOf(phantom, 'PTV_2000');
    expect(Math.abs(volumeCc(ptv) / CASE_PTV_2000_CC - 1)).toBeLessThan(0.03);
    const again = expandMask(maskOf(phantom, 'GTV'), 5);
    expect(Buffer.from(again.data).equals(Buffer.from(ptv.data))).toBe(true);
  });

  it('the liver outside the GTV is 504.5 cc within 5 %, and the GTV lies inside the liver', () => {
    const liver = maskOf(phantom, 'Liver');
    const gtv = maskOf(phantom, 'GTV');
    expect(Math.abs(differenceCc(liver, gtv) / CASE_LIVER_OUTSIDE_GTV_CC - 1)).toBeLessThan(0.05);
    expect(differenceCc(gtv, liver)).toBe(0);
  });

  it('Liver-GTV is Liver minus GTV voxel for voxel, 504.5 cc within 5 % (case: liver outside the tumour)', () => {
    const liver = maskOf(phantom, 'Liver').data;
    const gtv = maskOf(phantom, 'GTV').data;
    const normal = maskOf(phantom, 'Liver-GTV');
    let mismatch = 0;
    for (let g = 0; g < liver.length; g++) if ((normal.data[g] !== 0) !== (liver[g] !== 0 && gtv[g] === 0)) mismatch++;
    expect(mismatch).toBe(0);
    expect(Math.abs(volumeCc(normal) / CASE_LIVER_OUTSIDE_GTV_CC - 1)).toBeLessThan(0.05);
    expect(overlapCount(normal, maskOf(phantom, 'GTV'))).toBe(0);
  });

  it('the kidneys are 200.0 cc (left) and 177.8 cc (right) within 5 %', () => {
    expect(Math.abs(volumeCc(maskOf(phantom, 'Kidney_L')) / CASE_KIDNEY_L_CC - 1)).toBeLessThan(0.05);
    expect(Math.abs(volumeCc(maskOf(phantom, 'Kidney_R')) / CASE_KIDNEY_R_CC - 1)).toBeLessThan(0.05);
  });

  it('(test helper) a voxelised ellipsoid scores above 0.98 against its moment ellipsoid', () => {
    const grid = createGrid({ size: [50, 40, 30], spacingMm: [1.5, 1.5, 1.5], originMm: [0, 0, 0] });
    const m = createMask(grid);
    for (let k = 0; k < 30; k++)
      for (let j = 0; j < 40; j++)
        for (let i = 0; i < 50; i++) {
          const x = (i * 1.5 - 37) / 30;
          const y = (j * 1.5 - 30) / 22;
          const z = (k * 1.5 - 22) / 15;
          m.data[i + 50 * (j + 40 * k)] = x * x + y * y + z * z <= 1 ? 1 : 0;
        }
    expect(momentEllipsoidDice(m)).toBeGreaterThan(0.98);
  });

  it('the GTV is bulky and lobulated, not a single ellipsoid', () => {
    const gtv = maskOf(phantom, 'GTV');
    expect(volumeCc(gtv)).toBeGreaterThan(1000);
    // An ellipsoid scores > 0.99 against its own moment ellipsoid; lobes and bumps lower it.
    expect(momentEllipsoidDice(gtv)).toBeLessThan(0.97);
  });

  it('duodenum, stomach, right kidney, IVC and colon each come within 15 mm of the GTV without touching it', () => {
    const gtv = maskOf(phantom, 'GTV');
    for (const name of NEAR_GTV) {
      const d = minDistanceMm(maskOf(phantom, name), gtv, 16);
      expect(d, name).toBeLessThanOrEqual(15);
      expect(d, name).toBeGreaterThan(0);
    }
  });

  it('no two organs share a voxel, except Liver ⊃ GTV, Liver ⊃ Liver-GTV and GreatVessels = Aorta ∪ IVC', () => {
    for (let a = 0; a < DISJOINT.length; a++) {
      for (let b = a + 1; b < DISJOINT.length; b++) {
        expect(overlapCount(maskOf(phantom, DISJOINT[a]!), maskOf(phantom, DISJOINT[b]!)), `${DISJOINT[a]} ∩ ${DISJOINT[b]}`).toBe(0);
      }
    }
    const liver = maskOf(phantom, 'Liver');
    const normalLiver = maskOf(phantom, 'Liver-GTV');
    for (const name of DISJOINT.filter((n) => n !== 'GTV')) {
      expect(overlapCount(liver, maskOf(phantom, name)), `Liver ∩ ${name}`).toBe(0);
      expect(overlapCount(normalLiver, maskOf(phantom, name)), `Liver-GTV ∩ ${name}`).toBe(0);
    }
    const gv = maskOf(phantom, 'GreatVessels').data;
    const ao = maskOf(phantom, 'Aorta').data;
    const ivc = maskOf(phantom, 'IVC').data;
    let mismatch = 0;
    for (let i = 0; i < gv.length; i++) if ((gv[i] !== 0) !== (ao[i] !== 0 || ivc[i] !== 0)) mismatch++;
    expect(mismatch).toBe(0);
  });

  it('every structure lies inside BODY', () => {
    const body = maskOf(phantom, 'BODY');
    for (const s of phantom.structures) expect(differenceCc(s.mask, body), s.name).toBe(0);
  });

  it('the spinal cord is enclosed by vertebral bone left, right, anterior and posterior within 20 mm', () => {
    const cord = maskOf(phantom, 'SpinalCord');
    const bone = maskOf(phantom, 'Vertebrae');
    const [nx, ny, nz] = cord.grid.size;
    const reach = Math.round(20 / 2.5);
    let cordVoxels = 0;
    let enclosed = 0;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          if (cord.data[i + nx * (j + ny * k)] === 0) continue;
          cordVoxels++;
          const hits = [
            [1, 0],
            [-1, 0],
            [0, 1],
            [0, -1],
          ].every(([di, dj]) => {
            for (let s = 1; s <= reach; s++) {
              const ii = i + s * di!;
              const jj = j + s * dj!;
              if (ii >= 0 && ii < nx && jj >= 0 && jj < ny && bone.data[ii + nx * (jj + ny * k)] !== 0) return true;
            }
            return false;
          });
          if (hits) enclosed++;
        }
    expect(cordVoxels).toBeGreaterThan(0);
    expect(enclosed).toBe(cordVoxels);
    // And the cord is on the posterior midline, behind the vertebral bodies.
    const c = centroidLps(cord);
    const v = centroidLps(bone);
    expect(Math.abs(c[0] - v[0])).toBeLessThan(5);
    expect(c[1]).toBeGreaterThan(v[1]);
  });

  it('organs sit on the anatomical sides of the LPS frame (right = -x, anterior = -y, superior = +z)', () => {
    const body = centroidLps(maskOf(phantom, 'BODY'));
    const gtv = centroidLps(maskOf(phantom, 'GTV'));
    const liver = centroidLps(maskOf(phantom, 'Liver'));
    const kl = centroidLps(maskOf(phantom, 'Kidney_L'));
    const kr = centroidLps(maskOf(phantom, 'Kidney_R'));
    const stomach = centroidLps(maskOf(phantom, 'Stomach'));
    const vert = centroidLps(maskOf(phantom, 'Vertebrae'));
    const lungR = centroidLps(maskOf(phantom, 'Lung_R'));
    const lungL = centroidLps(maskOf(phantom, 'Lung_L'));
    expect(gtv[0]).toBeLessThan(body[0] - 40); // right lobe
    expect(liver[0]).toBeLessThan(body[0]);
    expect(stomach[0]).toBeGreaterThan(body[0]); // left upper quadrant
    expect(kr[0]).toBeLessThan(body[0]);
    expect(kl[0]).toBeGreaterThan(body[0]);
    expect(kr[1]).toBeGreaterThan(body[1]); // kidneys posterior
    expect(vert[1]).toBeGreaterThan(body[1]);
    expect(Math.abs(vert[0] - body[0])).toBeLessThan(5);
    expect(lungR[0]).toBeLessThan(body[0]);
    expect(lungL[0]).toBeGreaterThan(body[0]);
    expect(lungR[2]).toBeGreaterThan(liver[2]); // lung bases above the liver
    expect(kr[2]).toBeLessThan(kl[2]); // the right kidney sits lower
  });
});

describe('seed phantom CT', () => {
  it('is exactly -1000 HU outside the body', () => {
    const body = maskOf(phantom, 'BODY').data;
    let bad = 0;
    for (let i = 0; i < body.length; i++) if (body[i] === 0 && phantom.ct.data[i] !== -1000) bad++;
    expect(bad).toBe(0);
  });

  it('has realistic HU per tissue', () => {
    const liver = maskOf(phantom, 'Liver');
    const gtv = maskOf(phantom, 'GTV');
    const liverHu = median(huIn(phantom, liver, gtv));
    const gtvHu = median(huIn(phantom, gtv));
    expect(liverHu).toBeGreaterThanOrEqual(50);
    expect(liverHu).toBeLessThanOrEqual(70);
    expect(gtvHu).toBeGreaterThanOrEqual(30);
    expect(gtvHu).toBeLessThanOrEqual(50);
    expect(gtvHu).toBeLessThan(liverHu - 10); // hypodense tumour
    for (const n of ['Lung_L', 'Lung_R']) expect(median(huIn(phantom, maskOf(phantom, n)))).toBeLessThan(-600);
    expect(median(huIn(phantom, maskOf(phantom, 'Vertebrae')))).toBeGreaterThan(200);
    expect(Math.max(...huIn(phantom, maskOf(phantom, 'Vertebrae')))).toBeGreaterThan(600); // cortex
    for (const n of ['Kidney_L', 'Kidney_R', 'Aorta', 'IVC', 'SpinalCord']) {
      const m = median(huIn(phantom, maskOf(phantom, n)));
      expect(m, n).toBeGreaterThan(15);
      expect(m, n).toBeLessThan(55);
    }
    for (const n of ['Colon', 'Stomach', 'Bowel_Small', 'Duodenum']) {
      const m = median(huIn(phantom, maskOf(phantom, n)));
      expect(m, n).toBeGreaterThan(0);
      expect(m, n).toBeLessThan(40);
    }
  });

  it('has bowel-gas pockets in the colon, stomach and small bowel', () => {
    for (const n of ['Colon', 'Stomach', 'Bowel_Small']) {
      const gas = huIn(phantom, maskOf(phantom, n)).filter((h) => h < -800).length;
      expect(gas, n).toBeGreaterThan(5);
    }
  });

  it('has subcutaneous fat of about -100 HU under the anterior skin', () => {
    const body = maskOf(phantom, 'BODY');
    const [nx, ny, nz] = body.grid.size;
    const i = Math.round(lpsToContinuousIndex(phantom.grid, centroidLps(body))[0]);
    const fat: number[] = [];
    for (let k = 0; k < nz; k++) {
      let j = 0;
      while (j < ny && body.data[i + nx * (j + ny * k)] === 0) j++;
      for (let d = 1; d <= 3 && j + d < ny; d++) fat.push(phantom.ct.data[i + nx * (j + d + ny * k)]!);
    }
    const m = median(fat);
    expect(m).toBeGreaterThan(-130);
    expect(m).toBeLessThan(-70);
  });
});

describe('seed phantom determinism and options', () => {
  it('two builds with the same options give identical CT bytes and masks', () => {
    const again = buildSeedPhantom({ voxelSizeMm: 2.5, seed: 1 });
    expect(Buffer.from(again.ct.data.buffer).equals(Buffer.from(phantom.ct.data.buffer))).toBe(true);
    for (let s = 0; s < phantom.structures.length; s++) {
      expect(Buffer.from(again.structures[s]!.mask.data).equals(Buffer.from(phantom.structures[s]!.mask.data))).toBe(true);
    }
  });

  it('another seed changes the CT texture but not the anatomy', () => {
    const other = buildSeedPhantom({ seed: 7 });
    expect(Buffer.from(other.ct.data.buffer).equals(Buffer.from(phantom.ct.data.buffer))).toBe(false);
    for (let s = 0; s < phantom.structures.length; s++) {
      expect(Buffer.from(other.structures[s]!.mask.data).equals(Buffer.from(phantom.structures[s]!.mask.data))).toBe(true);
    }
  });

  it('a 3 mm grid (given as a vector) gives the same volumes within looser tolerances', () => {
    const p3 = buildSeedPhantom({ voxelSizeMm: [3, 3, 3] });
    expect(p3.grid.spacingMm).toEqual([3, 3, 3]);
    expect(Math.abs(volumeCc(maskOf(p3, 'PTV_2000')) / CASE_PTV_2000_CC - 1)).toBeLessThan(0.05);
    expect(Math.abs(differenceCc(maskOf(p3, 'Liver'), maskOf(p3, 'GTV')) / CASE_LIVER_OUTSIDE_GTV_CC - 1)).toBeLessThan(0.08);
    expect(Math.abs(volumeCc(maskOf(p3, 'Kidney_L')) / CASE_KIDNEY_L_CC - 1)).toBeLessThan(0.08);
    expect(Math.abs(volumeCc(maskOf(p3, 'Kidney_R')) / CASE_KIDNEY_R_CC - 1)).toBeLessThan(0.08);
    const gtv = maskOf(p3, 'GTV');
    for (const name of NEAR_GTV) {
      const d = minDistanceMm(maskOf(p3, name), gtv, 16);
      expect(d, name).toBeLessThanOrEqual(15);
      expect(d, name).toBeGreaterThan(0);
    }
    const c = lpsToContinuousIndex(p3.grid, [0, 0, 0]);
    for (const v of c) expect(Math.abs(v - Math.round(v))).toBeLessThan(1e-9);
  });

  it('rejects a voxel size outside 0.5-10 mm and a non-integer seed with an InputError', () => {
    expect(() => buildSeedPhantom({ voxelSizeMm: 0 })).toThrow(InputError);
    expect(() => buildSeedPhantom({ voxelSizeMm: [2.5, 2.5, Number.NaN] })).toThrow(InputError);
    expect(() => buildSeedPhantom({ voxelSizeMm: 20 })).toThrow(/between 0.5 and 10 mm/);
    expect(() => buildSeedPhantom({ seed: 1.5 })).toThrow(InputError);
  });
});
