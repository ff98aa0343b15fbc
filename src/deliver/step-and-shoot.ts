/**
 * Step-and-shoot IMRT from an optimised fluence (issue 12 §2, the second delivery mode): static beams
 * at the fluence plan's gantry angles, each delivering a sequence of MLC segments.
 *
 * Input: the fluence beams (FluenceBeams of sequence.ts: beamlet maps whose rows are leaf pairs,
 * weights in MU per fraction) and the delivery machine. Per beam, the map is stratified into L levels
 * of U = max w / L MU (sequence.ts stratify) and every leaf row is swept unidirectionally (Bortfeld;
 * vmat.md §1). Sampling the sweep at every unit time t = m + 0.5 (m = 0 .. T - 1, T the beam's TNMU)
 * gives T apertures of U MU each whose open counts per beamlet equal its level exactly (the sweep's
 * property; tested), i.e. the stratified map; consecutive identical apertures merge (their MU add).
 * The total MU of a beam is U T, the minimum for a unidirectional schedule (TNMU).
 *
 * Leaves: an open row's leaves at its opening's edges; a row without opening is a closed pair (the
 * machine's minimum gap) at the middle of the map, inside the diaphragm opening too (deliverable; its
 * tips leak as MLC transmission): a slit left open there would add its full fluence to every segment;
 * the Y diaphragms span the open rows. The bank spread is kept (sequence.ts enforceBankSpread).
 * A segment below the machine's minimum segment MU is raised to it (its count is returned).
 */

import { InputError, PlanError, fmt } from '../core/errors.js';
import type { DoseReference, DicomIdentity, RtPlan, Beam, ControlPoint } from '../io/dicom/model.js';
import { deliveredRtPlan, roundWritten, type Arc } from './arcs.js';
import type { LinacMachine } from './machine.js';
import { enforceBankSpread, pairsOfRows, stratify, sweepRowOpenings, sweepTnmu, type FluenceBeams } from './sequence.js';

export interface Segment {
  /** Leaf tips along X_b, mm, one per leaf pair (bank A <= bank B). */
  readonly bankAMm: Float64Array;
  readonly bankBMm: Float64Array;
  /** Y diaphragms [y1, y2], mm. */
  readonly jawYMm: readonly [number, number];
  /** MU per fraction. */
  readonly mu: number;
}

export interface StaticBeam {
  readonly name: string;
  readonly gantryDeg: number;
  readonly collimatorDeg: number;
  readonly couchDeg: number;
  readonly isocenterLps: readonly [number, number, number];
  readonly segments: readonly Segment[];
}

export interface StepAndShootResult {
  readonly beams: readonly StaticBeam[];
  /** Segments raised to the machine's minimum segment MU. */
  readonly raisedSegments: number;
}

export interface StepAndShootOptions {
  /** Fluence levels (default 7). */
  readonly levels?: number;
}

export function sequenceStepAndShoot(input: FluenceBeams, machine: LinacMachine, options: StepAndShootOptions = {}): StepAndShootResult {
  const { beams, maps, beamletMm: bw, weightsMu } = input;
  const L = options.levels ?? 7;
  if (!(Number.isInteger(L) && L >= 1 && L <= 100)) throw new InputError(`fluence levels must be an integer from 1 to 100, found ${fmt(L)}`);
  if (maps.length !== beams.length) throw new InputError(`expected one beamlet map per beam (${beams.length}), found ${maps.length}`);
  const mlc = machine.mlc;
  const bd = mlc.leafBoundariesMm;
  const n = mlc.leafPairs;
  const [xMin, xMax] = mlc.positionRangeMm;
  const gap = Math.max(mlc.minGapMm, 0);
  const jawRange = machine.jaws.find((j) => j.deviceType === 'ASYMY')?.positionRangeMm ?? [bd[0]!, bd[n]!];
  let offset = 0;
  let raised = 0;
  const out = maps.map((m, bi): StaticBeam => {
    const beam = beams[bi]!;
    const name = beam.name ?? `beam ${bi + 1}`;
    const w = new Float64Array(m.nbu * m.nbv);
    for (let c = 0; c < m.nbv; c++) for (let a = 0; a < m.nbu; a++) if (m.active[a + m.nbu * c]) w[a + m.nbu * c] = weightsMu[offset++]!;
    const s = stratify(w, L);
    const unitMu = s.wMax / L;
    const T = sweepTnmu(s.levels, m.nbu, m.nbv);
    const pairs = pairsOfRows(m, bw, bd, name);
    const times = Float64Array.from({ length: T }, (_, t) => t + 0.5);
    // openings of every row at every unit time
    const open = Array.from({ length: m.nbv }, () => new Int32Array(2 * T));
    const row = new Int32Array(m.nbu);
    for (let c = 0; c < m.nbv; c++) {
      for (let a = 0; a < m.nbu; a++) row[a] = s.levels[a + m.nbu * c]!;
      sweepRowOpenings(row, times, 1, open[c]!);
    }
    const centreMm = (m.i0 + m.nbu / 2) * bw;
    const segments: Segment[] = [];
    let last: string | undefined;
    for (let t = 0; t < T; t++) {
      const A = new Float64Array(n), B = new Float64Array(n);
      const isOpen = new Uint8Array(n);
      for (let c = 0; c < m.nbv; c++) {
        const from = open[c]![2 * t]!, to = open[c]![2 * t + 1]!;
        if (to <= from) continue;
        const p = pairs[c]!;
        A[p] = Math.max(xMin, (m.i0 + from) * bw);
        B[p] = Math.min(xMax, (m.i0 + to) * bw);
        isOpen[p] = 1;
      }
      let lo = -1, hi = -1;
      for (let p = 0; p < n; p++) {
        if (!isOpen[p]) continue;
        if (lo < 0) lo = p;
        hi = p;
      }
      if (lo < 0) continue; // nothing open at this time (cannot happen below T; kept for safety)
      const jaw: [number, number] = [Math.max(bd[lo]!, jawRange[0]), Math.min(bd[hi + 1]!, jawRange[1])];
      for (let p = 0; p < n; p++) {
        if (isOpen[p]) continue;
        const x = Math.min(Math.max(centreMm, xMin + gap / 2), xMax - gap / 2);
        A[p] = x - gap / 2;
        B[p] = x + gap / 2;
      }
      const key = `${jaw.join(',')}|${A.join(',')}|${B.join(',')}`;
      if (key === last) {
        const prev = segments[segments.length - 1]!;
        segments[segments.length - 1] = { ...prev, mu: prev.mu + unitMu };
      } else {
        segments.push({ bankAMm: A, bankBMm: B, jawYMm: jaw, mu: unitMu });
        last = key;
      }
    }
    const g = beam.geometry;
    // the bank spread, through the arcs' function (a beam's segments as the control points of one "arc")
    const asArc: Arc = {
      name,
      direction: 'CW',
      collimatorDeg: g.collimatorDeg,
      couchDeg: g.couchDeg,
      isocenterLps: [g.isocenterLps[0], g.isocenterLps[1], g.isocenterLps[2]],
      controlPoints: segments.map((sg) => ({ gantryDeg: g.gantryDeg, bankAMm: sg.bankAMm, bankBMm: sg.bankBMm, jawYMm: sg.jawYMm, cumulativeMu: 0 })),
    };
    const kept = enforceBankSpread([asArc], machine, gap).arcs[0]!.controlPoints;
    return {
      name,
      gantryDeg: g.gantryDeg,
      collimatorDeg: g.collimatorDeg,
      couchDeg: g.couchDeg,
      isocenterLps: [g.isocenterLps[0], g.isocenterLps[1], g.isocenterLps[2]],
      segments: segments.map((sg, k) => {
        const mu = sg.mu < machine.minSegmentMu ? (raised++, machine.minSegmentMu) : sg.mu;
        return { bankAMm: kept[k]!.bankAMm, bankBMm: kept[k]!.bankBMm, jawYMm: sg.jawYMm, mu };
      }),
    };
  });
  return { beams: out.filter((b) => b.segments.length > 0), raisedSegments: raised };
}

/**
 * The static beams as an RtPlan (model.ts): one STATIC beam per beam, a pair of control points per
 * segment (the leaves move between pairs while the meterset weight stays: PS3.3 C.8.8.14), cumulative
 * meterset weights from 0 to 1, one fraction group with every beam's MU.
 */
export function segmentsToRtPlan(
  beams: readonly StaticBeam[],
  machine: LinacMachine,
  info: { readonly identity: DicomIdentity; readonly sopInstanceUid: string; readonly label: string; readonly name?: string; readonly fractionsPlanned: number; readonly doseReferences?: readonly DoseReference[] },
): RtPlan {
  if (beams.length === 0) throw new PlanError('a step-and-shoot plan needs at least one beam with a segment');
  const n = machine.mlc.leafPairs;
  const out: Beam[] = beams.map((b, bi) => {
    const total = b.segments.reduce((s, g) => s + g.mu, 0);
    const cps: ControlPoint[] = [];
    let cum = 0;
    b.segments.forEach((sg, k) => {
      const mlc = new Float64Array(2 * n);
      for (let p = 0; p < n; p++) {
        mlc[p] = roundWritten(sg.bankAMm[p]!);
        mlc[n + p] = roundWritten(sg.bankBMm[p]!);
      }
      const cp = (weight: number, index: number): ControlPoint => ({
        index,
        cumulativeMetersetWeight: weight,
        gantryAngleDeg: roundWritten(b.gantryDeg),
        gantryRotationDirection: 'NONE',
        collimatorAngleDeg: b.collimatorDeg,
        couchAngleDeg: b.couchDeg,
        isocenterLps: b.isocenterLps,
        jawsMm: { ASYMY: [roundWritten(sg.jawYMm[0]), roundWritten(sg.jawYMm[1])] },
        mlcMm: { MLCX: mlc },
      });
      const w0 = k === 0 ? 0 : roundWritten(cum / total, 9);
      cum += sg.mu;
      const w1 = k === b.segments.length - 1 ? 1 : roundWritten(cum / total, 9);
      cps.push(cp(w0, 2 * k), cp(w1, 2 * k + 1));
    });
    return {
      number: bi + 1,
      name: b.name,
      type: 'STATIC',
      radiationType: 'PHOTON',
      nominalEnergy: machine.energyMv,
      sadMm: machine.sadMm,
      metersetMu: total,
      finalCumulativeMetersetWeight: 1,
      leafBoundariesMm: { MLCX: Float64Array.from(machine.mlc.leafBoundariesMm) },
      controlPoints: cps,
    };
  });
  return deliveredRtPlan(out, info);
}
