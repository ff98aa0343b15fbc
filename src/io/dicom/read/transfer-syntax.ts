/**
 * Transfer syntaxes: how a dataset is encoded (VR explicit or implicit, byte order) and whether its
 * pixel data is native or encapsulated (compressed). Reference: DICOM PS3.5 section 10 and
 * annex A, PS3.6 annex A (UID registry).
 */

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';
export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';

const NAMES: Readonly<Record<string, string>> = {
  [IMPLICIT_VR_LITTLE_ENDIAN]: 'Implicit VR Little Endian',
  [EXPLICIT_VR_LITTLE_ENDIAN]: 'Explicit VR Little Endian',
  [DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN]: 'Deflated Explicit VR Little Endian',
  [EXPLICIT_VR_BIG_ENDIAN]: 'Explicit VR Big Endian',
  [RLE_LOSSLESS]: 'RLE Lossless',
  '1.2.840.10008.1.2.1.98': 'Encapsulated Uncompressed Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless, Non-Hierarchical (Process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless Image Compression',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Lossy (Near-Lossless) Image Compression',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000 Image Compression',
  '1.2.840.10008.1.2.4.92': 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.93': 'JPEG 2000 Part 2 Multi-component Image Compression',
  '1.2.840.10008.1.2.4.94': 'JPIP Referenced',
  '1.2.840.10008.1.2.4.95': 'JPIP Referenced Deflate',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile / Main Level',
  '1.2.840.10008.1.2.4.101': 'MPEG2 Main Profile / High Level',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264 High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000 Image Compression',
};

/** The registered name of a transfer syntax UID, or "unknown transfer syntax". */
export const transferSyntaxName = (uid: string): string => NAMES[uid] ?? 'unknown transfer syntax';

/** "1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))", for messages. */
export const describeTransferSyntax = (uid: string): string => `${uid} (${transferSyntaxName(uid)})`;

export interface DatasetEncoding {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The dataset after the file meta group is deflate-compressed. */
  readonly deflated: boolean;
  /** Pixel data is native (not encapsulated in fragments). */
  readonly nativePixels: boolean;
}

/** How the dataset of a transfer syntax is encoded. Every encapsulated syntax is explicit VR LE. */
export function datasetEncoding(uid: string): DatasetEncoding {
  switch (uid) {
    case IMPLICIT_VR_LITTLE_ENDIAN:
      return { explicitVr: false, littleEndian: true, deflated: false, nativePixels: true };
    case EXPLICIT_VR_LITTLE_ENDIAN:
      return { explicitVr: true, littleEndian: true, deflated: false, nativePixels: true };
    case DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
      return { explicitVr: true, littleEndian: true, deflated: true, nativePixels: true };
    case EXPLICIT_VR_BIG_ENDIAN:
      return { explicitVr: true, littleEndian: false, deflated: false, nativePixels: true };
    default:
      return { explicitVr: true, littleEndian: true, deflated: false, nativePixels: false };
  }
}
