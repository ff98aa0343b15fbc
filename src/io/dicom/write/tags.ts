/**
 * The data elements lattice-rt's writers emit: keyword -> (tag as 8 upper-case hex digits, VR).
 * Only what the CT Image, RT Structure Set and RT Dose writers need; VRs as in PS3.6.
 *
 * Reference: DICOM PS3.6 (data dictionary), PS3.3 (the modules using them).
 */

export const TAGS = {
  // File meta information (group 0002), always explicit VR little endian.
  FileMetaInformationVersion: ['00020001', 'OB'],
  MediaStorageSOPClassUID: ['00020002', 'UI'],
  MediaStorageSOPInstanceUID: ['00020003', 'UI'],
  TransferSyntaxUID: ['00020010', 'UI'],
  ImplementationClassUID: ['00020012', 'UI'],
  ImplementationVersionName: ['00020013', 'SH'],

  // SOP Common, General Study / Series / Equipment / Image.
  SpecificCharacterSet: ['00080005', 'CS'],
  ImageType: ['00080008', 'CS'],
  InstanceCreationDate: ['00080012', 'DA'],
  InstanceCreationTime: ['00080013', 'TM'],
  SOPClassUID: ['00080016', 'UI'],
  SOPInstanceUID: ['00080018', 'UI'],
  StudyDate: ['00080020', 'DA'],
  SeriesDate: ['00080021', 'DA'],
  ContentDate: ['00080023', 'DA'],
  StudyTime: ['00080030', 'TM'],
  SeriesTime: ['00080031', 'TM'],
  ContentTime: ['00080033', 'TM'],
  AccessionNumber: ['00080050', 'SH'],
  Modality: ['00080060', 'CS'],
  Manufacturer: ['00080070', 'LO'],
  ReferringPhysicianName: ['00080090', 'PN'],
  TimezoneOffsetFromUTC: ['00080201', 'SH'],
  StudyDescription: ['00081030', 'LO'],
  SeriesDescription: ['0008103E', 'LO'],
  OperatorsName: ['00081070', 'PN'],
  ManufacturerModelName: ['00081090', 'LO'],
  ReferencedSOPClassUID: ['00081150', 'UI'],
  ReferencedSOPInstanceUID: ['00081155', 'UI'],

  // Patient.
  PatientName: ['00100010', 'PN'],
  PatientID: ['00100020', 'LO'],
  PatientBirthDate: ['00100030', 'DA'],
  PatientSex: ['00100040', 'CS'],

  // Acquisition / equipment.
  SliceThickness: ['00180050', 'DS'],
  KVP: ['00180060', 'DS'],
  SoftwareVersions: ['00181020', 'LO'],
  PatientPosition: ['00185100', 'CS'],

  // Relationship and image plane.
  StudyInstanceUID: ['0020000D', 'UI'],
  SeriesInstanceUID: ['0020000E', 'UI'],
  StudyID: ['00200010', 'SH'],
  SeriesNumber: ['00200011', 'IS'],
  AcquisitionNumber: ['00200012', 'IS'],
  InstanceNumber: ['00200013', 'IS'],
  PatientOrientation: ['00200020', 'CS'],
  Laterality: ['00200060', 'CS'],
  ImagePositionPatient: ['00200032', 'DS'],
  ImageOrientationPatient: ['00200037', 'DS'],
  FrameOfReferenceUID: ['00200052', 'UI'],
  PositionReferenceIndicator: ['00201040', 'LO'],
  SliceLocation: ['00201041', 'DS'],

  // Image pixel.
  SamplesPerPixel: ['00280002', 'US'],
  PhotometricInterpretation: ['00280004', 'CS'],
  NumberOfFrames: ['00280008', 'IS'],
  FrameIncrementPointer: ['00280009', 'AT'],
  Rows: ['00280010', 'US'],
  Columns: ['00280011', 'US'],
  PixelSpacing: ['00280030', 'DS'],
  BitsAllocated: ['00280100', 'US'],
  BitsStored: ['00280101', 'US'],
  HighBit: ['00280102', 'US'],
  PixelRepresentation: ['00280103', 'US'],
  WindowCenter: ['00281050', 'DS'],
  WindowWidth: ['00281051', 'DS'],
  RescaleIntercept: ['00281052', 'DS'],
  RescaleSlope: ['00281053', 'DS'],

  // RT Dose.
  DoseUnits: ['30040002', 'CS'],
  DoseType: ['30040004', 'CS'],
  DoseComment: ['30040006', 'LO'],
  DoseSummationType: ['3004000A', 'CS'],
  GridFrameOffsetVector: ['3004000C', 'DS'],
  DoseGridScaling: ['3004000E', 'DS'],
  TissueHeterogeneityCorrection: ['30040014', 'CS'],

  // RT Structure Set, ROI Contour, RT ROI Observations.
  StructureSetLabel: ['30060002', 'SH'],
  StructureSetName: ['30060004', 'LO'],
  StructureSetDescription: ['30060006', 'ST'],
  StructureSetDate: ['30060008', 'DA'],
  StructureSetTime: ['30060009', 'TM'],
  ReferencedFrameOfReferenceSequence: ['30060010', 'SQ'],
  RTReferencedStudySequence: ['30060012', 'SQ'],
  RTReferencedSeriesSequence: ['30060014', 'SQ'],
  ContourImageSequence: ['30060016', 'SQ'],
  StructureSetROISequence: ['30060020', 'SQ'],
  ROINumber: ['30060022', 'IS'],
  ReferencedFrameOfReferenceUID: ['30060024', 'UI'],
  ROIName: ['30060026', 'LO'],
  ROIDisplayColor: ['3006002A', 'IS'],
  ROIGenerationAlgorithm: ['30060036', 'CS'],
  ROIContourSequence: ['30060039', 'SQ'],
  ContourSequence: ['30060040', 'SQ'],
  ContourGeometricType: ['30060042', 'CS'],
  NumberOfContourPoints: ['30060046', 'IS'],
  ContourNumber: ['30060048', 'IS'],
  ContourData: ['30060050', 'DS'],
  RTROIObservationsSequence: ['30060080', 'SQ'],
  ObservationNumber: ['30060082', 'IS'],
  ReferencedROINumber: ['30060084', 'IS'],
  ROIObservationLabel: ['30060085', 'SH'],
  RTROIInterpretedType: ['300600A4', 'CS'],
  ROIInterpreter: ['300600A6', 'PN'],

  // References to an RT Plan.
  ReferencedRTPlanSequence: ['300C0002', 'SQ'],
  ReferencedBeamSequence: ['300C0004', 'SQ'],
  ReferencedBeamNumber: ['300C0006', 'IS'],
  ReferencedFractionGroupSequence: ['300C0020', 'SQ'],
  ReferencedFractionGroupNumber: ['300C0022', 'IS'],

  PixelData: ['7FE00010', 'OW'],
} as const satisfies Record<string, readonly [string, string]>;

export type Keyword = keyof typeof TAGS;
export type VrOf<K extends Keyword> = (typeof TAGS)[K][1];

/** "(gggg,eeee) Keyword" for error messages. */
export function describeTag(keyword: Keyword): string {
  const hex = TAGS[keyword][0];
  return `(${hex.slice(0, 4)},${hex.slice(4)}) ${keyword}`;
}

/** SOP classes written here, and the transfer syntaxes used. */
export const SOP_CLASS = {
  ctImage: '1.2.840.10008.5.1.4.1.1.2',
  rtDose: '1.2.840.10008.5.1.4.1.1.481.2',
  rtStructureSet: '1.2.840.10008.5.1.4.1.1.481.3',
  rtPlan: '1.2.840.10008.5.1.4.1.1.481.5',
  /** Detached Study Management (retired), the conventional class of RTReferencedStudySequence items. */
  detachedStudyManagement: '1.2.840.10008.3.1.2.3.1',
} as const;

export const TRANSFER_SYNTAX = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
} as const;
