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
  "muPerMm": 0.006197585,
  "betasPerMm": [
    3.882895,
    0.2609556,
    0.01109053,
    0.000553582
  ],
  "lateralRatesPerMm": [
    2,
    1.670209,
    0.02070216,
    0.005154437
  ],
  "coefficients": [
    [
      0.253064,
      0,
      0.1807908,
      0
    ],
    [
      0.9358503,
      0,
      0,
      0
    ],
    [
      0.1158413,
      0,
      0.3913868,
      0
    ],
    [
      1.06514,
      0,
      0,
      4.948968
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
  "gyPerMuPerUnit": 0.008070586,
  "dmaxMm": 14.6
};

/** Fit residuals at SAD setup beyond dmax, % of each field's maximum (held out: 50, 80, 150, 300 mm). */
export const PHOTON_6MV_FIT_RESIDUALS: Readonly<Record<string, { maxPct: number; rmsPct: number }>> = {
  "10": {
    "maxPct": 1.11,
    "rmsPct": 0.504
  },
  "20": {
    "maxPct": 3.58,
    "rmsPct": 2.29
  },
  "30": {
    "maxPct": 1.31,
    "rmsPct": 0.626
  },
  "40": {
    "maxPct": 1.19,
    "rmsPct": 0.514
  },
  "50": {
    "maxPct": 0.956,
    "rmsPct": 0.401
  },
  "60": {
    "maxPct": 0.908,
    "rmsPct": 0.36
  },
  "80": {
    "maxPct": 1.1,
    "rmsPct": 0.427
  },
  "100": {
    "maxPct": 0.726,
    "rmsPct": 0.318
  },
  "150": {
    "maxPct": 0.775,
    "rmsPct": 0.351
  },
  "200": {
    "maxPct": 0.941,
    "rmsPct": 0.414
  },
  "300": {
    "maxPct": 1.05,
    "rmsPct": 0.539
  },
  "400": {
    "maxPct": 1.42,
    "rmsPct": 0.328
  }
};
