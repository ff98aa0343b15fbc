/**
 * Beam arrangements (src/plan/beams.ts): the `--beams` option and equispaced gantry angles
 * (IEC 61217 degrees). Expected angles are written out from the option's definition.
 */

import { describe, expect, it } from 'vitest';
import { InputError, PlanError } from '../../src/core/errors.js';
import { equispacedAngles, operatorBeams, parseBeamOption } from '../../src/plan/beams.js';

describe('parseBeamOption', () => {
  it("'36' is 36 coplanar beams 10 degrees apart from gantry 0", () => {
    const b = parseBeamOption('36');
    expect(b).toHaveLength(36);
    expect(b.map((x) => x.gantryDeg)).toEqual(Array.from({ length: 36 }, (_, i) => 10 * i));
    for (const x of b) expect([x.couchDeg, x.collimatorDeg]).toEqual([0, 0]);
  });

  it("'0:40:320' is the 9 gantry angles 0, 40, ..., 320 (the imrt template's arrangement)", () => {
    const b = parseBeamOption('0:40:320');
    expect(b.map((x) => x.gantryDeg)).toEqual([0, 40, 80, 120, 160, 200, 240, 280, 320]);
  });

  it('a range is inclusive of STOP only when it falls on a step, and angles are taken modulo 360', () => {
    expect(parseBeamOption('0:40:350').map((x) => x.gantryDeg)).toEqual([0, 40, 80, 120, 160, 200, 240, 280, 320]);
    expect(parseBeamOption('-90:90:90').map((x) => x.gantryDeg)).toEqual([270, 0, 90]);
    expect(parseBeamOption('181.5:1:181.5').map((x) => x.gantryDeg)).toEqual([181.5]);
  });

  it("'0,90/20,180/0/45' gives gantry, couch and collimator per beam (missing angles 0)", () => {
    expect(parseBeamOption('0,90/20,180/0/45')).toEqual([
      { gantryDeg: 0, couchDeg: 0, collimatorDeg: 0 },
      { gantryDeg: 90, couchDeg: 20, collimatorDeg: 0 },
      { gantryDeg: 180, couchDeg: 0, collimatorDeg: 45 },
    ]);
    expect(parseBeamOption(' 30 , 60 ')).toEqual([
      { gantryDeg: 30, couchDeg: 0, collimatorDeg: 0 },
      { gantryDeg: 60, couchDeg: 0, collimatorDeg: 0 },
    ]);
  });

  it.each([
    ['', 'nothing'],
    ['abc', 'not a number'],
    ['0,,90', 'an empty beam'],
    ['0/1/2/3', 'four angles for one beam'],
    ['0,NaN', 'NaN'],
    ['0:0:320', 'step 0'],
    ['320:40:0', 'stop before start'],
    ['0:0.5:400', 'more than 360 / step beams'],
    ['0', 'zero beams'],
    ['361', 'more than 360 beams'],
  ])('%j (%s) is an InputError quoting it', (text) => {
    let caught: unknown;
    try {
      parseBeamOption(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as Error).message).toMatch(/--beams|beam count/);
  });
});

describe('equispacedAngles', () => {
  it('spaces count beams 360 / count apart from startDeg, modulo 360, with the given couch and collimator', () => {
    expect(equispacedAngles(4, 45, 10, 5)).toEqual([
      { gantryDeg: 45, couchDeg: 10, collimatorDeg: 5 },
      { gantryDeg: 135, couchDeg: 10, collimatorDeg: 5 },
      { gantryDeg: 225, couchDeg: 10, collimatorDeg: 5 },
      { gantryDeg: 315, couchDeg: 10, collimatorDeg: 5 },
    ]);
    // 360 / 7 is not a whole number of degrees: angles are rounded to 1e-6 degree
    expect(equispacedAngles(7).map((b) => b.gantryDeg)).toEqual([0, 51.428571, 102.857143, 154.285714, 205.714286, 257.142857, 308.571429]);
  });

  it('a count that is not an integer from 1 to 360 is an InputError', () => {
    for (const n of [0, -3, 2.5, 361, Number.NaN]) expect(() => equispacedAngles(n)).toThrow(InputError);
  });
});

describe('operatorBeams', () => {
  it('names beams by their angles, shares the isocentre and the SAD', () => {
    const b = operatorBeams(parseBeamOption('0,90/20,180/0/45'), [1, 2, 3], 1000);
    expect(b.map((x) => x.name)).toEqual(['G0', 'G90 T20', 'G180 C45']);
    for (const x of b) expect([x.geometry.isocenterLps, x.geometry.sadMm]).toEqual([[1, 2, 3], 1000]);
  });

  it('no beam is a PlanError; a non-finite angle an InputError naming the beam', () => {
    expect(() => operatorBeams([], [0, 0, 0], 1000)).toThrow(PlanError);
    expect(() => operatorBeams([{ gantryDeg: 0 }, { gantryDeg: 0, couchDeg: Number.NaN }], [0, 0, 0], 1000)).toThrow(/beam 2: couch angle/);
  });
});

describe('parseBeamOption: full turns and repeats', () => {
  it("'0:10:360' is 36 beams: the closing 360 is gantry 0 again and is not repeated", () => {
    const g = parseBeamOption('0:10:360').map((x) => x.gantryDeg);
    expect(g).toHaveLength(36);
    expect(new Set(g).size).toBe(36);
    expect(g[35]).toBe(350);
  });

  it('a range over more than one turn, or a repeated beam in a list, is an InputError naming --beams', () => {
    expect(() => parseBeamOption('0:10:720')).toThrow(/at most one turn/);
    expect(() => parseBeamOption('0,90,360')).toThrow(/beam 3 repeats beam 1/);
    expect(() => parseBeamOption('0/10,0/10')).toThrow(InputError);
    expect(parseBeamOption('0/10,0/20')).toHaveLength(2);
  });
});
