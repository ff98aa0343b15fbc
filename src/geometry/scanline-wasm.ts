/**
 * fillPlane (scanline.ts) with its PlaneSink by the WebAssembly kernel (assembly/scanline.ts), for an
 * occupancy that is a view of the kernels' memory (src/core/wasm-kernels.ts): what dvh.ts
 * scratchOccupancy hands out, so a structure rasterised for its DVH (the slab model) is filled where
 * the DVH kernel reads it. The same numbers as fillPlane, to the bit (test/geometry/scanline-wasm.test.ts).
 *
 * The plane's points, the layers and the scratch go into the kernels' memory after the occupancy,
 * without growing it (growing would detach the occupancy's view): when they do not fit in the room
 * there, kernelPlaneFill answers undefined and the caller fills with scanline.ts.
 */

import { align8, kernels, type KernelMemory } from '../core/wasm-kernels.js';
import type { Plane } from './scanline.js';

interface ScanlineExports {
  setScanlineScratch(at: number, maxEdges: number, nu: number, maxRows: number): number;
  fillPlaneInto(
    uv: number, counts: number, nContours: number, nu: number, nv: number, n: number,
    occ: number, su: number, sv: number, sw: number, layerW: number, layerWeight: number, nLayers: number,
  ): number;
}

/** Fills planes into the occupancy: fill(plane, layerW, layerWeight, nLayers) as fillPlane(plane, ..., sink) with the sink's layers. */
export interface KernelPlaneFill {
  fill(plane: Plane, layerW: Int32Array, layerWeight: Float64Array, nLayers: number): boolean;
}

/** Where kernelPlaneFill lays out a plane's points, the layers and the scratch, from byte `at`. */
interface PlaneFillLayout {
  readonly maxPoints: number;
  readonly maxContours: number;
  readonly uvAt: number;
  readonly countsAt: number;
  readonly layerWAt: number;
  readonly layerWeightAt: number;
  /** The end of the scratch (setScanlineScratch's answer). */
  readonly end: number;
}

/** The most points and the most contours of a plane. */
export function planeSizes(planes: readonly Plane[]): { readonly maxPoints: number; readonly maxContours: number } {
  let maxPoints = 0, maxContours = 0;
  for (const plane of planes) {
    let points = 0;
    for (const pc of plane.contours) points += pc.uv.length / 2;
    maxPoints = Math.max(maxPoints, points);
    maxContours = Math.max(maxContours, plane.contours.length);
  }
  return { maxPoints, maxContours };
}

function planeFillLayout(planes: readonly Plane[], nu: number, nv: number, n: number, maxLayers: number, at: number): PlaneFillLayout {
  const k = kernels<ScanlineExports>();
  const { maxPoints, maxContours } = planeSizes(planes);
  const uvAt = align8(at);
  const countsAt = uvAt + 16 * maxPoints;
  const layerWAt = align8(countsAt + 4 * maxContours);
  const layerWeightAt = align8(layerWAt + 4 * maxLayers);
  const scratchAt = layerWeightAt + 8 * maxLayers;
  // the scratch (maxPoints edges at most) as setScanlineScratch lays it out; it writes nothing yet
  const end = k.setScanlineScratch(scratchAt, maxPoints, nu, nv * n);
  return { maxPoints, maxContours, uvAt, countsAt, layerWAt, layerWeightAt, end };
}

/** The bytes kernelPlaneFill uses after its occupancy for these planes (arguments as there). */
export function kernelPlaneFillBytes(planes: readonly Plane[], nu: number, nv: number, n: number, maxLayers: number): number {
  return planeFillLayout(planes, nu, nv, n, maxLayers, 0).end;
}

/**
 * The kernel's fill for these planes on a grid nu x nv (n sub-rows a row) into occ (voxel (iu, iv, w)
 * at iu su + iv sv + w sw, at most maxLayers layers a plane), or undefined when occ is not a view of
 * the kernels' memory or the planes do not fit in the room after it.
 */
export function kernelPlaneFill(
  occ: Float32Array, planes: readonly Plane[], nu: number, nv: number, n: number, su: number, sv: number, sw: number, maxLayers: number,
): KernelPlaneFill | undefined {
  const k = kernels<ScanlineExports>();
  const memory: KernelMemory = k.memory;
  if (occ.buffer !== memory.buffer) return undefined;
  const { maxPoints, maxContours, uvAt, countsAt, layerWAt, layerWeightAt, end } = planeFillLayout(
    planes, nu, nv, n, maxLayers, occ.byteOffset + occ.byteLength,
  );
  if (end > memory.buffer.byteLength) return undefined;
  const buffer = memory.buffer;
  const uv = new Float64Array(buffer, uvAt, 2 * maxPoints);
  const counts = new Int32Array(buffer, countsAt, maxContours);
  const layerWIn = new Int32Array(buffer, layerWAt, maxLayers);
  const layerWeightIn = new Float64Array(buffer, layerWeightAt, maxLayers);
  const occAt = occ.byteOffset;
  return {
    fill(plane, layerW, layerWeight, nLayers) {
      let o = 0;
      plane.contours.forEach((pc, c) => {
        uv.set(pc.uv, o);
        o += pc.uv.length;
        counts[c] = pc.uv.length / 2;
      });
      layerWIn.set(layerW.subarray(0, nLayers));
      layerWeightIn.set(layerWeight.subarray(0, nLayers));
      return k.fillPlaneInto(uvAt, countsAt, plane.contours.length, nu, nv, n, occAt, su, sv, sw, layerWAt, layerWeightAt, nLayers) === 1;
    },
  };
}
