/**
 * DICOM tags lattice-rt reads, by keyword (PS3.6 data dictionary), and the helpers that name a tag
 * in an error message as "(gggg,eeee) Keyword".
 *
 * Input: a keyword (checked at compile time) or a tag number / 8-digit hex string.
 * Output: the tag as a number, as dcmjs's dictionary key ("0020000D") and as a label for messages.
 * Reference: DICOM PS3.6 section 6 (registry of data elements).
 */

import { dictionaryKeyword } from './dcmjs.js';

/** Tag numbers ((group << 16) | element) by keyword. Add a keyword here before reading it. */
export const TAGS = {
  // File meta information (PS3.10 7.1)
  FileMetaInformationGroupLength: 0x00020000,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  TransferSyntaxUID: 0x00020010,
  // DICOMDIR
  DirectoryRecordSequence: 0x00041220,
  // Identity
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  Modality: 0x00080060,
  Manufacturer: 0x00080070,
  ReferencedSOPClassUID: 0x00081150,
  ReferencedSOPInstanceUID: 0x00081155,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  SliceThickness: 0x00180050,
  SpacingBetweenSlices: 0x00180088,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  ImagePositionPatient: 0x00200032,
  ImageOrientationPatient: 0x00200037,
  FrameOfReferenceUID: 0x00200052,
  // Image pixel module
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  BitsStored: 0x00280101,
  HighBit: 0x00280102,
  PixelRepresentation: 0x00280103,
  RescaleIntercept: 0x00281052,
  RescaleSlope: 0x00281053,
  // RT Dose
  DoseUnits: 0x30040002,
  DoseType: 0x30040004,
  DoseSummationType: 0x3004000a,
  GridFrameOffsetVector: 0x3004000c,
  DoseGridScaling: 0x3004000e,
  // RT Structure Set
  StructureSetLabel: 0x30060002,
  StructureSetName: 0x30060004,
  ReferencedFrameOfReferenceSequence: 0x30060010,
  RTReferencedStudySequence: 0x30060012,
  RTReferencedSeriesSequence: 0x30060014,
  StructureSetROISequence: 0x30060020,
  ROINumber: 0x30060022,
  ReferencedFrameOfReferenceUID: 0x30060024,
  ROIName: 0x30060026,
  ROIDisplayColor: 0x3006002a,
  ROIContourSequence: 0x30060039,
  ContourSequence: 0x30060040,
  ContourGeometricType: 0x30060042,
  NumberOfContourPoints: 0x30060046,
  ContourData: 0x30060050,
  RTROIObservationsSequence: 0x30060080,
  ObservationNumber: 0x30060082,
  ReferencedROINumber: 0x30060084,
  ROIObservationLabel: 0x30060085,
  RTROIInterpretedType: 0x300600a4,
  // RT Plan
  RTPlanLabel: 0x300a0002,
  RTPlanName: 0x300a0003,
  DoseReferenceSequence: 0x300a0010,
  DoseReferenceNumber: 0x300a0012,
  DoseReferenceStructureType: 0x300a0014,
  DoseReferenceDescription: 0x300a0016,
  DoseReferenceType: 0x300a0020,
  DeliveryMaximumDose: 0x300a0023,
  TargetPrescriptionDose: 0x300a0026,
  FractionGroupSequence: 0x300a0070,
  FractionGroupNumber: 0x300a0071,
  NumberOfFractionsPlanned: 0x300a0078,
  NumberOfBeams: 0x300a0080,
  BeamMeterset: 0x300a0086,
  BeamSequence: 0x300a00b0,
  TreatmentMachineName: 0x300a00b2,
  SourceAxisDistance: 0x300a00b4,
  BeamLimitingDeviceSequence: 0x300a00b6,
  RTBeamLimitingDeviceType: 0x300a00b8,
  NumberOfLeafJawPairs: 0x300a00bc,
  LeafPositionBoundaries: 0x300a00be,
  BeamNumber: 0x300a00c0,
  BeamName: 0x300a00c2,
  BeamType: 0x300a00c4,
  RadiationType: 0x300a00c6,
  TreatmentDeliveryType: 0x300a00ce,
  FinalCumulativeMetersetWeight: 0x300a010e,
  NumberOfControlPoints: 0x300a0110,
  ControlPointSequence: 0x300a0111,
  ControlPointIndex: 0x300a0112,
  NominalBeamEnergy: 0x300a0114,
  BeamLimitingDevicePositionSequence: 0x300a011a,
  LeafJawPositions: 0x300a011c,
  GantryAngle: 0x300a011e,
  GantryRotationDirection: 0x300a011f,
  BeamLimitingDeviceAngle: 0x300a0120,
  PatientSupportAngle: 0x300a0122,
  IsocenterPosition: 0x300a012c,
  CumulativeMetersetWeight: 0x300a0134,
  ReferencedRTPlanSequence: 0x300c0002,
  ReferencedBeamSequence: 0x300c0004,
  ReferencedBeamNumber: 0x300c0006,
  ReferencedStructureSetSequence: 0x300c0060,
  // Pixel data
  PixelData: 0x7fe00010,
} as const;

export type TagKeyword = keyof typeof TAGS;

const KEYWORD_OF_TAG: ReadonlyMap<number, TagKeyword> = new Map(
  (Object.entries(TAGS) as [TagKeyword, number][]).map(([k, t]) => [t, k]),
);

/** The tag number of a keyword. */
export const tagOf = (keyword: TagKeyword): number => TAGS[keyword];

/** 8 upper-case hex digits, the key dcmjs uses in its datasets: "0020000D". */
export function tagHex(tag: TagKeyword | number): string {
  const t = typeof tag === 'number' ? tag : TAGS[tag];
  return (t >>> 0).toString(16).toUpperCase().padStart(8, '0');
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
 * "(0020,0032) ImagePositionPatient": how an error message names a tag. Tags outside TAGS take
 * their keyword from dcmjs's data dictionary (PS3.6), or show the number alone.
 */
export function tagLabel(tag: TagKeyword | number): string {
  const t = typeof tag === 'number' ? tag : TAGS[tag];
  const keyword = typeof tag === 'number' ? (keywordOfTag(tag) ?? dictionaryKeyword(formatTag(t))) : tag;
  return keyword === undefined ? formatTag(t) : `${formatTag(t)} ${keyword}`;
}
