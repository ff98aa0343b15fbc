/**
 * How a transfer syntax encodes a dataset (VR explicit or implicit, byte order, deflated or not)
 * and whether its pixel data is native or encapsulated (compressed). The UIDs and their names are
 * in ../uid.ts. Reference: DICOM PS3.5 section 10 and annex A.
 */

import { TRANSFER_SYNTAX } from '../uid.js';

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
    case TRANSFER_SYNTAX.implicitLittle:
      return { explicitVr: false, littleEndian: true, deflated: false, nativePixels: true };
    case TRANSFER_SYNTAX.explicitLittle:
      return { explicitVr: true, littleEndian: true, deflated: false, nativePixels: true };
    case TRANSFER_SYNTAX.deflatedExplicitLittle:
      return { explicitVr: true, littleEndian: true, deflated: true, nativePixels: true };
    case TRANSFER_SYNTAX.explicitBig:
      return { explicitVr: true, littleEndian: false, deflated: false, nativePixels: true };
    default:
      return { explicitVr: true, littleEndian: true, deflated: false, nativePixels: false };
  }
}
