/**
 * Deliverability of RT Plans on a delivery machine: violations with beam, control point and leaf;
 * delivery time and complexity against hand computations. Plans are built here (no DICOM).
 */

import { describe, expect, it } from 'vitest';
import { checkDeliverability, deliveryTime, planComplexity } from '../../src/deliver/deliverability.js';
import type { LinacMachine } from '../../src/deliver/machine.js';
import type { Beam, ControlPoint, RtPlan } from '../../src/io/dicom/model.js';

const N = 80;
const BOUNDARIES = Float64Array.from({ length: N + 1 }, (_, k) => -200 + 5 * k);

/** An Agility-like machine with its figures stated here, so the expectations do not follow the shipped file. */
const MACHINE: LinacMachine = {
  name: 'test',
  manufacturer: 'test',
  model: 'test',
  treatmentMachineName: 'TEST',
  sadMm: 1000,
  energyMv: 6,
  mlc: {
    deviceType: 'MLCX',
    leafPairs: N,
    leafBoundariesMm: BOUNDARIES,
    positionRangeMm: [-200, 200],
    maxOverTravelMm: 150,
    minGapMm: 0,
    leafSpeedMmPerS: 35,
    maxBankSpreadMm: 200,
    interdigitation: true,
    transmission: 0.004,
  },
  jaws: [{ deviceType: 'ASYMY', positionRangeMm: [-200, 200], speedMmPerS: 90, maxOverTravelMm: 150 }],
  gantry: { maxSpeedDegPerS: 6 },
  doseRate: { maxMuPerMin: 600, minMuPerMin: 20 },
  minSegmentMu: 1,
  sources: {},
};

/** Leaf positions: every pair open from a to b, then the edits (bank 'A' | 'B', pair 1..N, mm). */
function leaves(a: number, b: number, ...edits: [bank: 'A' | 'B', pair: number, mm: number][]): Float64Array {
  const x = new Float64Array(2 * N);
  x.fill(a, 0, N);
  x.fill(b, N, 2 * N);
  for (const [bank, pair, v] of edits) x[(bank === 'A' ? 0 : N) + pair - 1] = v;
  return x;
}

function cp(
  index: number,
  gantryDeg: number,
  direction: ControlPoint['gantryRotationDirection'],
  weight: number,
  mlc: Float64Array,
  y: readonly [number, number] = [-50, 50],
): ControlPoint {
  return {
    index,
    cumulativeMetersetWeight: weight,
    gantryAngleDeg: gantryDeg,
    gantryRotationDirection: direction,
    collimatorAngleDeg: 0,
    couchAngleDeg: 0,
    jawsMm: { ASYMY: y },
    mlcMm: { MLCX: mlc },
  };
}

function beam(number: number, name: string, mu: number, controlPoints: ControlPoint[], type: Beam['type'] = 'DYNAMIC'): Beam {
  return {
    number,
    name,
    type,
    radiationType: 'PHOTON',
    nominalEnergy: 6,
    sadMm: 1000,
    metersetMu: mu,
    finalCumulativeMetersetWeight: 1,
    leafBoundariesMm: { MLCX: BOUNDARIES },
    controlPoints,
  };
}

function plan(...beams: Beam[]): RtPlan {
  return {
    modality: 'RTPLAN',
    patientId: 'P',
    patientName: 'P',
    studyInstanceUid: '1.2',
    seriesInstanceUid: '1.3',
    frameOfReferenceUid: '1.4',
    sopInstanceUid: '1.5',
    label: 'TEST',
    fractionGroups: [{ number: 1, fractionsPlanned: 1, beamMetersets: beams.map((b) => ({ beamNumber: b.number, metersetMu: b.metersetMu! })) }],
    doseReferences: [],
    beams,
  };
}

/**
 * Two clean arcs.
 * Arc1: CW 350 -> 6 deg through 0 in 4 deg steps, 100 MU in 4 equal parts (25 MU each), every leaf
 *   moving 10 mm per interval. Per interval: gantry 4/6 = 0.667 s, leaves 10/35 = 0.286 s, dose rate
 *   25 MU / (600/60 MU/s) = 2.5 s -> t_lo = 2.5 s (dose-rate bound); t_hi = 25 / (20/60) = 75 s.
 * Arc2: CC 6 -> 350 deg, 20 MU (5 MU per interval: 0.5 s at the maximum rate); bank B opens by 30 mm
 *   and closes back: 30/35 s in each of the first two intervals, then gantry 4/6 s twice;
 *   t_hi = 5 / (20/60) = 15 s.
 */
function cleanPlan(): RtPlan {
  const arc1 = [350, 354, 358, 2, 6].map((g, k) => cp(k, g, 'CW', k / 4, leaves(-20 + 10 * k, 20 + 10 * k)));
  const bPositions = [20, 50, 20, 20, 20];
  const arc2 = [6, 2, 358, 354, 350].map((g, k) => cp(k, g, 'CC', k / 4, leaves(-20, bPositions[k]!)));
  return plan(beam(1, 'Arc1', 100, arc1), beam(2, 'Arc2', 20, arc2));
}

describe('checkDeliverability', () => {
  it('finds nothing wrong in a clean two-arc plan', () => {
    expect(checkDeliverability(cleanPlan(), MACHINE)).toEqual([]);
  });

  it('reports a leaf at 250 mm, crossed leaves and a leaf too fast for the minimum dose rate, each once, with beam, control point and leaf', () => {
    // Beam 1: leaf B23 at 250 mm at control point 1 (other bank-B leaves at 60 mm: spread 190 mm,
    // within the 200 mm a bank spans); 230 mm of travel (6.57 s) under 100 MU (300 s at 20 MU/min).
    const b1 = beam(1, 'Out', 100, [cp(0, 0, 'NONE', 0, leaves(-20, 60)), cp(1, 0, 'NONE', 1, leaves(-20, 60, ['B', 23, 250]))]);
    // Beam 2: pair 12 crosses at control point 1 (A12 at 10 mm, B12 at 5 mm).
    const b2 = beam(2, 'Cross', 100, [cp(0, 0, 'NONE', 0, leaves(-20, 20)), cp(1, 0, 'NONE', 1, leaves(-20, 20, ['A', 12, 10], ['B', 12, 5]))]);
    // Beam 3: 0.8 MU over two 4-degree intervals (0.4 MU each); leaf A5 opens by 50 mm in 1 -> 2.
    const b3 = beam(3, 'Fast', 0.8, [
      cp(0, 0, 'CW', 0, leaves(-20, 20)),
      cp(1, 4, 'CW', 0.5, leaves(-20, 20)),
      cp(2, 8, 'CW', 1, leaves(-20, 20, ['A', 5, -70])),
    ]);
    const violations = checkDeliverability(plan(b1, b2, b3), MACHINE);

    // the leaf takes 50 mm / 35 mm/s; 0.4 MU at 20 MU/min last 0.4 / (20/60) s, less
    const tLeaf = 50 / 35;
    const tHi = 0.4 / (20 / 60);
    expect(tLeaf).toBeGreaterThan(tHi);
    expect(violations.map((v) => [v.beamNumber, v.controlPoint, v.kind])).toEqual([
      [1, 1, 'leaf-range'],
      [2, 1, 'leaves-crossed'],
      [3, [1, 2], 'speed'],
    ]);
    expect(violations[0]!.message).toBe('beam 1 "Out", control point 1: leaf B23 at 250.0 mm is outside the leaf range -200..200 mm');
    expect(violations[1]!.message).toBe('beam 2 "Cross", control point 1: leaves A12 at 10.0 mm and B12 at 5.0 mm cross by 5.0 mm');
    expect(violations[2]!.message).toBe(
      `beam 3 "Fast", control points 1->2: leaf A5 travels 50.0 mm (${tLeaf.toFixed(2)} s at 35 mm/s) but 0.40 MU at the minimum dose rate of 20 MU/min last at most ${tHi.toFixed(2)} s`,
    );
    expect(violations[2]!.message).toContain('(1.43 s at 35 mm/s)');
    expect(violations[2]!.message).toContain('at most 1.20 s');
  });

  it('names the gantry when the gantry sets the time: 20 deg at 6 deg/s is 3.33 s, but 0.5 MU at 20 MU/min last 1.5 s', () => {
    const b = beam(1, 'Arc', 0.5, [cp(0, 10, 'CW', 0, leaves(-20, 20)), cp(1, 30, 'CW', 1, leaves(-20, 20))]);
    const [v, ...rest] = checkDeliverability(plan(b), MACHINE);
    expect(rest).toEqual([]);
    expect(v!.message).toBe('beam 1 "Arc", control points 0->1: gantry turns 20.0 deg (3.33 s at 6 deg/s) but 0.50 MU at the minimum dose rate of 20 MU/min last at most 1.50 s');
  });

  it('accepts a closed pair inside the Y diaphragm opening as deliverable, as one parked under the diaphragms', () => {
    // pair 41 spans Y 0..5 mm, inside the opening -50..50; pair 1 spans -200..-195, under Y1: both closed
    const x = leaves(-20, 20, ['A', 41, 3], ['B', 41, 3], ['A', 1, 0], ['B', 1, 0]);
    const b = beam(1, 'Closed', 100, [cp(0, 0, 'NONE', 0, x), cp(1, 0, 'NONE', 1, x)]);
    expect(checkDeliverability(plan(b), MACHINE)).toEqual([]);
  });

  it('reports a gap below the minimum gap, bank spread, over-travel and the jaws', () => {
    const machine: LinacMachine = { ...MACHINE, mlc: { ...MACHINE.mlc, minGapMm: 0.5 } };
    // control point 0: A2 at 160 mm (over-travel); bank B from -30 (B1) to 175 mm (B2): 205 mm;
    // pair 75 (Y 170..175, outside the opening 155..170) open by 0.3 mm; Y1 at 155 mm (over-travel).
    // control point 1: B3 at -180 mm (over-travel; A3 at -190 mm); Y1 -60 and Y2 -70 mm cross.
    const x0 = leaves(-20, 20, ['A', 1, -35], ['B', 1, -30], ['A', 2, 160], ['B', 2, 175], ['A', 75, 99.7], ['B', 75, 100]);
    const x1 = leaves(-20, 20, ['A', 3, -190], ['B', 3, -180]);
    const b = beam(1, 'Mixed', 100, [cp(0, 0, 'NONE', 0, x0, [155, 170]), cp(1, 0, 'NONE', 1, x1, [-60, -70])]);
    const v = checkDeliverability(plan(b), machine);
    expect(v.map((e) => [e.controlPoint, e.kind])).toEqual([
      [0, 'leaf-over-travel'],
      [0, 'bank-spread'],
      [0, 'leaf-gap'],
      [0, 'jaw-range'],
      [1, 'leaf-over-travel'],
      [1, 'jaws-crossed'],
    ]);
    expect(v[0]!.message).toContain('leaf A2 at 160.0 mm passes the central axis by 160.0 mm, more than the over-travel of 150 mm');
    expect(v[1]!.message).toContain('the leaves of bank B spread over 205.0 mm (leaf B1 at -30.0 mm, leaf B2 at 175.0 mm), more than the 200 mm');
    expect(v[2]!.message).toContain('pair 75 gap 0.3 mm');
    expect(v[2]!.message).toContain('minimum gap of 0.5 mm');
    expect(v[3]!.message).toContain('jaw Y1 (ASYMY) at 155.0 mm passes the central axis by 155.0 mm, more than its over-travel of 150 mm');
    expect(v[4]!.message).toContain('leaf B3 at -180.0 mm passes the central axis by 180.0 mm');
    expect(v[5]!.message).toContain('jaws Y1 at -60.0 mm and Y2 at -70.0 mm cross');
  });

  it('reports meterset weights that do not start at 0, decrease or miss the final weight, and gantry direction errors', () => {
    const x = leaves(-20, 20);
    const b = beam(1, 'W', 100, [
      cp(0, 10, 'CW', 0.1, x),
      cp(1, 12, 'CW', 0.5, x),
      cp(2, 8, 'CW', 0.4, x),
      cp(3, 8, 'NONE', 0.6, x),
      cp(4, 20, 'NONE', 0.9, x),
    ]);
    const v = checkDeliverability(plan(b), MACHINE);
    expect(v.map((e) => [e.controlPoint, e.kind])).toEqual([
      [0, 'meterset-weight'],
      [[1, 2], 'meterset-weight'],
      [4, 'meterset-weight'],
      [[1, 2], 'gantry-direction'],
      [[3, 4], 'gantry-direction'],
    ]);
    expect(v[3]!.message).toContain('gantry goes from 12 to 8 deg, 356.0 deg in the stated direction CW: it appears to move counter-clockwise (CC)');
    expect(v[4]!.message).toContain('gantry moves from 8 to 20 deg but its rotation direction is NONE');
  });

  it('reports a step-and-shoot segment below the minimum segment MU (STATIC, or DYNAMIC with nothing moving), and device mismatches', () => {
    const x = leaves(-20, 20);
    // STATIC beam: 10 MU, segments of 0.5 MU (below 1 MU) and 9.5 MU; leaves move beam-off between them
    const sns = beam(1, 'IMRT', 10, [cp(0, 0, 'NONE', 0, x), cp(1, 0, 'NONE', 0.05, x), cp(2, 0, 'NONE', 0.05, leaves(-10, 10)), cp(3, 0, 'NONE', 1, leaves(-10, 10))], 'STATIC');
    const other: Beam = {
      ...beam(2, 'Varian', 100, [cp(0, 0, 'NONE', 0, x), cp(1, 0, 'NONE', 1, x)]),
      leafBoundariesMm: { MLCX: Float64Array.from({ length: 61 }, (_, k) => -150 + 5 * k) },
      controlPoints: [0, 1].map((k) => ({ ...cp(k, 0, 'NONE', k, x), jawsMm: { ASYMX: [-50, 50] as const, ASYMY: [-50, 50] as const } })),
    };
    // the same segments written as a DYNAMIC beam of control-point pairs (nothing moves while the beam is on)
    const dyn = { ...sns, number: 3, name: 'IMRT-DYN', type: 'DYNAMIC' as const };
    const v = checkDeliverability(plan(sns, other, dyn), MACHINE);
    expect(v.map((e) => [e.beamNumber, e.controlPoint, e.kind])).toEqual([
      [1, [0, 1], 'segment-mu'],
      [2, undefined, 'device'],
      [2, undefined, 'device'],
      [3, [0, 1], 'segment-mu'],
    ]);
    expect(v[0]!.message).toBe('beam 1 "IMRT", control points 0->1: segment of 0.50 MU is below the machine\'s minimum of 1 MU per segment');
    expect(v[1]!.message).toContain('jaw device ASYMX, which the machine does not have (its jaws: ASYMY)');
    expect(v[2]!.message).toContain('MLCX has 60 leaf pairs; the machine has 80');
  });
});

describe('deliveryTime and planComplexity', () => {
  it('give the hand-computed delivery time of each arc and the seconds each limit sets', () => {
    const [arc1, arc2] = deliveryTime(cleanPlan(), MACHINE);
    // Arc1: 4 x 2.5 s (dose rate); Arc2: 2 x 30/35 s (leaves) + 2 x 4/6 s (gantry)
    expect(arc1!.timeS).toBeCloseTo(4 * 2.5, 9);
    expect(arc1!.limitedByS.doseRate).toBeCloseTo(10, 9);
    expect(arc2!.timeS).toBeCloseTo(2 * (30 / 35) + 2 * (4 / 6), 9);
    expect(arc2!.limitedByS.leaf).toBeCloseTo(60 / 35, 9);
    expect(arc2!.limitedByS.gantry).toBeCloseTo(8 / 6, 9);
  });

  it('give MU, the MU-weighted mean aperture area inside the jaws and the total leaf travel', () => {
    const [arc1, arc2] = planComplexity(cleanPlan());
    // Arc1: 20 pairs (100 mm) inside Y -50..50, 40 mm open -> 40 cm^2 throughout; 4 x 160 leaves x 10 mm
    expect(arc1!.mu).toBe(100);
    expect(arc1!.meanApertureAreaCm2).toBeCloseTo(40, 9);
    expect(arc1!.leafTravelMm).toBeCloseTo(6400, 9);
    // Arc2: 40, 70, 40, 40, 40 cm^2 at the control points; interval means 55, 55, 40, 40 with equal MU
    expect(arc2!.meanApertureAreaCm2).toBeCloseTo((55 + 55 + 40 + 40) / 4, 9);
    expect(arc2!.leafTravelMm).toBeCloseTo(80 * 30 * 2, 9);
  });
});
