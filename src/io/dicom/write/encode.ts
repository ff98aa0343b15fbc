/**
 * The writers' thin layer over dcmjs: build a dataset element by element (each value checked
 * against its VR here, so dcmjs never has to guess or reformat), then encode a Part 10 file.
 *
 * Input: keywords from ../tags.ts (each with its VR, so `put` is checked at compile time) and
 * already-formatted text (DS and IS through values.ts, never JS numbers); binary VRs as numbers or
 * bytes. Output: the file's bytes (preamble, "DICM", file meta in explicit VR little endian, then
 * the dataset in the requested transfer syntax), encoded by dcmjs through ../dcmjs.ts.
 *
 * Reference: DICOM PS3.5 (value representations, encoding), PS3.10 (file format).
 */

import { DicomError, fmt } from '../../../core/errors.js';
import { dcmjsWrite, type RawDataset } from '../dcmjs.js';
import { SHORT_LENGTH_VRS, TAGS, formatTag, tagHex, tagLabel, vrOf, type TagKeyword, type VrOf } from '../tags.js';
import { IMPLEMENTATION_VERSION_NAME, TRANSFER_SYNTAX, implementationClassUid, isValidUid } from '../uid.js';
import { DS_MAX_LENGTH } from './values.js';

/** A dataset keyed by tag (8 upper-case hex digits), as dcmjs holds it: what `put` fills. */
export type Dataset = RawDataset;

type StringVr = 'AE' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'ST' | 'LT' | 'TM' | 'UI';

/** What `put` accepts for each VR. Text VRs take strings (empty string or empty list = no value). */
export type ValueFor<V> = V extends 'SQ'
  ? readonly Dataset[]
  : V extends 'US' | 'UL'
    ? number | readonly number[]
    : V extends 'OB' | 'OW'
      ? Uint8Array
      : V extends 'AT'
        ? TagKeyword
        : V extends StringVr
          ? string | readonly string[]
          : never;

/** Longest value in characters, and whether several values (backslash-separated) are allowed. */
const TEXT_RULES: Record<StringVr, { readonly max: number; readonly pattern?: RegExp; readonly free?: boolean }> = {
  AE: { max: 16 },
  CS: { max: 16, pattern: /^[A-Z0-9 _]*$/ },
  DA: { max: 8, pattern: /^([0-9]{8})?$/ },
  DS: { max: DS_MAX_LENGTH, pattern: /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/ },
  IS: { max: 12, pattern: /^[+-]?[0-9]+$/ },
  LO: { max: 64 },
  PN: { max: 64 },
  SH: { max: 16 },
  ST: { max: 1024, free: true },
  LT: { max: 10240, free: true },
  TM: { max: 14, pattern: /^([0-9]{2}([0-9]{2}([0-9]{2}(\.[0-9]{1,6})?)?)?)?$/ },
  UI: { max: 64 },
};

// Control characters other than ESC (character-set switching), and for free text also CR LF FF TAB.
const CONTROL = /[\u0000-\u001a\u001c-\u001f\u007f]/;
const CONTROL_FREE_TEXT = /[\u0000-\u0008\u000b\u000e-\u001a\u001c-\u001f\u007f]/;

function checkText(keyword: TagKeyword, vr: StringVr, value: string): void {
  const rule = TEXT_RULES[vr];
  const fail = (expected: string): never => {
    throw new DicomError(`${tagLabel(keyword)}: expected ${expected}, found "${value}"`, { tag: tagLabel(keyword) });
  };
  if (value.length === 0) return;
  if ([...value].length > rule.max) fail(`a ${vr} value of at most ${rule.max} characters`);
  if (!rule.free && value.includes('\\')) fail(`a ${vr} value without a backslash (the value separator)`);
  if ((rule.free ? CONTROL_FREE_TEXT : CONTROL).test(value)) fail(`a ${vr} value without control characters`);
  if (rule.pattern !== undefined && !rule.pattern.test(value)) fail(`a valid ${vr} value`);
  if (vr === 'UI' && !isValidUid(value)) fail('a UID (dot-separated numbers without leading zeros)');
}

function checkUnsigned(keyword: TagKeyword, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new DicomError(`${tagLabel(keyword)}: expected an integer in 0..${max}, found ${fmt(value)}`, {
      tag: tagLabel(keyword),
    });
  }
}

/** Set one element of `dataset`, checking the value against the element's VR. */
export function put<K extends TagKeyword>(dataset: Dataset, keyword: K, value: ValueFor<VrOf<K>>): void {
  const vr: string = vrOf(keyword);
  let values: unknown[];
  switch (vr) {
    case 'SQ':
      values = [...(value as readonly Dataset[])];
      break;
    case 'US':
    case 'UL': {
      const list = typeof value === 'number' ? [value] : [...(value as readonly number[])];
      for (const v of list) checkUnsigned(keyword, v, vr === 'US' ? 0xffff : 0xffffffff);
      values = list;
      break;
    }
    case 'OB':
    case 'OW': {
      const bytes = value as Uint8Array;
      values = [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
      break;
    }
    case 'AT':
      values = [TAGS[value as TagKeyword]];
      break;
    default: {
      const list = typeof value === 'string' ? (value === '' ? [] : [value]) : [...(value as readonly string[])];
      for (const v of list) checkText(keyword, vr as StringVr, v);
      // Several values go to dcmjs as one backslash-joined string, the same bytes: dcmjs writes each
      // value of a list with calls of its own (20 s for the 11 million ContourData numbers of a
      // 512 x 512 x 300 structure set, against 0.5 s for the joined strings).
      values = vr === 'PN' ? list.map((name) => ({ Alphabetic: name })) : list.length > 1 ? [list.join('\\')] : list;
    }
  }
  dataset[tagHex(keyword)] = { vr, Value: values };
}

/** A new dataset built by `fill`. */
export function dataset(fill: (d: Dataset) => void): Dataset {
  const d: Dataset = {};
  fill(d);
  return d;
}

/** Walk a dataset: non-ASCII text (needs a character set) and, for explicit VR, values too long for 16 bits. */
function inspect(d: Dataset, explicit: boolean, found: { nonAscii: boolean }): void {
  for (const [tag, el] of Object.entries(d)) {
    const value = el.Value ?? [];
    if (el.vr === 'SQ') {
      for (const item of value as Dataset[]) inspect(item, explicit, found);
      continue;
    }
    const text = value.map((v) => (typeof v === 'string' ? v : typeof v === 'object' && v !== null && 'Alphabetic' in v ? String(v.Alphabetic) : ''));
    const joined = text.join('\\');
    if (/[^\u0000-\u007f]/.test(joined)) found.nonAscii = true;
    if (explicit && SHORT_LENGTH_VRS.has(el.vr) && Buffer.byteLength(joined, 'utf8') > 0xfffe) {
      throw new DicomError(
        `${formatTag(Number.parseInt(tag, 16))}: value of ${Buffer.byteLength(joined, 'utf8')} bytes does not fit the 16-bit length of VR ${el.vr} in explicit VR; use implicit VR little endian`,
      );
    }
  }
}

/** The SOP instance a file holds. */
export interface SopInstance {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
}

export interface FileHeader extends SopInstance {
  /** The writers' two: implicit VR little endian (RT Structure Set), explicit VR little endian. */
  readonly transferSyntaxUid: typeof TRANSFER_SYNTAX.implicitLittle | typeof TRANSFER_SYNTAX.explicitLittle;
}

/**
 * Encode a Part 10 file. Adds SpecificCharacterSet "ISO_IR 192" (UTF-8) when any text is not ASCII.
 * Throws DicomError when an explicit-VR value is too long for its 16-bit length field.
 */
export function encodeFile(header: FileHeader, data: Dataset): Uint8Array {
  const found = { nonAscii: false };
  inspect(data, header.transferSyntaxUid === TRANSFER_SYNTAX.explicitLittle, found);
  const body: Dataset = { ...data };
  if (found.nonAscii) put(body, 'SpecificCharacterSet', 'ISO_IR 192');
  const meta = dataset((m) => {
    put(m, 'FileMetaInformationVersion', new Uint8Array([0, 1]));
    put(m, 'MediaStorageSOPClassUID', header.sopClassUid);
    put(m, 'MediaStorageSOPInstanceUID', header.sopInstanceUid);
    put(m, 'TransferSyntaxUID', header.transferSyntaxUid);
    put(m, 'ImplementationClassUID', implementationClassUid());
    put(m, 'ImplementationVersionName', IMPLEMENTATION_VERSION_NAME);
  });
  return dcmjsWrite(meta, body, { checked: true });
}
