/**
 * Set operations on masks of one grid: union, intersection, difference, symmetric difference,
 * complement. Inputs are masks (any non-zero byte counts as inside); outputs hold 0 or 1.
 *
 * Two forms: value-returning (`unionMasks(a, b)`, a new mask) and output-first in place
 * (`unionInto(out, a)`, out = out ∪ a, returns out) for loops that must not allocate. Every operand
 * is checked against the first with assertSameGrid (GeometryError on a mismatch).
 */

import { GeometryError } from '../core/errors.js';
import { assertSameGrid } from './grid.js';
import { createMask, type Mask } from './volume.js';

function checkGrids(operation: string, first: Mask, others: readonly Mask[]): void {
  for (let m = 0; m < others.length; m++) {
    assertSameGrid(first.grid, others[m]!.grid, `${operation}: operand 1 vs operand ${m + 2}`);
  }
}

/** out = out ∪ a ∪ ... (in place); returns out. */
export function unionInto(out: Mask, ...masks: readonly Mask[]): Mask {
  checkGrids('unionInto', out, masks);
  const o = out.data;
  if (masks.length === 0) combine(o, o, o, 'or');
  for (const m of masks) combine(o, o, m.data, 'or');
  return out;
}

/** out = out ∩ a ∩ ... (in place); returns out. */
export function intersectInto(out: Mask, ...masks: readonly Mask[]): Mask {
  checkGrids('intersectInto', out, masks);
  const o = out.data;
  if (masks.length === 0) combine(o, o, o, 'or');
  for (const m of masks) combine(o, o, m.data, 'and');
  return out;
}

/** out = out \ a \ ... (in place); returns out. */
export function subtractInto(out: Mask, ...masks: readonly Mask[]): Mask {
  checkGrids('subtractInto', out, masks);
  const o = out.data;
  if (masks.length === 0) combine(o, o, o, 'or');
  for (const m of masks) combine(o, o, m.data, 'andNot');
  return out;
}

/** out = out xor a (in place): voxels in exactly one of the two; returns out. */
export function xorInto(out: Mask, a: Mask): Mask {
  checkGrids('xorInto', out, [a]);
  combine(out.data, out.data, a.data, 'xor');
  return out;
}

/** out = grid minus a (in place; out may be a itself); returns out. */
export function complementInto(out: Mask, a: Mask): Mask {
  checkGrids('complementInto', out, [a]);
  combine(out.data, a.data, a.data, 'not');
  return out;
}

/**
 * Full-grid kernels, four voxels per 32-bit word where the buffers are 4-byte aligned (always, for
 * masks allocated here). `bit(w)` turns each byte of a word into 0 or 1 (any non-zero byte -> 1):
 * the OR of a byte's bits ends up in its lowest bit; bits shifted in from the next byte only reach
 * the upper half of the byte, which the final mask drops.
 */
const LOW_BITS = 0x01010101;
const HIGH_BITS = 0xfefefefe | 0;
function bit(w: number): number {
  // Clean words (every byte 0 or 1, the usual case) pass through untouched.
  if ((w & HIGH_BITS) === 0) return w;
  let t = w | (w >>> 4);
  t |= t >>> 2;
  t |= t >>> 1;
  return t & LOW_BITS;
}

type Op = 'or' | 'and' | 'andNot' | 'xor' | 'not';

const words = (a: Uint8Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);

/**
 * out[g] = x[g] op y[g] over the whole grid ('not' ignores y), as 0/1. One loop per operation so
 * that each stays monomorphic; word-wise where all three buffers are 4-byte aligned.
 */
function combine(out: Uint8Array, x: Uint8Array, y: Uint8Array, op: Op): void {
  let start = 0;
  if (out.byteOffset % 4 === 0 && x.byteOffset % 4 === 0 && y.byteOffset % 4 === 0) {
    const o = words(out);
    const a = words(x);
    const b = words(y);
    const n = o.length;
    switch (op) {
      case 'or':
        for (let w = 0; w < n; w++) o[w] = bit(a[w]! | b[w]!);
        break;
      case 'and':
        for (let w = 0; w < n; w++) o[w] = bit(a[w]!) & bit(b[w]!);
        break;
      case 'andNot':
        for (let w = 0; w < n; w++) o[w] = bit(a[w]!) & ~bit(b[w]!);
        break;
      case 'xor':
        for (let w = 0; w < n; w++) o[w] = bit(a[w]!) ^ bit(b[w]!);
        break;
      case 'not':
        for (let w = 0; w < n; w++) o[w] = bit(a[w]!) ^ LOW_BITS;
        break;
    }
    start = 4 * n;
  }
  for (let g = start; g < out.length; g++) {
    const p = x[g] !== 0;
    const q = y[g] !== 0;
    const r = op === 'or' ? p || q : op === 'and' ? p && q : op === 'andNot' ? p && !q : op === 'xor' ? p !== q : !p;
    out[g] = r ? 1 : 0;
  }
}

/** The voxels in any of the masks (at least one mask). */
export function unionMasks(...masks: readonly Mask[]): Mask {
  const first = masks[0];
  if (first === undefined) throw new GeometryError('unionMasks: expected at least one mask, found none');
  checkGrids('unionMasks', first, masks.slice(1));
  const o = new Uint8Array(first.data.length);
  if (masks.length === 1) combine(o, first.data, first.data, 'or');
  else combine(o, first.data, masks[1]!.data, 'or');
  for (let m = 2; m < masks.length; m++) combine(o, o, masks[m]!.data, 'or');
  return createMask(first.grid, o);
}

/** The voxels in every one of the masks. */
export function intersectMasks(a: Mask, b: Mask, ...more: readonly Mask[]): Mask {
  checkGrids('intersectMasks', a, [b, ...more]);
  const o = new Uint8Array(a.data.length);
  combine(o, a.data, b.data, 'and');
  for (const m of more) combine(o, o, m.data, 'and');
  return createMask(a.grid, o);
}

/** The voxels of a that are not in b (e.g. a ring minus a target). */
export function subtractMask(a: Mask, b: Mask): Mask {
  checkGrids('subtractMask', a, [b]);
  const o = new Uint8Array(a.data.length);
  combine(o, a.data, b.data, 'andNot');
  return createMask(a.grid, o);
}

/** The voxels in exactly one of a and b. */
export function xorMasks(a: Mask, b: Mask): Mask {
  checkGrids('xorMasks', a, [b]);
  const o = new Uint8Array(a.data.length);
  combine(o, a.data, b.data, 'xor');
  return createMask(a.grid, o);
}

/** The voxels of the grid not in a. */
export function complementMask(a: Mask): Mask {
  return complementInto(createMask(a.grid), a);
}
