/**
 * Thin typed wrapper over dcmjs (which ships no type declarations). The rest of lattice-rt never
 * imports dcmjs directly: the readers (io/dicom/read) use the parse side, the writers
 * (io/dicom/write/encode.ts) and the test fixtures the write side.
 *
 * Datasets are dcmjs "dicom dicts": keys are 8-digit upper-case hex tags ("0020000D"), values are
 * { vr, Value } with Value an array (numbers for DS/IS/US/..., strings, { Alphabetic } for PN,
 * nested datasets for SQ, ArrayBuffers for OB/OW pixel data).
 *
 * These functions throw whatever dcmjs throws (Error, TypeError, RangeError): the callers turn that
 * into a DicomError naming the file. dcmjs's own console logging is silenced during each call
 * (lattice-rt reports problems as typed errors, never as log lines).
 */

import { createRequire } from 'node:module';

/** One data element as dcmjs holds it. */
export interface RawElement {
  vr: string;
  Value?: unknown[];
}

/** A dataset as dcmjs holds it, keyed by 8-digit upper-case hex tag. */
export type RawDataset = Record<string, RawElement>;

/** A dataset keyed by keyword (dcmjs "naturalized" form), as the writers build them. */
export type NaturalDataset = Record<string, unknown>;

interface Logger {
  getLevel(): number;
  setLevel(level: number | string, persist?: boolean): void;
  getLogger(name: string): Logger;
}

interface DcmjsReadOptions {
  ignoreErrors: boolean;
  untilTag: string | null;
  includeUntilTagValue: boolean;
  stopOnGreaterTag: boolean;
  noCopy: boolean;
  forceStoreRaw: boolean;
}

interface DcmjsDicomDict {
  meta: RawDataset;
  dict: RawDataset;
  write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
}

interface DcmjsApi {
  log: Logger;
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: DcmjsReadOptions): DcmjsDicomDict };
    DicomDict: new (meta: RawDataset) => DcmjsDicomDict;
    DicomMetaDictionary: {
      dictionary: Record<string, { name?: unknown } | undefined>;
      naturalizeDataset(dataset: RawDataset): NaturalDataset;
      denaturalizeDataset(dataset: NaturalDataset): RawDataset;
      uid(): string;
    };
    WriteBufferStream: new (defaultSize?: number, littleEndian?: boolean) => WriteStream;
    Tag: { prototype: TagApi };
    ValueRepresentation: {
      createByTypeString(vr: string): { writeBytes(stream: WriteStream, values: unknown, syntax: string, writeOptions?: unknown): number };
    };
  };
}

/** dcmjs's SplitDataView: a stream's bytes as a list of chunks (buffers[n] holds offsets[n] ..). */
interface SplitView {
  buffers: (ArrayBuffer | null)[];
  views: (DataView | null)[];
  offsets: number[];
  lengths: number[];
  byteLength: number;
  defaultSize: number;
  writeBuffer(data: Uint8Array, start: number): void;
  checkSize(end: number): void;
}

/** The part of dcmjs's WriteBufferStream the writer patches below use. */
export interface WriteStream {
  offset: number;
  readonly view: SplitView;
  checkSize(step: number): void;
  increment(step: number): number;
  writeAsciiString(value: string): number;
  /** Copy another stream's bytes in at the offset. */
  concat(stream: WriteStream): number;
  getBuffer(): ArrayBuffer;
}

let loaded: DcmjsApi | undefined;

/**
 * dcmjs, loaded on first use, with the patches below applied once. Loading it takes 0.06-0.09 s (1.4 MB
 * of code and its data dictionary), which the commands that read only what src/io/dicom/read/decode.ts
 * decodes never pay (`lattice evaluate` of plain little-endian files). Its CommonJS build, loaded
 * synchronously: the same code as its ES module build.
 */
function dcmjs(): DcmjsApi {
  if (loaded === undefined) {
    const api = createRequire(import.meta.url)('dcmjs') as DcmjsApi;
    patchAsciiWrites(api);
    patchLargeWrites(api);
    loaded = api;
  }
  return loaded;
}

/**
 * dcmjs writes every character of a string value with its own setUint8 call through a chunked view
 * (about 450 ns a byte: 64 s for the 143 MB of ContourData in a 512 x 512 x 300 structure set).
 * An ASCII string is the same bytes in UTF-8, so it is written here as one block, as dcmjs writes
 * UTF-8 strings; any other string keeps dcmjs's byte-by-byte path (its low byte per character).
 */
function patchAsciiWrites(dcmjs: DcmjsApi): void {
  const proto = dcmjs.data.WriteBufferStream.prototype as WriteStream;
  const original = proto.writeAsciiString;
  const encoder = new TextEncoder();
  const nonAscii = /[^\x00-\x7f]/;
  proto.writeAsciiString = function writeAsciiString(this: WriteStream, value: string): number {
    const text = value || '';
    if (text.length === 0 || nonAscii.test(text)) return original.call(this, text);
    const bytes = encoder.encode(text); // its own ArrayBuffer, offset 0, as view.writeBuffer needs
    this.checkSize(bytes.byteLength);
    this.view.writeBuffer(bytes, this.offset);
    return this.increment(bytes.byteLength);
  };
}

const IMPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2';
const EXPLICIT_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const UNDEFINED_LENGTH = 0xffffffff;

/** Largest chunk a growing write stream adds at once (patchLargeWrites). */
export const MAX_CHUNK_BYTES = 16 * 2 ** 20;

/** dcmjs's Tag (the part used here). */
interface TagApi {
  group(): number;
  element(): number;
  write(stream: WriteStream, vr: string, values: unknown, syntax: string, writeOptions?: unknown): number;
}

/** The stream methods the sequence writer below calls. */
interface HeaderStream {
  offset: number;
  isLittleEndian: boolean;
  setEndian(little: boolean): void;
  writeUint16(v: number): number;
  writeUint32(v: number): number;
  writeAsciiString(v: string): number;
}

/**
 * Memory of large writes (issue 11 §5: 1.18 GB of peak memory to add ROIs to a 137 MB structure
 * set). dcmjs writes each element's value into a stream of its own, then copies that stream into
 * its parent, and a stream grows by chunks of its initial size (256 bytes for an element's stream):
 * the 143 MB of a ROI Contour Sequence were held as 560,000 ArrayBuffers and DataViews inside the
 * sequence's stream, then copied into one buffer, then into the file's stream. Here
 * - a sequence (always written with undefined length, so its length need not be known first) is
 *   written straight into its parent's stream: the same header, items and delimiters;
 * - a chunk added to a growing stream is as large as the stream already is (at least its initial
 *   size, at most MAX_CHUNK_BYTES), so a long value is held in a few chunks.
 * The bytes written are the same (test/io/dicom/dcmjs-large-writes.test.ts compares them with dcmjs's own).
 */
function patchLargeWrites(dcmjs: DcmjsApi): void {
  const splitProto = Object.getPrototypeOf(new dcmjs.data.WriteBufferStream(16, true).view) as SplitView;
  splitProto.checkSize = function checkSize(this: SplitView, end: number): void {
    while (end > this.byteLength) {
      const bytes = Math.max(this.defaultSize, Math.min(this.byteLength, MAX_CHUNK_BYTES));
      const buffer = new ArrayBuffer(bytes);
      this.buffers.push(buffer);
      this.views.push(new DataView(buffer));
      this.offsets.push(this.byteLength);
      this.lengths.push(bytes);
      this.byteLength += bytes;
    }
  };
  const tagProto = dcmjs.data.Tag.prototype;
  const original = tagProto.write;
  const sequence = dcmjs.data.ValueRepresentation.createByTypeString('SQ');
  tagProto.write = function write(this: TagApi, stream: WriteStream, vr: string, values: unknown, syntax: string, writeOptions?: unknown): number {
    const implicit = syntax === IMPLICIT_LITTLE_ENDIAN;
    if (vr !== 'SQ' || (!implicit && syntax !== EXPLICIT_LITTLE_ENDIAN)) return original.call(this, stream, vr, values, syntax, writeOptions);
    const s = stream as unknown as HeaderStream;
    const oldEndian = s.isLittleEndian;
    s.setEndian(true);
    const start = s.offset;
    s.writeUint16(this.group());
    s.writeUint16(this.element());
    if (!implicit) {
      s.writeAsciiString('SQ');
      s.writeUint16(0);
    }
    s.writeUint32(UNDEFINED_LENGTH);
    sequence.writeBytes(stream, values, syntax, writeOptions);
    s.setEndian(oldEndian);
    return s.offset - start;
  };
}

/** dcmjs's WriteBufferStream (patched), for tests of the patches above. */
export const writeBufferStream = (): DcmjsApi['data']['WriteBufferStream'] => dcmjs().data.WriteBufferStream;

/** Run fn with dcmjs's loggers silenced, restoring their levels afterwards. */
function quietly<T>(fn: () => T): T {
  const loggers = [dcmjs().log, dcmjs().log.getLogger('validation.dcmjs')];
  const levels = loggers.map((l) => l.getLevel());
  for (const l of loggers) l.setLevel('silent', false);
  try {
    return fn();
  } finally {
    loggers.forEach((l, i) => l.setLevel(levels[i]!, false));
  }
}

// ---------------------------------------------------------------------------------------------
// Parse side
// ---------------------------------------------------------------------------------------------

export interface DcmjsParseOptions {
  /**
   * Stop at the first top-level element whose tag is >= this one (8-digit hex), without reading
   * it. For compressed streams (deflate) where the reader cannot cut the bytes itself.
   */
  readonly stopAtTag?: string;
}

/**
 * Parse a Part 10 file (128-byte preamble, "DICM", file meta group with group length and transfer
 * syntax, then the dataset). Throws dcmjs's errors unchanged.
 */
export function dcmjsParse(buffer: ArrayBuffer, options: DcmjsParseOptions = {}): { meta: RawDataset; dataset: RawDataset } {
  const untilTag = options.stopAtTag ?? null;
  const parsed = quietly(() =>
    dcmjs().data.DicomMessage.readFile(buffer, {
      ignoreErrors: false,
      untilTag,
      includeUntilTagValue: false,
      stopOnGreaterTag: untilTag !== null,
      noCopy: false,
      forceStoreRaw: false,
    }),
  );
  const dataset = parsed.dict;
  // dcmjs records the stop tag itself with no VR when it stops there: drop it.
  if (untilTag !== null && dataset[untilTag] !== undefined && typeof dataset[untilTag]!.vr !== 'string') {
    delete dataset[untilTag];
  }
  return { meta: parsed.meta, dataset };
}

/** The keyword dcmjs's data dictionary gives a tag written "(gggg,eeee)" (upper-case hex), if any. */
export function dictionaryKeyword(tag: string): string | undefined {
  const name = dcmjs().data.DicomMetaDictionary.dictionary[tag]?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

// ---------------------------------------------------------------------------------------------
// Write side
// ---------------------------------------------------------------------------------------------

/** Keyword-keyed dataset -> tag-keyed dataset (dcmjs denaturalizeDataset). */
export function denaturalize(dataset: NaturalDataset): RawDataset {
  return quietly(() => dcmjs().data.DicomMetaDictionary.denaturalizeDataset(dataset));
}

/** Tag-keyed dataset -> keyword-keyed dataset (dcmjs naturalizeDataset). */
export function naturalize(dataset: RawDataset): NaturalDataset {
  return quietly(() => dcmjs().data.DicomMetaDictionary.naturalizeDataset(dataset));
}

/**
 * Encode a Part 10 file: preamble, "DICM", the meta group (group length computed by dcmjs) and the
 * dataset in meta's TransferSyntaxUID (explicit VR little endian when absent). A value too long for
 * its VR is not written as is (allowInvalidVRLength false, dcmjs's default), unless `checked`: the
 * caller has checked every value (src/io/dicom/write/encode.ts does, value by value, and hands
 * dcmjs several values as one backslash-joined string, which dcmjs would measure as one value).
 * Throws dcmjs's errors.
 */
export function dcmjsWrite(meta: RawDataset, dataset: RawDataset, options: { readonly checked?: boolean } = {}): Uint8Array {
  return quietly(() => {
    const dict = new (dcmjs().data.DicomDict)(meta);
    dict.dict = dataset;
    return new Uint8Array(dict.write({ allowInvalidVRLength: options.checked === true }));
  });
}
