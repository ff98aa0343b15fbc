/**
 * lattice-rt 6 MV photon beam model: our fitted parameters (see docs/dose-engine.md).
 *
 * Fitted by scripts/fit-beam-model.ts to the Elekta Synergy Agility 6 MV data of e0404/photonPencilBeamKernelCalc
 * (folder synergy/, commit c2296dd625c93b626cb4ed3d0e47ad2c96891c9f), MIT licence,
 * Copyright (c) the photonPencilBeamKernelCalc authors (e0404). The primary-fluence table below is derived
 * from their primflu.dat (5 mm window averages). Regenerate with the script; do not edit by hand.
 */

import type { PhotonMachine } from './machine.js';

export const PHOTON_6MV: PhotonMachine = {
  "name": "lattice-rt 6 MV (fitted to Elekta Synergy Agility data)",
  "radiationType": "PHOTON",
  "energyMv": 6,
  "sadMm": 1000,
  "muPerMm": 0.006824215,
  "betasPerMm": [
    3.157042,
    0.2395215,
    0.009652404,
    0.0004415369
  ],
  "lateralRatesPerMm": [
    2,
    1.688417,
    0.02402014,
    0.006653884
  ],
  "coefficients": [
    [
      0.4191652,
      0,
      0.1275551,
      0.09767359
    ],
    [
      0.7646463,
      0,
      0,
      0
    ],
    [
      0.2458447,
      0,
      0.3671301,
      0
    ],
    [
      1.208326,
      0,
      0,
      6.445315
    ]
  ],
  "sourceSigmaMm": 2.548,
  "primaryFluence": {
    "radiusMm": [
      0,
      5,
      10,
      15,
      20,
      25,
      30,
      35,
      40,
      45,
      50,
      55,
      60,
      65,
      70,
      75,
      80,
      85,
      90,
      95,
      100,
      105,
      110,
      115,
      120,
      125,
      130,
      135,
      140,
      145,
      150,
      155,
      160,
      165,
      170,
      175,
      180,
      185,
      190,
      195,
      200,
      205,
      210
    ],
    "relative": [
      1,
      1.00167,
      1.00492,
      1.00812,
      1.01101,
      1.01678,
      1.01982,
      1.02341,
      1.02577,
      1.02773,
      1.02872,
      1.02965,
      1.03075,
      1.03226,
      1.03432,
      1.03836,
      1.04219,
      1.04498,
      1.04891,
      1.05198,
      1.05502,
      1.05625,
      1.05645,
      1.0564,
      1.05694,
      1.05737,
      1.05829,
      1.05891,
      1.05999,
      1.06078,
      1.06111,
      1.06137,
      1.06014,
      1.05812,
      1.05711,
      1.05566,
      1.05374,
      1.05212,
      1.05173,
      1.05088,
      1.04956,
      1.04514,
      1.03408
    ]
  },
  "gyPerMuPerUnit": 0.008107625,
  "dmaxMm": 14.8
};

/** Fit residuals at SAD setup beyond dmax, % of each field's maximum (held out: 50, 80, 150, 300 mm). */
export const PHOTON_6MV_FIT_RESIDUALS: Readonly<Record<string, { maxPct: number; rmsPct: number }>> = {
  "10": {
    "maxPct": 1.62,
    "rmsPct": 0.785
  },
  "20": {
    "maxPct": 3.56,
    "rmsPct": 2.39
  },
  "30": {
    "maxPct": 1.26,
    "rmsPct": 0.726
  },
  "40": {
    "maxPct": 1.08,
    "rmsPct": 0.455
  },
  "50": {
    "maxPct": 0.808,
    "rmsPct": 0.329
  },
  "60": {
    "maxPct": 0.77,
    "rmsPct": 0.289
  },
  "80": {
    "maxPct": 0.903,
    "rmsPct": 0.398
  },
  "100": {
    "maxPct": 0.718,
    "rmsPct": 0.318
  },
  "150": {
    "maxPct": 0.659,
    "rmsPct": 0.299
  },
  "200": {
    "maxPct": 0.884,
    "rmsPct": 0.383
  },
  "300": {
    "maxPct": 0.999,
    "rmsPct": 0.548
  },
  "400": {
    "maxPct": 1.01,
    "rmsPct": 0.451
  }
};
