/**
 * between-planes.ts's fill between contour planes by the WebAssembly kernel (assembly/between-planes.ts),
 * for an occupancy that is a view of the kernels' memory (src/core/wasm-kernels.ts): what dvh.ts
 * scratchOccupancy hands out, so a small structure rasterised for its DVH (the interpolated model) is
 * filled where the DVH kernel reads it. The same numbers as the JavaScript, to the bit
 * (test/geometry/between-planes-wasm.test.ts).
 *
 * The planes' data (one slot a plane, at most PLANE_SLOTS at once), the scratch, a plane's exact fill
 * and the scan-line fill's own room go into the kernels' memory after the occupancy, without growing
 * it (growing would detach the occupancy's view): when they do not fit in the room there,
 * kernelBetweenPlanes answers undefined and the caller fills with the JavaScript.
 */

import { align8, kernels, type KernelMemory } from '../core/wasm-kernels.js';
import type { Plane } from './scanline.js';
import type { FillBackend } from './between-planes.js';
import { kernelPlaneFill, kernelPlaneFillBytes, planeSizes } from './scanline-wasm.js';

interface BetweenPlanesExports {
  bpSetGrid(
    nu: number, nv: number, su: number, sv: number, hu: number, hv: number, ramp: number, wK: number, s: number, occ: number,
    maxPoints: number, maxContours: number, maxCross: number,
  ): number;
  bpScratchBytes(ns: number): number;
  bpSetScratch(at: number, ns: number): number;
  bpFracOffset(): number;
  bpUvOffset(): number;
  bpCountsOffset(): number;
  bpPreparePlane(slot: number, nContours: number, nPoints: number): void;
  bpInterval(pj: number, pj1: number, pPrev: number, pNext: number, w0: number, w1: number, wm: number, wp: number, ns: number): void;
  bpCap(pe: number, p1: number, p2: number, x1: number, x2: number, capMax: number, flatEnd: number, ns: number): void;
}

/**
 * Planes whose data are held at once: fillBetweenPlanes keeps the planes j - 2 .. j + 2 of the
 * segment at plane j (an interval uses j - 1 .. j + 2, a cap its end plane and two inwards, and the
 * segments come in the order of their planes).
 */
export const PLANE_SLOTS = 5;

/** The grid as the kernel takes it (between-planes.ts BetweenPlanesGrid's numbers and the fill's). */
export interface KernelBetweenPlanesGrid {
  readonly nu: number;
  readonly nv: number;
  readonly su: number;
  readonly sv: number;
  readonly spacingU: number;
  readonly spacingV: number;
  readonly planeSpacingMm: number;
  readonly supersample: number;
  /** √(hu hv): the width a signed distance is ramped over. */
  readonly ramp: number;
  /** A depth sample's share of a voxel. */
  readonly wK: number;
}

/** A plane's data in the kernels' memory: its slot's address. */
export type PlaneSlot = number;

/** Where the kernel's fill lays out its plane slots, scratch and a plane's exact fill, from byte `at`. */
interface FillLayout {
  readonly slotBytes: number;
  readonly slotsAt: number;
  readonly scratchAt: number;
  readonly fracAt: number;
  /** The end of the plane fill's room after the exact fill (kernelPlaneFill's). */
  readonly end: number;
}

/** The layout from `at` for these planes on grid g, segments of at most maxSamples samples, the occupancy at occAt. */
function fillLayout(planes: readonly Plane[], g: KernelBetweenPlanesGrid, maxSamples: number, occAt: number, at: number): FillLayout {
  const k = kernels<BetweenPlanesExports>();
  const { nu, nv } = g;
  const { maxPoints, maxContours } = planeSizes(planes);
  // A bound on a plane's crossings with the lines of both families: an edge crosses at most
  // ceil |du| + ceil |dv| of them.
  let maxCross = 0;
  for (const plane of planes) {
    let cross = 0;
    for (const pc of plane.contours) {
      const uv = pc.uv;
      const m = uv.length / 2;
      for (let i = 0; i < m; i++) {
        const j = i + 1 === m ? 0 : i + 1;
        cross += Math.ceil(Math.abs(uv[2 * j]! - uv[2 * i]!)) + Math.ceil(Math.abs(uv[2 * j + 1]! - uv[2 * i + 1]!)) + 2;
      }
    }
    maxCross = Math.max(maxCross, cross);
  }
  const slotBytes = k.bpSetGrid(
    nu, nv, g.su, g.sv, g.spacingU, g.spacingV, g.ramp, g.wK, g.planeSpacingMm, occAt, maxPoints, maxContours, maxCross,
  );
  const slotsAt = align8(at);
  const scratchAt = slotsAt + PLANE_SLOTS * slotBytes;
  const fracAt = align8(scratchAt + k.bpScratchBytes(maxSamples));
  const end = fracAt + 4 * nu * nv + kernelPlaneFillBytes(planes, nu, nv, g.supersample, 1);
  return { slotBytes, slotsAt, scratchAt, fracAt, end };
}

/** The bytes kernelBetweenPlanes uses after its occupancy (arguments as there). */
export function kernelBetweenPlanesBytes(planes: readonly Plane[], g: KernelBetweenPlanesGrid, maxSamples: number): number {
  return fillLayout(planes, g, maxSamples, 0, 0).end;
}

/**
 * The kernel's fill of these planes into occ on grid g (segments of at most maxSamples samples), or
 * undefined when occ is not a view of the kernels' memory or the fill does not fit in the room after it.
 */
export function kernelBetweenPlanes(
  occ: Float32Array, planes: readonly Plane[], g: KernelBetweenPlanesGrid, maxSamples: number,
): FillBackend<PlaneSlot> | undefined {
  const k = kernels<BetweenPlanesExports>();
  const memory: KernelMemory = k.memory;
  if (occ.buffer !== memory.buffer) return undefined;
  const { nu, nv } = g;
  const nPix = nu * nv;
  const { slotBytes, slotsAt, scratchAt, fracAt, end } = fillLayout(planes, g, maxSamples, occ.byteOffset, occ.byteOffset + occ.byteLength);
  if (end > memory.buffer.byteLength) return undefined;
  const buffer = memory.buffer;
  const frac = new Float32Array(buffer, fracAt, nPix);
  // the plane's exact fill (one layer of weight 1, capped at 1) into frac, the scan-line scratch after it
  const fill = kernelPlaneFill(frac, planes, nu, nv, g.supersample, 1, nu, 0, 1)!;
  const samplesAt = k.bpSetScratch(scratchAt, maxSamples);
  const kOffIn = new Int32Array(buffer, samplesAt, maxSamples);
  const f64s = align8(samplesAt + 4 * maxSamples);
  const sampleIn = Array.from({ length: 5 }, (_, a) => new Float64Array(buffer, f64s + 8 * a * maxSamples, maxSamples));
  const layerW = new Int32Array(1);
  const layerWeight = Float64Array.of(1);
  const free: PlaneSlot[] = Array.from({ length: PLANE_SLOTS }, (_, s) => slotsAt + (PLANE_SLOTS - 1 - s) * slotBytes);
  const fracOffset = k.bpFracOffset(), uvOffset = k.bpUvOffset(), countsOffset = k.bpCountsOffset();
  return {
    plane(p) {
      const slot = free.pop();
      if (slot === undefined) throw new Error(`between planes: more than ${PLANE_SLOTS} planes held at once`);
      const plane = planes[p]!;
      frac.fill(0);
      fill.fill(plane, layerW, layerWeight, 1);
      new Float32Array(buffer, slot + fracOffset, nPix).set(frac);
      const counts = new Int32Array(buffer, slot + countsOffset, plane.contours.length);
      let o = slot + uvOffset, points = 0;
      plane.contours.forEach((pc, c) => {
        new Float64Array(buffer, o, pc.uv.length).set(pc.uv);
        o += 8 * pc.uv.length;
        counts[c] = pc.uv.length / 2;
        points += pc.uv.length / 2;
      });
      k.bpPreparePlane(slot, plane.contours.length, points);
      return slot;
    },
    release(slot) {
      free.push(slot);
    },
    // an absent plane (none beyond a run's end) is slot 0 for the kernel
    interval(pj, pj1, pPrev, pNext, w0, w1, wm, wp, kOff, uS, B00, B10, B01, B11) {
      kOffIn.set(kOff);
      [uS, B00, B10, B01, B11].forEach((a, i) => sampleIn[i]!.set(a));
      k.bpInterval(pj, pj1, pPrev ?? 0, pNext ?? 0, w0, w1, wm, wp, kOff.length);
    },
    cap(pe, p1, p2, x1, x2, capMax, flatEnd, kOff, xs) {
      kOffIn.set(kOff);
      sampleIn[0]!.set(xs);
      k.bpCap(pe, p1 ?? 0, p2 ?? 0, x1, x2, capMax, flatEnd, kOff.length);
    },
  };
}
