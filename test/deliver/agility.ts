/**
 * The Elekta Agility figures of machines/elekta-agility.yaml as the deliver tests use them, built inline
 * (no file reading): 80 x 5 mm pairs from -200 mm, 35 mm/s leaves, 6 deg/s, 20-600 MU/min, 0.4 %
 * transmission, no bank-spread limit. Tests that need another figure spread it over this one.
 */
import type { LinacMachine } from '../../src/deliver/machine.js';

export const TEST_AGILITY: LinacMachine = {
  name: 'agility', manufacturer: 'Elekta', model: 'Agility', treatmentMachineName: 'Agility', sadMm: 1000, energyMv: 6,
  mlc: {
    deviceType: 'MLCX', leafPairs: 80, leafBoundariesMm: Float64Array.from({ length: 81 }, (_, i) => -200 + 5 * i),
    positionRangeMm: [-200, 200], maxOverTravelMm: 150, minGapMm: 0, leafSpeedMmPerS: 35, interdigitation: true, transmission: 0.004,
  },
  jaws: [{ deviceType: 'ASYMY', positionRangeMm: [-200, 200], speedMmPerS: 90 }],
  gantry: { maxSpeedDegPerS: 6 },
  doseRate: { maxMuPerMin: 600, minMuPerMin: 20 },
  minSegmentMu: 1,
  sources: {},
};
