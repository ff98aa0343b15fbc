/**
 * Passes over a DVH's bins in the WebAssembly kernels (assembly/dvh-bins.ts): the ramps of spread
 * points added to a histogram (dvh.ts computeDvh and the one-pass kernel's DVHs), a structure's
 * histogram finished from its sums, parts' sums added (dvh.ts mergeDvhParts), the cumulative DVH and
 * the doses at volumes (metrics.ts dosesAtVolumesCc). Why not JavaScript: these loops run over every
 * bin of every DVH of a case, and in a fresh process V8 runs them unoptimised and then optimises
 * them on its compiler threads, which compete with the DVH threads for the processors
 * (bench/README.md, fifteenth session). The same arithmetic, operation for operation in float64:
 * the same figures to the bit.
 *
 * Arrays not in the kernels' memory are copied in from byte 0 (src/core/wasm-kernels.ts: a call lays
 * out the memory for its own length), worked on and copied out; a histogram the DVH kernel left in
 * that memory (dvh-wasm.ts runDvhKernel's views) is worked on where it is.
 */

import { kernels, reserveKernelMemory, type KernelMemory } from '../core/wasm-kernels.js';

interface BinExports {
  addRamps(diff: number, sumC: number, sumCt: number, nBins: number, w: number): void;
  foldAbove(diff: number, length: number, nb: number): void;
  addInto(to: number, from: number, n: number): void;
  cumulate(diff: number, nb: number, w: number, dose: number, volume: number): void;
  dosesAtVolumes(diff: number, nb: number, w: number, volumes: number, nq: number, out: number): number;
}

type Kernels = BinExports & { readonly memory: KernelMemory };

/**
 * The byte offsets of `arrays` in the kernels' memory: where they are when every one is a view of
 * it, else copies of them laid out from byte 0 (views of that memory copied out first, so that no
 * copy overwrites another's source), followed by `extraBytes` (the offset after them is the last
 * entry).
 */
function placed(k: Kernels, arrays: readonly Float64Array[], extraBytes = 0): number[] {
  if (extraBytes === 0 && arrays.every((a) => a.buffer === k.memory.buffer)) return arrays.map((a) => a.byteOffset);
  const sources = arrays.map((a) => (a.buffer === k.memory.buffer ? a.slice() : a));
  const offsets: number[] = [];
  let at = 0;
  for (const a of sources) {
    offsets.push(at);
    at += 8 * a.length;
  }
  offsets.push(at);
  reserveKernelMemory(at + extraBytes);
  sources.forEach((a, i) => new Float64Array(k.memory.buffer, offsets[i]!, a.length).set(a));
  return offsets;
}

/**
 * Add to diff[0, nBins) the volume of the points spread uniformly over their dose intervals, from the
 * two prefix sums a spread histogram keeps (sumC of c = weight / (hi - lo), sumCt of c t, +c at the bin
 * edge above lo and -c above hi; nBins + 2 values each): the volume below edge e w is e w Σc - Σct
 * (w = binWidthGy).
 */
export function addRamps(diff: Float64Array, sumC: Float64Array, sumCt: Float64Array, nBins: number, binWidthGy: number): void {
  checkBins(diff, sumC, sumCt, nBins);
  if (nBins === 0) return;
  const k = kernels<BinExports>();
  const [d, c, ct] = placed(k, [diff, sumC, sumCt]);
  k.addRamps(d!, c!, ct!, nBins, binWidthGy);
  if (diff.buffer !== k.memory.buffer) diff.set(new Float64Array(k.memory.buffer, d!, diff.length));
}

/**
 * A structure's histogram of nb bins (nb <= diff.length) from a pass's sums over bins laid out for a
 * larger dose (diff, and sumC, sumCt of diff.length + 2 values): the bins from nb on added into the
 * last (the points whose dose is that bin's: a clamp), then the ramps of the spread points. Returns
 * the nb bins; `diff` is left changed.
 */
export function finishHistogram(diff: Float64Array, sumC: Float64Array, sumCt: Float64Array, nb: number, binWidthGy: number): Float64Array {
  checkBins(diff, sumC, sumCt, diff.length);
  if (!(Number.isInteger(nb) && nb >= 0 && nb <= diff.length)) throw new RangeError(`bins: expected 0 .. ${diff.length}, found ${nb}`);
  if (nb === 0) return new Float64Array(0);
  const k = kernels<BinExports>();
  const [d, c, ct] = placed(k, [diff, sumC, sumCt]);
  k.foldAbove(d!, diff.length, nb);
  k.addRamps(d!, c!, ct!, nb, binWidthGy);
  return new Float64Array(k.memory.buffer, d!, nb).slice();
}

function checkBins(diff: Float64Array, sumC: Float64Array, sumCt: Float64Array, nBins: number): void {
  if (!(nBins <= diff.length && sumC.length >= nBins + 2 && sumCt.length >= nBins + 2)) {
    throw new RangeError(`ramps: expected ${nBins} bins and ${nBins + 2} sums, found ${diff.length}, ${sumC.length} and ${sumCt.length}`);
  }
}

/**
 * Sums added in order: out[i] = Σ_p parts[p][i], part 0 first (the same additions as copying the first
 * part and adding each next one into it). Every part has the same length.
 */
export function sumParts(parts: readonly Float64Array[]): Float64Array {
  const first = parts[0];
  if (first === undefined) return new Float64Array(0);
  const n = first.length;
  if (parts.some((p) => p.length !== n)) throw new RangeError(`sumParts: expected parts of ${n} values`);
  if (parts.length === 1) return first.slice();
  const k = kernels<BinExports>();
  // parts that are views of the kernels' memory copied out first: the sum is laid out over them
  const sources = parts.map((p) => (p.buffer === k.memory.buffer ? p.slice() : p));
  // the sum at 0, each next part after it
  const [to, from] = placed(k, [sources[0]!], 8 * n);
  const mem = new Float64Array(k.memory.buffer, from!, n);
  for (let p = 1; p < sources.length; p++) {
    mem.set(sources[p]!);
    k.addInto(to!, from!, n);
  }
  return new Float64Array(k.memory.buffer, to!, n).slice();
}

/** Cumulative DVH of a histogram (bins of binWidthGy) at its bin edges: doseGy[b] = b binWidthGy, volumeCc[b] = volume of bins b and above. */
export function cumulativeBins(differentialCc: Float64Array, binWidthGy: number): { readonly doseGy: Float64Array; readonly volumeCc: Float64Array } {
  const nb = differentialCc.length;
  const k = kernels<BinExports>();
  const [d, dose] = placed(k, [differentialCc], 16 * (nb + 1));
  const volume = dose! + 8 * (nb + 1);
  k.cumulate(d!, nb, binWidthGy, dose!, volume);
  return { doseGy: new Float64Array(k.memory.buffer, dose!, nb + 1).slice(), volumeCc: new Float64Array(k.memory.buffer, volume, nb + 1).slice() };
}

/**
 * The doses (Gy) at volumes (cc, ascending, each > 0) of a histogram of bins of binWidthGy, from one pass down
 * its bins: each at the first bin from the top whose volume above reaches it, interpolated within that
 * bin; undefined for the volumes no bin reaches (more than the histogram holds).
 */
export function dosesAtSortedVolumes(differentialCc: Float64Array, binWidthGy: number, volumesCc: readonly number[]): (number | undefined)[] {
  const nq = volumesCc.length;
  const k = kernels<BinExports>();
  const [d, q] = placed(k, [differentialCc], 16 * nq);
  const queries = new Float64Array(k.memory.buffer, q!, nq);
  queries.set(volumesCc);
  const out = q! + 8 * nq;
  const answered = k.dosesAtVolumes(d!, differentialCc.length, binWidthGy, q!, nq, out);
  const doses = new Float64Array(k.memory.buffer, out, nq);
  return Array.from({ length: nq }, (_, i) => (i < answered ? doses[i]! : undefined));
}
