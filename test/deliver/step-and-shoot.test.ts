/**
 * Step-and-shoot IMRT (issue 12 §2, second mode): the segments of each static beam deliver exactly the
 * stratified fluence map (per beamlet, the MU of the segments that leave it open equal its level times
 * the unit, derived here), with the minimum total MU of a unidirectional sweep; the plan they make is
 * deliverable, written as STATIC beams of control-point pairs and read back as such.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { BeamletMap, OperatorBeam } from '../../src/dose/operator.js';
import type { LinacMachine } from '../../src/deliver/machine.js';
import { checkDeliverability } from '../../src/deliver/deliverability.js';
import { segmentsToRtPlan, sequenceStepAndShoot } from '../../src/deliver/step-and-shoot.js';
import { readRtPlan } from '../../src/io/dicom/read/rtplan.js';
import { deriveUid, frameOfReferenceUidFor, studyInstanceUidFor } from '../../src/io/dicom/uid.js';
import { rtPlanWriteInputOf, writeRtPlan } from '../../src/io/dicom/write/index.js';
import { TEST_AGILITY } from './agility.js';

const AGILITY: LinacMachine = { ...TEST_AGILITY, mlc: { ...TEST_AGILITY.mlc, minGapMm: 0.5, maxBankSpreadMm: 200 }, minSegmentMu: 0.5 };

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** MU per fraction each beamlet of the map receives from the segments (open when both leaf tips clear it). */
function deliveredPerBeamlet(map: BeamletMap, segments: readonly { bankAMm: Float64Array; bankBMm: Float64Array; jawYMm: readonly [number, number]; mu: number }[]): number[] {
  const out: number[] = [];
  for (let c = 0; c < map.nbv; c++) {
    const pair = map.j0 + c + 40; // 5 mm pairs from -200 mm: pair p spans [-200 + 5p, -195 + 5p]
    for (let a = 0; a < map.nbu; a++) {
      const x0 = (map.i0 + a) * 5, x1 = x0 + 5;
      let mu = 0;
      for (const s of segments) {
        const yIn = s.jawYMm[0] <= (map.j0 + c) * 5 + 1e-9 && s.jawYMm[1] >= (map.j0 + c + 1) * 5 - 1e-9;
        if (yIn && s.bankAMm[pair]! <= x0 + 1e-9 && s.bankBMm[pair]! >= x1 - 1e-9) mu += s.mu;
      }
      out.push(mu);
    }
  }
  return out;
}

describe('step-and-shoot segments from a fluence map', () => {
  test('one row [1, 3, 2] MU in 3 levels: 3 MU in all (its TNMU), and every beamlet gets its weight', () => {
    const beams: OperatorBeam[] = [{ geometry: { gantryDeg: 40, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000 }, name: 'G40' }];
    const maps: BeamletMap[] = [{ i0: -2, j0: 0, nbu: 3, nbv: 1, active: new Uint8Array(3).fill(1) }];
    const r = sequenceStepAndShoot({ beams, maps, beamletMm: 5, weightsMu: Float64Array.from([1, 3, 2]) }, AGILITY, { levels: 3 });
    const segs = r.beams[0]!.segments;
    expect(segs.reduce((s, g) => s + g.mu, 0)).toBeCloseTo(3, 12);
    expect(deliveredPerBeamlet(maps[0]!, segs).map((v) => Number(v.toFixed(9)))).toEqual([1, 3, 2]);
    expect(r.raisedSegments).toBe(0);
  });

  test('random 8 x 5 maps of four beams: each beamlet receives round(w / max w x 7) x max w / 7 MU, the total is the TNMU times the unit', () => {
    const rnd = lcg(11);
    const beams: OperatorBeam[] = [0, 90, 180, 270].map((g) => ({ geometry: { gantryDeg: g, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000 }, name: `G${g}` }));
    const maps: BeamletMap[] = beams.map(() => ({ i0: -4, j0: -3, nbu: 8, nbv: 5, active: new Uint8Array(40).fill(1) }));
    const w = Float64Array.from({ length: 160 }, () => (rnd() < 0.2 ? 0 : 5 + 20 * rnd()));
    const r = sequenceStepAndShoot({ beams, maps, beamletMm: 5, weightsMu: w }, AGILITY);
    expect(r.beams).toHaveLength(4);
    r.beams.forEach((b, bi) => {
      const mw = w.subarray(40 * bi, 40 * (bi + 1));
      const max = Math.max(...mw);
      const unit = max / 7;
      const levels = Array.from(mw, (x) => Math.round((x / max) * 7));
      expect(deliveredPerBeamlet(maps[bi]!, b.segments).map((v) => Number((v / unit).toFixed(9)))).toEqual(levels);
      // TNMU: the largest over rows of the sum of the level rises along the row
      let tnmu = 0;
      for (let c = 0; c < 5; c++) {
        let rise = 0, prev = 0;
        for (let a = 0; a < 8; a++) {
          rise += Math.max(0, levels[a + 8 * c]! - prev);
          prev = levels[a + 8 * c]!;
        }
        tnmu = Math.max(tnmu, rise);
      }
      expect(b.segments.reduce((s, g) => s + g.mu, 0) / unit).toBeCloseTo(tnmu, 9);
    });
  });

  test('the plan is deliverable, written as STATIC beams of control-point pairs and read back with the same MU and weights', () => {
    const rnd = lcg(5);
    const beams: OperatorBeam[] = [0, 120, 240].map((g) => ({ geometry: { gantryDeg: g, collimatorDeg: 0, couchDeg: 0, isocenterLps: [1, -2, 3], sadMm: 1000 }, name: `G${g}` }));
    const maps: BeamletMap[] = beams.map(() => ({ i0: -5, j0: -4, nbu: 10, nbv: 8, active: new Uint8Array(80).fill(1) }));
    const w = Float64Array.from({ length: 240 }, () => (rnd() < 0.3 ? 0 : 2 + 10 * rnd()));
    const r = sequenceStepAndShoot({ beams, maps, beamletMm: 5, weightsMu: w }, AGILITY);
    const study = studyInstanceUidFor('step-and-shoot test');
    const identity = { patientId: 'SS', patientName: 'Step^Shoot', studyInstanceUid: study, seriesInstanceUid: deriveUid('ss', 'series'), frameOfReferenceUid: frameOfReferenceUidFor(study) };
    const plan = segmentsToRtPlan(r.beams, AGILITY, { identity, sopInstanceUid: deriveUid('ss', 'plan'), label: 'SS', fractionsPlanned: 5 });
    expect(checkDeliverability(plan, AGILITY)).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'lattice-ss-'));
    try {
      const file = join(dir, 'rp.dcm');
      writeRtPlan(rtPlanWriteInputOf(plan, { ct: identity, treatmentMachineName: 'Agility', referencedStructureSetSopInstanceUid: deriveUid('ss', 'rs'), doseReferences: [] }), file);
      const back = readRtPlan(file);
      expect(back.beams.map((b) => b.type)).toEqual(['STATIC', 'STATIC', 'STATIC']);
      back.beams.forEach((b, bi) => {
        const segs = r.beams[bi]!.segments;
        expect(b.controlPoints).toHaveLength(2 * segs.length);
        expect(b.metersetMu).toBeCloseTo(segs.reduce((s, g) => s + g.mu, 0), 6);
        // each pair: one aperture, the weight rising by the segment's share; between pairs the weight stays
        for (let k = 0; k < segs.length; k++) {
          const c0 = b.controlPoints[2 * k]!, c1 = b.controlPoints[2 * k + 1]!;
          expect([...c0.mlcMm!.MLCX!]).toEqual([...c1.mlcMm!.MLCX!]);
          expect((c1.cumulativeMetersetWeight - c0.cumulativeMetersetWeight) * b.metersetMu!).toBeCloseTo(segs[k]!.mu, 5);
          if (k > 0) expect(c0.cumulativeMetersetWeight).toBe(b.controlPoints[2 * k - 1]!.cumulativeMetersetWeight);
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
