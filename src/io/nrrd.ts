/**
 * NRRD (teem "nearly raw raster data") reading and writing for our volumes.
 *
 * Writer output: `NRRD0004`, `type: float | uint8 | int16` (from the data's array type),
 * `dimension: 3`, `space: left-posterior-superior`, `sizes: nx ny nz`,
 * `space directions: (..) (..) (..)` (column a of the grid's direction matrix times spacing a, mm),
 * `kinds: domain domain domain`, `endian: little`, `encoding: raw | gzip`, `space origin: (x,y,z)`,
 * optional `content:` and `key:=value` lines, a blank line, then the samples in our memory order
 * (x fastest), which is NRRD's order too (the first axis in `sizes` varies fastest).
 *
 * Origin convention: NRRD's `space origin` is "the location of the center of the first sample"
 * (teem format spec, NRRD0004), i.e. the same as our grid's originMm (centre of voxel 0); this holds
 * whatever the per-axis `centers` (cell / node) say, so we ignore `centers`.
 *
 * Reader input: what 3D Slicer, ITK and plastimatch write: NRRD0001..NRRD0005; `encoding: raw`,
 * `gzip`/`gz` or `ascii`/`text`/`txt`; little or big endian; types uchar/uint8, signed char/int8,
 * short/int16, ushort/uint16, int/int32, uint/uint32, float, double (and teem's other spellings);
 * `space:` LPS, RAS or LAS (long or short names; RAS -> LPS flips x and y, LAS -> LPS flips y);
 * `line skip`, `byte skip` (including -1 for raw data at the end of the file); a detached single
 * data file (`data file: name`, relative to the header) through `readNrrd` only. Output data:
 * uint8 -> Uint8Array, int8/int16 -> Int16Array, every other type -> Float32Array (double and 32-bit
 * integers lose precision beyond float32).
 *
 * Every problem is a FormatError naming the file (when known) and the header field, e.g.
 * "'dimension': expected 'dimension: 3', found 2". The reader never reads past the end of a buffer:
 * truncated headers or data are FormatErrors. Bytes after the expected data are ignored (as teem does).
 *
 * Reference: teem NRRD file format, http://teem.sourceforge.net/nrrd/format.html (NRRD0005).
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FormatError, GeometryError } from '../core/errors.js';
import type { Mat3 } from '../core/vec3.js';
import { createGrid, describeGrid, voxelCount, type Grid } from '../geometry/grid.js';
import { writeFileAtomic } from './atomic.js';

/** A volume NRRD can hold for us: CT / dose (Float32), masks (Uint8), CT in HU as Int16. */
export interface NrrdVolume {
  readonly grid: Grid;
  readonly data: Float32Array | Uint8Array | Int16Array;
}

export interface NrrdWriteOptions {
  /** gzip-compress the data (`encoding: gzip`); default false (`encoding: raw`). */
  readonly gzip?: boolean;
  /** The `content:` field (one line). */
  readonly content?: string;
  /** `key:=value` pairs (newlines and backslashes are escaped as the spec says). */
  readonly keyValues?: Readonly<Record<string, string>>;
}

/** The sample types the reader understands, by canonical teem name. */
export type NrrdSampleType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float' | 'double';

export interface DecodedNrrd {
  /** Geometry in LPS (converted from RAS / LAS when the file uses those). */
  readonly grid: Grid;
  readonly data: Float32Array | Uint8Array | Int16Array;
  readonly keyValues: Readonly<Record<string, string>>;
  /** The `content:` field, if any. */
  readonly content?: string;
  /** The sample type stored in the file. */
  readonly sampleType: NrrdSampleType;
  /** The patient space the file declared. */
  readonly space: 'LPS' | 'RAS' | 'LAS';
}

const MAGIC = 'NRRD000';

const TYPE_NAMES: Readonly<Record<string, NrrdSampleType>> = (() => {
  const table: [NrrdSampleType, string[]][] = [
    ['int8', ['signed char', 'int8', 'int8_t']],
    ['uint8', ['uchar', 'unsigned char', 'uint8', 'uint8_t']],
    ['int16', ['short', 'short int', 'signed short', 'signed short int', 'int16', 'int16_t']],
    ['uint16', ['ushort', 'unsigned short', 'unsigned short int', 'uint16', 'uint16_t']],
    ['int32', ['int', 'signed int', 'int32', 'int32_t']],
    ['uint32', ['uint', 'unsigned int', 'uint32', 'uint32_t']],
    ['float', ['float']],
    ['double', ['double']],
  ];
  const out: Record<string, NrrdSampleType> = {};
  for (const [canonical, names] of table) for (const n of names) out[n] = canonical;
  return out;
})();

const UNSUPPORTED_TYPES = new Set([
  'longlong', 'long long', 'long long int', 'signed long long', 'signed long long int', 'int64', 'int64_t',
  'ulonglong', 'unsigned long long', 'unsigned long long int', 'uint64', 'uint64_t', 'block',
]);

const BYTES_PER_SAMPLE: Readonly<Record<NrrdSampleType, number>> = {
  int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float: 4, double: 8,
};

/** Sign flips that take a named space to LPS. */
const SPACES: Readonly<Record<string, { readonly name: 'LPS' | 'RAS' | 'LAS'; readonly sign: readonly [number, number, number] }>> = {
  'left-posterior-superior': { name: 'LPS', sign: [1, 1, 1] },
  lps: { name: 'LPS', sign: [1, 1, 1] },
  'right-anterior-superior': { name: 'RAS', sign: [-1, -1, 1] },
  ras: { name: 'RAS', sign: [-1, -1, 1] },
  'left-anterior-superior': { name: 'LAS', sign: [1, -1, 1] },
  las: { name: 'LAS', sign: [1, -1, 1] },
};

/** Fields defined by the format that we read or may safely ignore for 3-D scalar volumes. */
const KNOWN_FIELDS = new Set([
  'dimension', 'type', 'sizes', 'space', 'space dimension', 'space directions', 'space origin', 'space units',
  'kinds', 'endian', 'encoding', 'line skip', 'lineskip', 'byte skip', 'byteskip', 'data file', 'datafile',
  'content', 'measurement frame', 'centers', 'centerings', 'spacings', 'thicknesses', 'axis mins', 'axismins',
  'axis maxs', 'axismaxs', 'labels', 'units', 'min', 'max', 'old min', 'oldmin', 'old max', 'oldmax',
  'sample units', 'sampleunits', 'number', 'block size', 'blocksize',
]);

/** Older spellings of field names, mapped to the NRRD0005 ones. */
const FIELD_ALIASES: Readonly<Record<string, string>> = {
  lineskip: 'line skip', byteskip: 'byte skip', datafile: 'data file', axismins: 'axis mins',
  axismaxs: 'axis maxs', oldmin: 'old min', oldmax: 'old max', sampleunits: 'sample units',
  blocksize: 'block size', centerings: 'centers',
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// writing

function num(x: number): string {
  return Object.is(x, -0) ? '0' : String(x);
}

function escapeKeyValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function unescapeKeyValue(s: string): string {
  return s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** The NRRD file (header + data) for a volume. Pure; see `writeNrrd` for the file version. */
export function encodeNrrd(volume: NrrdVolume, options: NrrdWriteOptions = {}): Uint8Array {
  if (volume === null || typeof volume !== 'object' || volume.grid === undefined) {
    throw new FormatError('encodeNrrd: expected a volume { grid, data }');
  }
  let grid: Grid;
  try {
    grid = createGrid(volume.grid);
  } catch (cause) {
    throw new FormatError(`encodeNrrd: invalid grid: ${(cause as Error).message}`, {}, { cause });
  }
  const data = volume.data;
  let type: string;
  if (data instanceof Float32Array) type = 'float';
  else if (data instanceof Uint8Array) type = 'uint8';
  else if (data instanceof Int16Array) type = 'int16';
  else {
    const found = data === null || typeof data !== 'object' ? typeof data : (data as object).constructor.name;
    throw new FormatError(`encodeNrrd: expected data as Float32Array, Uint8Array or Int16Array, found ${found}`);
  }
  if (data.length !== voxelCount(grid)) {
    throw new FormatError(`encodeNrrd: expected ${voxelCount(grid)} values for ${describeGrid(grid)}, found ${data.length}`);
  }
  const d = grid.direction;
  const s = grid.spacingMm;
  const o = grid.originMm;
  const vec = (a: number, b: number, c: number): string => `(${num(a)},${num(b)},${num(c)})`;
  const lines = [
    'NRRD0004',
    '# Complete NRRD file format specification at:',
    '# http://teem.sourceforge.net/nrrd/format.html',
    `type: ${type}`,
    'dimension: 3',
    'space: left-posterior-superior',
    `sizes: ${grid.size.join(' ')}`,
    `space directions: ${[0, 1, 2].map((a) => vec(d[a]! * s[a]!, d[3 + a]! * s[a]!, d[6 + a]! * s[a]!)).join(' ')}`,
    'kinds: domain domain domain',
    'endian: little',
    `encoding: ${options.gzip === true ? 'gzip' : 'raw'}`,
    `space origin: ${vec(o[0], o[1], o[2])}`,
  ];
  if (options.content !== undefined) {
    if (/[\r\n]/.test(options.content)) throw new FormatError("encodeNrrd: expected a one-line 'content', found a line break");
    lines.push(`content: ${options.content}`);
  }
  for (const [key, value] of Object.entries(options.keyValues ?? {})) {
    if (key.length === 0 || key.includes(':=') || /[\r\n]/.test(key)) {
      throw new FormatError(`encodeNrrd: expected a non-empty key without ':=' or line breaks, found ${JSON.stringify(key)}`);
    }
    if (typeof value !== 'string') {
      throw new FormatError(`encodeNrrd: expected a string value for key ${JSON.stringify(key)}, found ${typeof value}`);
    }
    lines.push(`${escapeKeyValue(key)}:=${escapeKeyValue(value).replace(/\r/g, '')}`);
  }
  const header = new TextEncoder().encode(lines.join('\n') + '\n\n');
  // Little-endian bytes of the samples (copy on a big-endian host).
  let payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!HOST_LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) payload = swapped(payload, data.BYTES_PER_ELEMENT);
  if (options.gzip === true) payload = gzipSync(payload);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

/** Write a volume as a NRRD file, atomically (temporary file + rename). */
export function writeNrrd(path: string, volume: NrrdVolume, options: NrrdWriteOptions = {}): void {
  writeFileAtomic(path, encodeNrrd(volume, options));
}

// ---------------------------------------------------------------------------------------------
// reading: header

interface Header {
  readonly fields: ReadonlyMap<string, string>;
  readonly keyValues: Record<string, string>;
  /** Byte offset of the data after the blank line, or undefined when the header ends the buffer. */
  readonly dataOffset: number | undefined;
}

function parseHeader(bytes: Uint8Array, file: string | undefined): Header {
  const ctx = file !== undefined ? { file } : {};
  if (!(bytes instanceof Uint8Array)) throw new FormatError('expected NRRD bytes as a Uint8Array', ctx);
  const decoder = new TextDecoder('utf-8');
  let pos = 0;
  const nextLine = (): string | undefined => {
    if (pos >= bytes.length) return undefined;
    let end = bytes.indexOf(0x0a, pos);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    let stop = end;
    if (stop > pos && bytes[stop - 1] === 0x0d) stop--;
    const line = decoder.decode(bytes.subarray(pos, stop));
    pos = next;
    return line;
  };
  const magic = nextLine();
  if (magic === undefined || !magic.startsWith(MAGIC) || !/^NRRD000[1-5]$/.test(magic.trimEnd())) {
    const found = magic === undefined ? 'an empty file' : JSON.stringify(magic.slice(0, 16));
    throw new FormatError(`expected the NRRD magic line 'NRRD0001'..'NRRD0005', found ${found}`, ctx);
  }
  const fields = new Map<string, string>();
  const keyValues: Record<string, string> = {};
  for (;;) {
    const lineStart = pos;
    const line = nextLine();
    if (line === undefined) {
      if (fields.has('data file') || fields.has('datafile')) return { fields, keyValues, dataOffset: undefined };
      throw new FormatError(
        'truncated header: expected a blank line between the header and the data, found the end of the file',
        ctx,
      );
    }
    if (line.length === 0) return { fields, keyValues, dataOffset: pos };
    if (line.startsWith('#')) continue;
    const kv = line.indexOf(':=');
    const colon = line.indexOf(':');
    // A key/value line holds ':=' and does not start with a field name ("content: a:=b" is a field).
    const isField = colon > 0 && colon !== kv && KNOWN_FIELDS.has(line.slice(0, colon).trim().toLowerCase());
    if (kv >= 0 && !isField) {
      keyValues[unescapeKeyValue(line.slice(0, kv))] = unescapeKeyValue(line.slice(kv + 2));
      continue;
    }
    if (colon <= 0) {
      throw new FormatError(
        `malformed header line at byte ${lineStart}: expected 'field: value' or 'key:=value', found ${JSON.stringify(line.slice(0, 60))}`,
        ctx,
      );
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!KNOWN_FIELDS.has(name)) {
      throw new FormatError(`unknown header field '${name}': expected a NRRD0005 field, found ${JSON.stringify(line.slice(0, 60))}`, ctx);
    }
    const canonical = FIELD_ALIASES[name] ?? name;
    if (fields.has(canonical)) throw new FormatError(`'${canonical}': expected the field once, found it twice`, ctx);
    fields.set(canonical, value);
    // 'data file: LIST' is followed by file names up to the end of the header (not supported; readNrrd says so).
    if (canonical === 'data file' && value.startsWith('LIST')) return { fields, keyValues, dataOffset: undefined };
  }
}

interface Layout {
  readonly grid: Grid;
  readonly sampleType: NrrdSampleType;
  readonly space: 'LPS' | 'RAS' | 'LAS';
  readonly encoding: 'raw' | 'gzip' | 'ascii';
  readonly littleEndian: boolean;
  readonly lineSkip: number;
  readonly byteSkip: number;
  readonly dataFile: string | undefined;
  readonly content: string | undefined;
}

function parseVector(text: string, field: string, ctx: { file?: string }): [number, number, number] {
  const m = /^\(\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*\)$/.exec(text);
  const v = m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
  if (v === undefined || v.some((x) => !Number.isFinite(x))) {
    throw new FormatError(`'${field}': expected a vector '(x,y,z)' of 3 finite numbers, found ${JSON.stringify(text)}`, ctx);
  }
  return v as [number, number, number];
}

function parseInteger(text: string, field: string, ctx: { file?: string }, min: number): number {
  const v = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new FormatError(`'${field}': expected an integer >= ${min}, found ${JSON.stringify(text)}`, ctx);
  }
  return v;
}

function interpretHeader(h: Header, ctx: { file?: string }): Layout {
  const f = h.fields;
  const required = (name: string): string => {
    const v = f.get(name);
    if (v === undefined) throw new FormatError(`'${name}': expected the field, found none`, ctx);
    return v;
  };
  const dimension = required('dimension');
  if (dimension !== '3') throw new FormatError(`'dimension': expected 'dimension: 3', found ${dimension}`, ctx);

  const typeText = required('type');
  const sampleType = TYPE_NAMES[typeText.toLowerCase()];
  if (sampleType === undefined) {
    const why = UNSUPPORTED_TYPES.has(typeText.toLowerCase()) ? ' (64-bit and block types are not supported)' : '';
    throw new FormatError(
      `'type': expected one of uchar/uint8, signed char/int8, short/int16, ushort/uint16, int/int32, uint/uint32, float, double, found ${JSON.stringify(typeText)}${why}`,
      ctx,
    );
  }

  const sizesText = required('sizes').split(/\s+/);
  if (sizesText.length !== 3) {
    throw new FormatError(`'sizes': expected 3 sizes, found ${JSON.stringify(required('sizes'))}`, ctx);
  }
  const size = sizesText.map((t) => parseInteger(t, 'sizes', ctx, 1)) as [number, number, number];

  const spaceText = f.get('space');
  if (spaceText === undefined) {
    const found = f.has('space dimension')
      ? `'space dimension: ${f.get('space dimension')}' without a named patient space`
      : 'no space field';
    throw new FormatError(`'space': expected 'space: left-posterior-superior' (or RAS / LAS), found ${found}`, ctx);
  }
  const space = SPACES[spaceText.toLowerCase()];
  if (space === undefined) {
    throw new FormatError(
      `'space': expected left-posterior-superior, right-anterior-superior or left-anterior-superior (LPS, RAS, LAS), found ${JSON.stringify(spaceText)}`,
      ctx,
    );
  }
  const spaceDim = f.get('space dimension');
  if (spaceDim !== undefined && spaceDim !== '3') {
    throw new FormatError(`'space dimension': expected 3, found ${JSON.stringify(spaceDim)}`, ctx);
  }

  const dirText = required('space directions');
  const vectors = dirText.match(/\([^()]*\)|none/g) ?? [];
  if (vectors.length !== 3 || dirText.replace(/\([^()]*\)|none/g, '').trim() !== '') {
    throw new FormatError(`'space directions': expected 3 vectors '(x,y,z)', found ${JSON.stringify(dirText)}`, ctx);
  }
  const columns = vectors.map((v) => {
    if (v === 'none') {
      throw new FormatError(`'space directions': expected 3 spatial axes, found 'none' in ${JSON.stringify(dirText)}`, ctx);
    }
    return parseVector(v, 'space directions', ctx);
  });
  const originText = f.get('space origin');
  const origin = originText === undefined ? [0, 0, 0] : parseVector(originText, 'space origin', ctx);

  const kindsText = f.get('kinds');
  if (kindsText !== undefined) {
    const kinds = kindsText.split(/\s+/);
    if (kinds.length !== 3 || kinds.some((k) => !['domain', 'space', '???', 'none'].includes(k.toLowerCase()))) {
      throw new FormatError(`'kinds': expected 3 spatial kinds ('domain domain domain'), found ${JSON.stringify(kindsText)}`, ctx);
    }
  }
  const unitsText = f.get('space units');
  if (unitsText !== undefined) {
    const units = unitsText.match(/"[^"]*"/g) ?? [];
    if (units.length !== 3 || units.some((u) => u !== '"mm"' && u !== '""')) {
      throw new FormatError(`'space units': expected "mm" "mm" "mm", found ${JSON.stringify(unitsText)}`, ctx);
    }
  }

  const encText = required('encoding').toLowerCase();
  let encoding: Layout['encoding'];
  if (encText === 'raw') encoding = 'raw';
  else if (encText === 'gzip' || encText === 'gz') encoding = 'gzip';
  else if (encText === 'ascii' || encText === 'text' || encText === 'txt') encoding = 'ascii';
  else {
    throw new FormatError(`'encoding': expected raw, gzip or ascii, found ${JSON.stringify(encText)}`, ctx);
  }

  const endianText = f.get('endian');
  let littleEndian = true;
  if (endianText !== undefined) {
    if (endianText !== 'little' && endianText !== 'big') {
      throw new FormatError(`'endian': expected little or big, found ${JSON.stringify(endianText)}`, ctx);
    }
    littleEndian = endianText === 'little';
  } else if (BYTES_PER_SAMPLE[sampleType] > 1 && encoding !== 'ascii') {
    throw new FormatError(`'endian': expected the field for ${sampleType} ${encoding} data, found none`, ctx);
  }

  const lineSkip = f.has('line skip') ? parseInteger(f.get('line skip')!, 'line skip', ctx, 0) : 0;
  const byteSkip = f.has('byte skip') ? parseInteger(f.get('byte skip')!, 'byte skip', ctx, -1) : 0;
  if (byteSkip === -1 && encoding !== 'raw') {
    throw new FormatError(`'byte skip': expected -1 only with raw encoding, found encoding ${encoding}`, ctx);
  }

  // Geometry: columns are direction times spacing, in the file's space; LPS = sign ⊙ that.
  const sign = space.sign;
  const spacing: number[] = [];
  const direction = new Array<number>(9);
  for (let a = 0; a < 3; a++) {
    const c = columns[a]!;
    const len = Math.hypot(c[0], c[1], c[2]);
    if (!(len > 0)) {
      throw new FormatError(`'space directions': expected non-zero vectors, found ${JSON.stringify(dirText)}`, ctx);
    }
    spacing.push(len);
    for (let r = 0; r < 3; r++) direction[3 * r + a] = (sign[r]! * c[r]!) / len;
  }
  let grid: Grid;
  try {
    grid = createGrid({
      size,
      spacingMm: spacing as unknown as readonly [number, number, number],
      originMm: [sign[0] * origin[0]!, sign[1] * origin[1]!, sign[2] * origin[2]!],
      direction: direction as unknown as Mat3,
    });
  } catch (cause) {
    if (cause instanceof GeometryError) {
      throw new FormatError(`'space directions': expected orthogonal axes, found ${JSON.stringify(dirText)}: ${cause.message}`, ctx, {
        cause,
      });
    }
    throw cause;
  }
  return {
    grid,
    sampleType,
    space: space.name,
    encoding,
    littleEndian,
    lineSkip,
    byteSkip,
    dataFile: f.get('data file'),
    content: f.get('content'),
  };
}

// ---------------------------------------------------------------------------------------------
// reading: data

function swapped(bytes: Uint8Array, width: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  for (let p = 0; p < bytes.length; p += width) {
    for (let b = 0; b < width; b++) out[p + b] = bytes[p + width - 1 - b]!;
  }
  return out;
}

type OutArray = Float32Array | Uint8Array | Int16Array;

function outputArray(type: NrrdSampleType, n: number): OutArray {
  if (type === 'uint8') return new Uint8Array(n);
  if (type === 'int8' || type === 'int16') return new Int16Array(n);
  return new Float32Array(n);
}

function viewAs(type: NrrdSampleType, buffer: ArrayBuffer): ArrayLike<number> {
  switch (type) {
    case 'int8': return new Int8Array(buffer);
    case 'uint8': return new Uint8Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'uint16': return new Uint16Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'uint32': return new Uint32Array(buffer);
    case 'float': return new Float32Array(buffer);
    case 'double': return new Float64Array(buffer);
  }
}

/** Skip `lines` line ends in `bytes` from 0; returns the offset after them. */
function skipLines(bytes: Uint8Array, lines: number, ctx: { file?: string }): number {
  let pos = 0;
  for (let l = 0; l < lines; l++) {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new FormatError(`'line skip': expected ${lines} lines before the data, found ${l}`, ctx);
    pos = end + 1;
  }
  return pos;
}

function decodeData(stored: Uint8Array, layout: Layout, ctx: { file?: string }): OutArray {
  const n = voxelCount(layout.grid);
  const width = BYTES_PER_SAMPLE[layout.sampleType];
  const needed = n * width;
  const sizes = layout.grid.size.join(' ');
  let body = stored.subarray(skipLines(stored, layout.lineSkip, ctx));

  if (layout.encoding === 'ascii') {
    if (layout.byteSkip > 0) body = body.subarray(Math.min(layout.byteSkip, body.length));
    const tokens = new TextDecoder('latin1').decode(body).split(/[\s,]+/).filter((t) => t.length > 0);
    if (tokens.length < n) {
      throw new FormatError(`truncated data: expected ${n} ascii values for sizes ${sizes}, found ${tokens.length}`, ctx);
    }
    const out = outputArray(layout.sampleType, n);
    for (let p = 0; p < n; p++) {
      const v = Number(tokens[p]);
      if (Number.isNaN(v) && !/^[+-]?nan$/i.test(tokens[p]!)) {
        throw new FormatError(`'encoding': expected ascii numbers, found ${JSON.stringify(tokens[p]!.slice(0, 20))}`, ctx);
      }
      out[p] = v;
    }
    return out;
  }

  if (layout.encoding === 'gzip') {
    try {
      body = gunzipSync(body);
    } catch (cause) {
      throw new FormatError(`'encoding': expected valid gzip data, found ${(cause as Error).message}`, ctx, { cause });
    }
  }
  let start: number;
  if (layout.byteSkip === -1) start = body.length - needed;
  else start = layout.byteSkip;
  if (start < 0 || start + needed > body.length) {
    const found = Math.max(0, layout.byteSkip === -1 ? body.length : body.length - layout.byteSkip);
    throw new FormatError(
      `truncated data: expected ${needed} bytes of ${layout.sampleType} for sizes ${sizes}${layout.encoding === 'gzip' ? ' after gunzip' : ''}, found ${found}`,
      ctx,
    );
  }
  // A copy aligned at 0 (Buffer#slice would share memory, so copy explicitly).
  let raw = new Uint8Array(needed);
  raw.set(body.subarray(start, start + needed));
  if (width > 1 && layout.littleEndian !== HOST_LITTLE_ENDIAN) raw = swapped(raw, width);
  const src = viewAs(layout.sampleType, raw.buffer);
  const out = outputArray(layout.sampleType, n);
  if (src.constructor === out.constructor) return src as OutArray;
  for (let p = 0; p < n; p++) out[p] = src[p]!;
  return out;
}

function result(layout: Layout, data: OutArray, keyValues: Record<string, string>): DecodedNrrd {
  return {
    grid: layout.grid,
    data,
    keyValues,
    ...(layout.content !== undefined ? { content: layout.content } : {}),
    sampleType: layout.sampleType,
    space: layout.space,
  };
}

/**
 * Decode a NRRD file held in memory (attached data only: a header naming a detached `data file`
 * needs `readNrrd`). `file` only names the source in error messages.
 */
export function decodeNrrd(bytes: Uint8Array, file?: string): DecodedNrrd {
  const ctx = file !== undefined ? { file } : {};
  const header = parseHeader(bytes, file);
  const layout = interpretHeader(header, ctx);
  if (layout.dataFile !== undefined) {
    throw new FormatError(
      `'data file': detached data (${JSON.stringify(layout.dataFile)}) needs readNrrd(path), found it in decodeNrrd`,
      ctx,
    );
  }
  if (header.dataOffset === undefined) {
    throw new FormatError('truncated header: expected a blank line before the data, found the end of the file', ctx);
  }
  return result(layout, decodeData(bytes.subarray(header.dataOffset), layout, ctx), header.keyValues);
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new FormatError(`could not read ${what} ${path}: ${(cause as Error).message}`, { file: path }, { cause });
  }
}

/**
 * Read a NRRD file (.nrrd with attached data, or a .nhdr header with a single detached data file
 * named relative to the header's folder).
 */
export function readNrrd(path: string): DecodedNrrd {
  const bytes = readBytes(path, 'NRRD file');
  const ctx = { file: path };
  const header = parseHeader(bytes, path);
  const layout = interpretHeader(header, ctx);
  if (layout.dataFile === undefined) {
    if (header.dataOffset === undefined) {
      throw new FormatError('truncated header: expected a blank line before the data, found the end of the file', ctx);
    }
    return result(layout, decodeData(bytes.subarray(header.dataOffset), layout, ctx), header.keyValues);
  }
  const name = layout.dataFile;
  if (name === 'LIST' || /\s/.test(name) || name.includes('%')) {
    throw new FormatError(
      `'data file': expected a single detached file name, found ${JSON.stringify(name)} (LIST and printf forms are not supported)`,
      ctx,
    );
  }
  const dataPath = isAbsolute(name) ? name : join(dirname(path), name);
  const stored = readBytes(dataPath, 'NRRD data file');
  return result(layout, decodeData(stored, layout, { file: dataPath }), header.keyValues);
}
