/**
 * The part of the DICOM data dictionary lattice-rt reads and writes: keyword -> (tag, VR), one
 * table for the readers and the writers, and the helpers that name a tag in an error message as
 * "(gggg,eeee) Keyword".
 *
 * Input: a keyword (checked at compile time) or a tag number / 8-digit hex string.
 * Output: the tag as a number, as dcmjs's dataset key ("0020000D"), its VR (what the writers'
 * `put` checks a value against) and a label for messages.
 * Reference: DICOM PS3.6 section 6 (registry of data elements: tags, keywords, VRs).
 */

import { dictionaryKeyword } from './dcmjs.js';

/** Value representations of the elements below (PS3.5 table 6.2-1). */
export type Vr =
  | 'AE' | 'AT' | 'CS' | 'DA' | 'DS' | 'FL' | 'IS' | 'LO' | 'LT' | 'OB' | 'OW' | 'PN' | 'SH' | 'SQ' | 'ST' | 'TM' | 'UI' | 'UL' | 'US';

/** VRs whose length is a 2-byte field in explicit VR (PS3.5 7.1.2): at most 0xFFFE bytes of value. */
export const SHORT_LENGTH_VRS: ReadonlySet<string> = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US',
]);

/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2). */
export const LONG_LENGTH_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/**
 * Tag number ((group << 16) | element) and VR by keyword, in tag order. Add a keyword here before
 * reading or writing it (test/io/dicom/read-units checks every keyword against dcmjs's dictionary).
 * PixelData is OB or OW (PS3.5 8.2); the writers write OW. FL values are binary floats, which the
 * writers' `put` does not take (write/rtplan.ts sets its two FL elements directly).
 */
export const DICTIONARY = {
  // File meta information (PS3.10 7.1), always explicit VR little endian.
  FileMetaInformationGroupLength: [0x00020000, 'UL'],
  FileMetaInformationVersion: [0x00020001, 'OB'],
  MediaStorageSOPClassUID: [0x00020002, 'UI'],
  MediaStorageSOPInstanceUID: [0x00020003, 'UI'],
  TransferSyntaxUID: [0x00020010, 'UI'],
  ImplementationClassUID: [0x00020012, 'UI'],
  ImplementationVersionName: [0x00020013, 'SH'],
  // DICOMDIR.
  DirectoryRecordSequence: [0x00041220, 'SQ'],
  // SOP Common, General Study / Series / Equipment / Image.
  SpecificCharacterSet: [0x00080005, 'CS'],
  ImageType: [0x00080008, 'CS'],
  InstanceCreationDate: [0x00080012, 'DA'],
  InstanceCreationTime: [0x00080013, 'TM'],
  SOPClassUID: [0x00080016, 'UI'],
  SOPInstanceUID: [0x00080018, 'UI'],
  StudyDate: [0x00080020, 'DA'],
  SeriesDate: [0x00080021, 'DA'],
  ContentDate: [0x00080023, 'DA'],
  StudyTime: [0x00080030, 'TM'],
  SeriesTime: [0x00080031, 'TM'],
  ContentTime: [0x00080033, 'TM'],
  AccessionNumber: [0x00080050, 'SH'],
  Modality: [0x00080060, 'CS'],
  Manufacturer: [0x00080070, 'LO'],
  ReferringPhysicianName: [0x00080090, 'PN'],
  TimezoneOffsetFromUTC: [0x00080201, 'SH'],
  StudyDescription: [0x00081030, 'LO'],
  SeriesDescription: [0x0008103e, 'LO'],
  OperatorsName: [0x00081070, 'PN'],
  ManufacturerModelName: [0x00081090, 'LO'],
  ReferencedSOPClassUID: [0x00081150, 'UI'],
  ReferencedSOPInstanceUID: [0x00081155, 'UI'],
  // Patient.
  PatientName: [0x00100010, 'PN'],
  PatientID: [0x00100020, 'LO'],
  PatientBirthDate: [0x00100030, 'DA'],
  PatientSex: [0x00100040, 'CS'],
  // Acquisition / equipment.
  SliceThickness: [0x00180050, 'DS'],
  KVP: [0x00180060, 'DS'],
  SpacingBetweenSlices: [0x00180088, 'DS'],
  SoftwareVersions: [0x00181020, 'LO'],
  PatientPosition: [0x00185100, 'CS'],
  // Relationship and image plane.
  StudyInstanceUID: [0x0020000d, 'UI'],
  SeriesInstanceUID: [0x0020000e, 'UI'],
  StudyID: [0x00200010, 'SH'],
  SeriesNumber: [0x00200011, 'IS'],
  AcquisitionNumber: [0x00200012, 'IS'],
  InstanceNumber: [0x00200013, 'IS'],
  PatientOrientation: [0x00200020, 'CS'],
  ImagePositionPatient: [0x00200032, 'DS'],
  ImageOrientationPatient: [0x00200037, 'DS'],
  FrameOfReferenceUID: [0x00200052, 'UI'],
  Laterality: [0x00200060, 'CS'],
  PositionReferenceIndicator: [0x00201040, 'LO'],
  SliceLocation: [0x00201041, 'DS'],
  // Image pixel.
  SamplesPerPixel: [0x00280002, 'US'],
  PhotometricInterpretation: [0x00280004, 'CS'],
  NumberOfFrames: [0x00280008, 'IS'],
  FrameIncrementPointer: [0x00280009, 'AT'],
  Rows: [0x00280010, 'US'],
  Columns: [0x00280011, 'US'],
  PixelSpacing: [0x00280030, 'DS'],
  BitsAllocated: [0x00280100, 'US'],
  BitsStored: [0x00280101, 'US'],
  HighBit: [0x00280102, 'US'],
  PixelRepresentation: [0x00280103, 'US'],
  WindowCenter: [0x00281050, 'DS'],
  WindowWidth: [0x00281051, 'DS'],
  RescaleIntercept: [0x00281052, 'DS'],
  RescaleSlope: [0x00281053, 'DS'],
  // RT Dose.
  DoseUnits: [0x30040002, 'CS'],
  DoseType: [0x30040004, 'CS'],
  DoseComment: [0x30040006, 'LO'],
  DoseSummationType: [0x3004000a, 'CS'],
  GridFrameOffsetVector: [0x3004000c, 'DS'],
  DoseGridScaling: [0x3004000e, 'DS'],
  TissueHeterogeneityCorrection: [0x30040014, 'CS'],
  // RT Structure Set, ROI Contour, RT ROI Observations.
  StructureSetLabel: [0x30060002, 'SH'],
  StructureSetName: [0x30060004, 'LO'],
  StructureSetDescription: [0x30060006, 'ST'],
  StructureSetDate: [0x30060008, 'DA'],
  StructureSetTime: [0x30060009, 'TM'],
  ReferencedFrameOfReferenceSequence: [0x30060010, 'SQ'],
  RTReferencedStudySequence: [0x30060012, 'SQ'],
  RTReferencedSeriesSequence: [0x30060014, 'SQ'],
  ContourImageSequence: [0x30060016, 'SQ'],
  StructureSetROISequence: [0x30060020, 'SQ'],
  ROINumber: [0x30060022, 'IS'],
  ReferencedFrameOfReferenceUID: [0x30060024, 'UI'],
  ROIName: [0x30060026, 'LO'],
  ROIDisplayColor: [0x3006002a, 'IS'],
  ROIGenerationAlgorithm: [0x30060036, 'CS'],
  ROIContourSequence: [0x30060039, 'SQ'],
  ContourSequence: [0x30060040, 'SQ'],
  ContourGeometricType: [0x30060042, 'CS'],
  NumberOfContourPoints: [0x30060046, 'IS'],
  ContourNumber: [0x30060048, 'IS'],
  ContourData: [0x30060050, 'DS'],
  RTROIObservationsSequence: [0x30060080, 'SQ'],
  ObservationNumber: [0x30060082, 'IS'],
  ReferencedROINumber: [0x30060084, 'IS'],
  ROIObservationLabel: [0x30060085, 'SH'],
  RTROIInterpretedType: [0x300600a4, 'CS'],
  ROIInterpreter: [0x300600a6, 'PN'],
  // RT Plan.
  RTPlanLabel: [0x300a0002, 'SH'],
  RTPlanName: [0x300a0003, 'LO'],
  RTPlanDescription: [0x300a0004, 'ST'],
  RTPlanDate: [0x300a0006, 'DA'],
  RTPlanTime: [0x300a0007, 'TM'],
  PlanIntent: [0x300a000a, 'CS'],
  RTPlanGeometry: [0x300a000c, 'CS'],
  DoseReferenceSequence: [0x300a0010, 'SQ'],
  DoseReferenceNumber: [0x300a0012, 'IS'],
  DoseReferenceStructureType: [0x300a0014, 'CS'],
  DoseReferenceDescription: [0x300a0016, 'LO'],
  DoseReferenceType: [0x300a0020, 'CS'],
  DeliveryMaximumDose: [0x300a0023, 'DS'],
  TargetPrescriptionDose: [0x300a0026, 'DS'],
  FractionGroupSequence: [0x300a0070, 'SQ'],
  FractionGroupNumber: [0x300a0071, 'IS'],
  NumberOfFractionsPlanned: [0x300a0078, 'IS'],
  NumberOfBeams: [0x300a0080, 'IS'],
  BeamDose: [0x300a0084, 'DS'],
  BeamMeterset: [0x300a0086, 'DS'],
  NumberOfBrachyApplicationSetups: [0x300a00a0, 'IS'],
  BeamSequence: [0x300a00b0, 'SQ'],
  PatientSetupSequence: [0x300a0180, 'SQ'],
  TreatmentMachineName: [0x300a00b2, 'SH'],
  PrimaryDosimeterUnit: [0x300a00b3, 'CS'],
  SourceAxisDistance: [0x300a00b4, 'DS'],
  BeamLimitingDeviceSequence: [0x300a00b6, 'SQ'],
  RTBeamLimitingDeviceType: [0x300a00b8, 'CS'],
  NumberOfLeafJawPairs: [0x300a00bc, 'IS'],
  LeafPositionBoundaries: [0x300a00be, 'DS'],
  BeamNumber: [0x300a00c0, 'IS'],
  BeamName: [0x300a00c2, 'LO'],
  BeamType: [0x300a00c4, 'CS'],
  RadiationType: [0x300a00c6, 'CS'],
  TreatmentDeliveryType: [0x300a00ce, 'CS'],
  NumberOfWedges: [0x300a00d0, 'IS'],
  NumberOfCompensators: [0x300a00e0, 'IS'],
  NumberOfBoli: [0x300a00ed, 'IS'],
  NumberOfBlocks: [0x300a00f0, 'IS'],
  FinalCumulativeMetersetWeight: [0x300a010e, 'DS'],
  NumberOfControlPoints: [0x300a0110, 'IS'],
  ControlPointSequence: [0x300a0111, 'SQ'],
  ControlPointIndex: [0x300a0112, 'IS'],
  NominalBeamEnergy: [0x300a0114, 'DS'],
  DoseRateSet: [0x300a0115, 'DS'],
  BeamLimitingDevicePositionSequence: [0x300a011a, 'SQ'],
  LeafJawPositions: [0x300a011c, 'DS'],
  GantryAngle: [0x300a011e, 'DS'],
  GantryRotationDirection: [0x300a011f, 'CS'],
  BeamLimitingDeviceAngle: [0x300a0120, 'DS'],
  BeamLimitingDeviceRotationDirection: [0x300a0121, 'CS'],
  PatientSupportAngle: [0x300a0122, 'DS'],
  PatientSupportRotationDirection: [0x300a0123, 'CS'],
  TableTopEccentricAngle: [0x300a0125, 'DS'],
  TableTopEccentricRotationDirection: [0x300a0126, 'CS'],
  TableTopVerticalPosition: [0x300a0128, 'DS'],
  TableTopLongitudinalPosition: [0x300a0129, 'DS'],
  TableTopLateralPosition: [0x300a012a, 'DS'],
  IsocenterPosition: [0x300a012c, 'DS'],
  CumulativeMetersetWeight: [0x300a0134, 'DS'],
  TableTopPitchAngle: [0x300a0140, 'FL'],
  TableTopPitchRotationDirection: [0x300a0142, 'CS'],
  TableTopRollAngle: [0x300a0144, 'FL'],
  TableTopRollRotationDirection: [0x300a0146, 'CS'],
  PatientSetupNumber: [0x300a0182, 'IS'],
  // References to an RT Plan / structure set.
  ReferencedRTPlanSequence: [0x300c0002, 'SQ'],
  ReferencedBeamSequence: [0x300c0004, 'SQ'],
  ReferencedBeamNumber: [0x300c0006, 'IS'],
  ReferencedFractionGroupSequence: [0x300c0020, 'SQ'],
  ReferencedFractionGroupNumber: [0x300c0022, 'IS'],
  ReferencedStructureSetSequence: [0x300c0060, 'SQ'],
  ReferencedPatientSetupNumber: [0x300c006a, 'IS'],
  // Approval.
  ApprovalStatus: [0x300e0002, 'CS'],
  // Pixel data.
  PixelData: [0x7fe00010, 'OW'],
} as const satisfies Record<string, readonly [number, Vr]>;

export type TagKeyword = keyof typeof DICTIONARY;

/** The VR of a keyword, as a type: what the writers' `put` accepts for it depends on it. */
export type VrOf<K extends TagKeyword> = (typeof DICTIONARY)[K][1];

/** Tag numbers by keyword (the tag column of DICTIONARY). */
export const TAGS = Object.fromEntries(Object.entries(DICTIONARY).map(([keyword, [tag]]) => [keyword, tag])) as {
  readonly [K in TagKeyword]: (typeof DICTIONARY)[K][0];
};

const KEYWORD_OF_TAG: ReadonlyMap<number, TagKeyword> = new Map(
  (Object.entries(TAGS) as [TagKeyword, number][]).map(([k, t]) => [t, k]),
);

/** The tag number of a keyword. */
export const tagOf = (keyword: TagKeyword): number => TAGS[keyword];

/** The VR of a keyword. */
export const vrOf = <K extends TagKeyword>(keyword: K): VrOf<K> => DICTIONARY[keyword][1];

/** tagHex's strings so far (each tag's made once: a file's every element, every read of a dataset, asks). */
const HEX = new Map<number, string>();

/** 8 upper-case hex digits, the key dcmjs uses in its datasets: "0020000D". */
export function tagHex(tag: TagKeyword | number): string {
  const t = (typeof tag === 'number' ? tag : TAGS[tag]) >>> 0;
  let h = HEX.get(t);
  if (h === undefined) {
    h = t.toString(16).toUpperCase().padStart(8, '0');
    HEX.set(t, h);
  }
  return h;
}

/** "(gggg,eeee)" in upper-case hex. */
export function formatTag(tag: number): string {
  const h = tagHex(tag);
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

/** The keyword of a known tag (number or 8-digit hex), or undefined. */
export function keywordOfTag(tag: number | string): TagKeyword | undefined {
  const t = typeof tag === 'number' ? tag : Number.parseInt(tag, 16);
  return KEYWORD_OF_TAG.get(t >>> 0);
}

/**
 * "(0020,0032) ImagePositionPatient": how an error message names a tag. Tags outside the table
 * take their keyword from dcmjs's data dictionary (PS3.6), or show the number alone.
 */
export function tagLabel(tag: TagKeyword | number): string {
  const t = typeof tag === 'number' ? tag : TAGS[tag];
  const keyword = typeof tag === 'number' ? (keywordOfTag(tag) ?? dictionaryKeyword(formatTag(t))) : tag;
  return keyword === undefined ? formatTag(t) : `${formatTag(t)} ${keyword}`;
}
