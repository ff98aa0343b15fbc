/**
 * The delivery machine: the collimation and motion limits of a linac that arcs and segments must
 * respect (the dose model of the beam itself is src/dose/machine.ts, PhotonMachine).
 *
 * Lengths in mm at the isocentre plane (IEC 61217 beam-limiting-device frame: leaves move along X_b,
 * leaf pairs are stacked along Y_b), angles in degrees, speeds per second, dose rate in MU per minute.
 * Every figure of a shipped machine names its source, or says it is an assumption the user must check
 * for their own linac (`sources`, keyed by the field's dotted path, e.g. "mlc.leafSpeedMmPerS").
 * Loading and validation: machine-file.ts; the shipped machines live in machines/ at the repository root.
 */

export interface MlcDescription {
  /** DICOM RTBeamLimitingDeviceType of the leaves (MLCX: leaves move along X_b). */
  readonly deviceType: 'MLCX';
  /** Leaf pairs; leafBoundariesMm holds pairs + 1 increasing values along Y_b. */
  readonly leafPairs: number;
  readonly leafBoundariesMm: Float64Array;
  /** Leaf tip positions allowed along X_b: [most negative, most positive] (each bank's travel range). */
  readonly positionRangeMm: readonly [number, number];
  /** Largest distance a leaf tip may travel past the central axis into the opposite side (over-travel), mm. */
  readonly maxOverTravelMm: number;
  /** Smallest gap between the two leaves of a pair when the beam is on, mm (also the parked gap). */
  readonly minGapMm: number;
  /** Largest leaf speed, mm/s. */
  readonly leafSpeedMmPerS: number;
  /**
   * Largest distance between the most retracted and the most extended leaf of one bank, mm, when the
   * leaves ride on a carriage or guide of limited reach (Agility: leaves extend up to 200 mm from their
   * dynamic leaf guide); absent when unlimited.
   */
  readonly maxBankSpreadMm?: number;
  /** Whether a leaf may pass the opposing leaves of the neighbouring pairs. */
  readonly interdigitation: boolean;
  /** Fraction of the open-field fluence transmitted through closed leaves (mean of intra- and inter-leaf). */
  readonly transmission: number;
}

export interface JawDescription {
  /** DICOM RTBeamLimitingDeviceType (ASYMY: one pair of asymmetric jaws along Y_b). */
  readonly deviceType: 'ASYMX' | 'ASYMY';
  /** Positions allowed for each jaw: [most negative, most positive], mm. */
  readonly positionRangeMm: readonly [number, number];
  /** Largest jaw speed, mm/s. */
  readonly speedMmPerS: number;
  /** Largest distance a jaw may travel past the central axis into the opposite side, mm; absent when unlimited within positionRangeMm. */
  readonly maxOverTravelMm?: number;
}

export interface LinacMachine {
  /** Short name used on the command line (e.g. "agility"). */
  readonly name: string;
  readonly manufacturer: string;
  readonly model: string;
  /** Treatment machine name written to RTPLAN (TreatmentMachineName); the user's own name overrides it. */
  readonly treatmentMachineName: string;
  readonly sadMm: number;
  readonly energyMv: number;
  readonly mlc: MlcDescription;
  /** Jaws in the order written to RTPLAN's BeamLimitingDeviceSequence after the MLC (Agility: ASYMY only). */
  readonly jaws: readonly JawDescription[];
  readonly gantry: {
    /** Largest gantry speed, degrees/s. */
    readonly maxSpeedDegPerS: number;
  };
  readonly doseRate: {
    /** Largest dose rate, MU/min. */
    readonly maxMuPerMin: number;
    /** Smallest dose rate while the beam is on, MU/min. */
    readonly minMuPerMin: number;
  };
  /** Smallest MU of one control-point interval (or one step-and-shoot segment) the machine delivers. */
  readonly minSegmentMu: number;
  /** Source of each figure (dotted field path -> citation, or "assumption: ..."). */
  readonly sources: Readonly<Record<string, string>>;
}
