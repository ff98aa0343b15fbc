/**
 * DICOM UIDs: the registered ones lattice-rt names (SOP classes and transfer syntaxes, PS3.6 annex
 * A), shared by the readers and the writers, and deterministic ones it derives for what it writes.
 *
 * Derived UIDs live under the 2.25 root (PS3.5 B.2: a UID made from a UUID, written as "2.25."
 * followed by the UUID as one unsigned decimal integer).
 *
 * Input: strings (or numbers) naming what the UID identifies: a purpose ("study", "series",
 * "instance", "frame-of-reference") and content or a caller-supplied seed. Output: a UID of at most
 * 44 characters (the 128-bit decimal has at most 39 digits), the same for the same inputs.
 *
 * The 128-bit number is the first 16 bytes of SHA-256 over the parts, with the RFC 9562 version
 * (8, "custom") and variant (10xx) bits set, so it is a well-formed UUID as 2.25 requires. Each part
 * is length-prefixed before hashing, so ("ab", "c") and ("a", "bc") give different UIDs.
 *
 * Reference: DICOM PS3.5 section 9 and annex B.2; PS3.6 annex A (UID registry); ISO/IEC 9834-8;
 * RFC 9562 (UUID version 8).
 */

import type { createHash as CreateHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { DicomError } from '../../core/errors.js';

// ---------------------------------------------------------------------------------------------
// Registered UIDs (PS3.6 annex A)
// ---------------------------------------------------------------------------------------------

/** SOP classes lattice-rt reads, writes or recognises. */
export const SOP_CLASS = {
  ctImage: '1.2.840.10008.5.1.4.1.1.2',
  rtDose: '1.2.840.10008.5.1.4.1.1.481.2',
  rtStructureSet: '1.2.840.10008.5.1.4.1.1.481.3',
  rtPlan: '1.2.840.10008.5.1.4.1.1.481.5',
  /** Detached Study Management (retired), the conventional class of RTReferencedStudySequence items. */
  detachedStudyManagement: '1.2.840.10008.3.1.2.3.1',
  /** Media Storage Directory Storage: a DICOMDIR. */
  mediaStorageDirectory: '1.2.840.10008.1.3.10',
} as const;

/** Transfer syntaxes whose pixel data lattice-rt decodes; the writers use the first two. */
export const TRANSFER_SYNTAX = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflatedExplicitLittle: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
  rleLossless: '1.2.840.10008.1.2.5',
} as const;

/** Registered names of the transfer syntaxes above and of the compressed ones a reader may meet. */
const TRANSFER_SYNTAX_NAMES: Readonly<Record<string, string>> = {
  [TRANSFER_SYNTAX.implicitLittle]: 'Implicit VR Little Endian',
  [TRANSFER_SYNTAX.explicitLittle]: 'Explicit VR Little Endian',
  [TRANSFER_SYNTAX.deflatedExplicitLittle]: 'Deflated Explicit VR Little Endian',
  [TRANSFER_SYNTAX.explicitBig]: 'Explicit VR Big Endian',
  [TRANSFER_SYNTAX.rleLossless]: 'RLE Lossless',
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
export const transferSyntaxName = (uid: string): string => TRANSFER_SYNTAX_NAMES[uid] ?? 'unknown transfer syntax';

/** "1.2.840.10008.1.2.4.50 (JPEG Baseline (Process 1))", for messages. */
export const describeTransferSyntax = (uid: string): string => `${uid} (${transferSyntaxName(uid)})`;

// ---------------------------------------------------------------------------------------------
// Derived UIDs (2.25 root)
// ---------------------------------------------------------------------------------------------

/** Root of UUID-derived UIDs. */
export const UUID_UID_ROOT = '2.25';

/** Longest UID DICOM allows (PS3.5 9.1). */
export const MAX_UID_LENGTH = 64;

export type UidPart = string | number;

/**
 * node:crypto's createHash, loaded on first use: the readers that import this module (and the DVH
 * pool's worker, which reads the RT Dose) derive no UID, and loading node:crypto took 5-8 ms of the
 * worker's start on the 2-vCPU test machine, before it could read the dose (bench/README.md,
 * thirteenth session).
 */
let loadedCreateHash: typeof CreateHash | undefined;
const createHash: typeof CreateHash = (...args) =>
  (loadedCreateHash ??= (createRequire(import.meta.url)('node:crypto') as { createHash: typeof CreateHash }).createHash)(...args);

/** SHA-256 of length-prefixed parts (no two part lists hash the same bytes). */
function digest(parts: readonly UidPart[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) {
    const s = typeof p === 'number' ? `#${String(p)}` : `$${p}`;
    h.update(`${Buffer.byteLength(s, 'utf8')}:`);
    h.update(s, 'utf8');
  }
  return h.digest();
}

/**
 * A UID derived from the given parts: the same parts always give the same UID, different parts
 * (in practice) different UIDs. Throws DicomError when called with no parts.
 */
export function deriveUid(...parts: readonly UidPart[]): string {
  if (parts.length === 0) throw new DicomError('deriveUid: expected at least one part to hash, found none');
  const b = digest(parts).subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x80; // version 8 (custom)
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10xx (RFC 9562)
  const n = BigInt(`0x${b.toString('hex')}`);
  return `${UUID_UID_ROOT}.${n.toString(10)}`;
}

/** Study Instance UID for a study identified by `seed` (e.g. patient ID plus case name). */
export const studyInstanceUidFor = (seed: string): string => deriveUid('lattice-rt', 'study', seed);

/** Series Instance UID for one series (`name`, e.g. "CT" or "RTDOSE plan-1") of a study. */
export const seriesInstanceUidFor = (studyInstanceUid: string, name: string): string =>
  deriveUid('lattice-rt', 'series', studyInstanceUid, name);

/** Frame of Reference UID for the patient frame identified by `seed`. */
export const frameOfReferenceUidFor = (seed: string): string => deriveUid('lattice-rt', 'frame-of-reference', seed);

/** SOP Instance UID of instance `index` (0-based) of a series, optionally qualified by content. */
export const sopInstanceUidFor = (seriesInstanceUid: string, index: number, ...content: readonly UidPart[]): string =>
  deriveUid('lattice-rt', 'instance', seriesInstanceUid, index, ...content);

/** Implementation Class UID written in every file meta header by lattice-rt's writers (derived on first use). */
let implementationClass: string | undefined;
export const implementationClassUid = (): string => (implementationClass ??= deriveUid('lattice-rt', 'implementation-class', 'dicom-writer-1'));

/** Implementation Version Name (SH, at most 16 characters). */
export const IMPLEMENTATION_VERSION_NAME = 'LATTICE_RT_1';

const UID_SYNTAX = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** True for a syntactically valid UID: dot-separated numbers, no leading zeros, at most 64 chars. */
export const isValidUid = (uid: string): boolean => uid.length <= MAX_UID_LENGTH && UID_SYNTAX.test(uid);

/** Throws DicomError unless `uid` is a valid UID; `what` names the attribute. */
export function assertValidUid(uid: string, what: string): void {
  if (!isValidUid(uid)) {
    throw new DicomError(
      `${what}: expected a UID (dot-separated numbers without leading zeros, at most ${MAX_UID_LENGTH} characters), found "${uid}"`,
    );
  }
}
