/**
 * NRRD reading and writing. Expected values come from the teem format spec (hand-built headers whose
 * meaning the spec fixes: RAS, big endian, detached data) and from plastimatch (ITK's NRRD reader
 * and writer), which reads our files and writes files for us to read.
 *
 * plastimatch convention (checked against `plastimatch synth --direction-cosines`): it holds images
 * as ITK does, in LPS, and `plastimatch header` prints
 *   Origin    = LPS position of the centre of voxel 0 (mm),
 *   Size      = voxel counts i j k,
 *   Spacing   = spacing along i j k (mm),
 *   Direction = the 3x3 direction matrix row-major, whose columns are the LPS unit vectors of the
 *               i, j, k axes (ITK's GetDirection()),
 * each to 4 decimals. That is exactly our Grid { originMm, size, spacingMm, direction }, so the
 * expected values are our grid's numbers unchanged (for a file in RAS, the LPS numbers: x and y of
 * the origin and of the direction rows 0 and 1 negated).
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import type { Mat3, Vec3 } from '../../src/core/vec3.js';
import { createGrid, indexToLps, sameGrid, voxelCount, type Grid } from '../../src/geometry/grid.js';
import { decodeNrrd, encodeNrrd, readNrrd, writeNrrd, type NrrdVolume } from '../../src/io/nrrd.js';
import { TOOLS, have, runTool } from '../helpers/external.js';

const dir = mkdtempSync(join(tmpdir(), 'lattice-nrrd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
/** i along -P, j along +S, k along -L. */
const PERMUTED_FLIPPED: Mat3 = [0, 0, -1, -1, 0, 0, 0, 1, 0];
/** Left-handed: i along +P, j along +L, k along -S. */
const PERMUTED_LEFT: Mat3 = [0, 1, 0, 1, 0, 0, 0, 0, -1];
const c = Math.cos(0.3);
const s = Math.sin(0.3);
/** Rotation by 0.3 rad about S (a gantry-tilt-like oblique frame). */
const OBLIQUE: Mat3 = [c, -s, 0, s, c, 0, 0, 0, 1];

const GRIDS: [string, Grid][] = [
  ['identity', createGrid({ size: [5, 4, 3], spacingMm: [0.9765625, 0.9765625, 2.5], originMm: [-250.1, -187.3, 42.25], direction: IDENTITY })],
  ['flipped and permuted', createGrid({ size: [4, 6, 5], spacingMm: [1.5, 2, 3], originMm: [10, -20.5, 30.25], direction: PERMUTED_FLIPPED })],
  ['left-handed', createGrid({ size: [3, 5, 4], spacingMm: [2.5, 1.25, 0.7], originMm: [0.1, 0.2, 0.3], direction: PERMUTED_LEFT })],
  ['oblique', createGrid({ size: [6, 3, 4], spacingMm: [1.1, 0.8, 3], originMm: [-5, 6, -7], direction: OBLIQUE })],
];

function sampleData(kind: 'float' | 'uint8' | 'int16', n: number): Float32Array | Uint8Array | Int16Array {
  if (kind === 'float') return Float32Array.from({ length: n }, (_, p) => Math.sin(p * 1.7) * 73.25 + p / 3);
  if (kind === 'uint8') return Uint8Array.from({ length: n }, (_, p) => (p * 37) % 256);
  return Int16Array.from({ length: n }, (_, p) => ((p * 997) % 4000) - 1024);
}

function expectSameGeometry(a: Grid, b: Grid, tol = 1e-12): void {
  expect(a.size).toEqual(b.size);
  for (let q = 0; q < 3; q++) {
    expect(Math.abs(a.spacingMm[q]! - b.spacingMm[q]!)).toBeLessThanOrEqual(tol);
    expect(Math.abs(a.originMm[q]! - b.originMm[q]!)).toBeLessThanOrEqual(tol);
  }
  for (let q = 0; q < 9; q++) expect(Math.abs(a.direction[q]! - b.direction[q]!)).toBeLessThanOrEqual(tol);
}

/** Error thrown by fn (which must throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

// ---------------------------------------------------------------------------------------------

describe('NRRD round trip', () => {
  for (const [gridName, grid] of GRIDS) {
    for (const kind of ['float', 'uint8', 'int16'] as const) {
      for (const gzip of [false, true]) {
        it(`returns identical ${kind} data and grid (${gridName}, ${gzip ? 'gzip' : 'raw'})`, () => {
          const data = sampleData(kind, voxelCount(grid));
          const bytes = encodeNrrd({ grid, data }, { gzip });
          const back = decodeNrrd(bytes);
          expect(back.data.constructor).toBe(data.constructor);
          expect(back.data).toEqual(data);
          expect(back.sampleType).toBe(kind);
          expect(back.space).toBe('LPS');
          // Axis-parallel grids come back bit for bit; oblique ones to rounding of |d * s| / s.
          expectSameGeometry(back.grid, grid, gridName === 'oblique' ? 1e-12 : 0);
        });
      }
    }
  }

  it('writes the header the issue specifies', () => {
    const grid = GRIDS[1]![1];
    const bytes = encodeNrrd({ grid, data: new Uint8Array(voxelCount(grid)) }, { content: 'PTV mask' });
    const header = Buffer.from(bytes).toString('latin1').split('\n\n')[0]!;
    expect(header.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      'NRRD0004',
      'type: uint8',
      'dimension: 3',
      'space: left-posterior-superior',
      'sizes: 4 6 5',
      // columns of PERMUTED_FLIPPED times spacing: i = -P * 1.5, j = +S * 2, k = -L * 3
      'space directions: (0,-1.5,0) (0,0,2) (-3,0,0)',
      'kinds: domain domain domain',
      'endian: little',
      'encoding: raw',
      'space origin: (10,-20.5,30.25)',
      'content: PTV mask',
    ]);
    expect(bytes.length - (header.length + 2)).toBe(voxelCount(grid));
  });

  it('keeps content and key/value pairs, escaping newlines and backslashes', () => {
    const grid = GRIDS[0]![1];
    const keyValues = { Modality: 'CT', 'note\\x': 'line 1\nline 2 with \\n literal', empty: '' };
    const back = decodeNrrd(encodeNrrd({ grid, data: new Float32Array(voxelCount(grid)) }, { content: 'CT HU', keyValues }));
    expect(back.content).toBe('CT HU');
    expect(back.keyValues).toEqual(keyValues);
    expect(() => encodeNrrd({ grid, data: new Float32Array(voxelCount(grid)) }, { keyValues: { 'a:=b': 'x' } })).toThrow(FormatError);
    expect(() => encodeNrrd({ grid, data: new Float32Array(voxelCount(grid)) }, { content: 'a\nb' })).toThrow(FormatError);
  });

  it('writes atomically and reads back from a file', () => {
    const grid = GRIDS[2]![1];
    const data = sampleData('int16', voxelCount(grid)) as Int16Array;
    const path = join(dir, 'sub', 'roundtrip.nrrd');
    writeNrrd(path, { grid, data }, { gzip: true });
    const back = readNrrd(path);
    expect(back.data).toEqual(data);
    expect(sameGrid(back.grid, grid, 1e-9)).toBe(true);
  });

  it('rejects volumes whose data does not match the grid', () => {
    const grid = GRIDS[0]![1];
    expect(() => encodeNrrd({ grid, data: new Float32Array(3) })).toThrow(/expected 60 values .* found 3/);
    expect(() => encodeNrrd({ grid, data: new Float64Array(60) } as unknown as NrrdVolume)).toThrow(
      /expected data as Float32Array, Uint8Array or Int16Array, found Float64Array/,
    );
  });
});

// ---------------------------------------------------------------------------------------------

/** A hand-built NRRD: header lines (without the magic) and a data payload. */
function nrrd(lines: readonly string[], payload: Uint8Array, magic = 'NRRD0004'): Uint8Array {
  return concat(ascii([magic, ...lines].join('\n') + '\n\n'), payload);
}

const BASE_LINES = [
  'type: short',
  'dimension: 3',
  'space: left-posterior-superior',
  'sizes: 3 2 2',
  'space directions: (1.5,0,0) (0,2,0) (0,0,2.5)',
  'kinds: domain domain domain',
  'endian: little',
  'encoding: raw',
  'space origin: (-1,-2,-3)',
];
const with_ = (field: string, line: string | undefined): string[] => {
  const out = BASE_LINES.filter((l) => !l.startsWith(`${field}:`));
  return line === undefined ? out : [...out, line];
};
const SHORTS = Int16Array.from({ length: 12 }, (_, p) => p * 300 - 1500);
const LE_SHORTS = new Uint8Array(SHORTS.buffer.slice(0));

describe('NRRD reader', () => {
  it('reads big-endian data', () => {
    const be = new Uint8Array(24);
    const view = new DataView(be.buffer);
    for (let p = 0; p < 12; p++) view.setInt16(2 * p, SHORTS[p]!, false);
    const back = decodeNrrd(nrrd(with_('endian', 'endian: big'), be));
    expect(back.data).toEqual(SHORTS);
  });

  it('reads every supported type, converting to Uint8 / Int16 / Float32', () => {
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const cases: [string, (v: number[]) => ArrayBufferView, string][] = [
      ['uchar', (v) => Uint8Array.from(v), 'Uint8Array'],
      ['signed char', (v) => Int8Array.from(v.map((x) => -x)), 'Int16Array'],
      ['ushort', (v) => Uint16Array.from(v.map((x) => x * 5000)), 'Float32Array'],
      ['int', (v) => Int32Array.from(v.map((x) => x * -100000)), 'Float32Array'],
      ['uint', (v) => Uint32Array.from(v.map((x) => x * 100000)), 'Float32Array'],
      ['double', (v) => Float64Array.from(v.map((x) => x / 8)), 'Float32Array'],
      ['float', (v) => Float32Array.from(v.map((x) => x / 4)), 'Float32Array'],
    ];
    for (const [type, make, ctor] of cases) {
      const typed = make(values) as unknown as ArrayLike<number> & ArrayBufferView;
      const payload = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
      const back = decodeNrrd(nrrd(with_('type', `type: ${type}`), payload));
      expect(back.data.constructor.name, type).toBe(ctor);
      expect(Array.from(back.data), type).toEqual(Array.from(typed));
    }
  });

  it('converts RAS and LAS spaces to LPS by flipping x and y (RAS) or y (LAS)', () => {
    const ras = decodeNrrd(
      nrrd(
        [...with_('space', 'space: right-anterior-superior').filter((l) => !/^space (directions|origin)/.test(l)),
          'space directions: (-1.5,0,0) (0,0,2) (0,3,0)', 'space origin: (10,20,30)'],
        LE_SHORTS,
      ),
    );
    expect(ras.space).toBe('RAS');
    // i along -R = +L, j along +S, k along +A = -P; origin R 10, A 20 = L -10, P -20.
    expectSameGeometry(
      ras.grid,
      createGrid({ size: [3, 2, 2], spacingMm: [1.5, 2, 3], originMm: [-10, -20, 30], direction: [1, 0, 0, 0, 0, -1, 0, 1, 0] }),
      0,
    );
    const las = decodeNrrd(nrrd([...with_('space', 'space: LAS')], LE_SHORTS));
    expectSameGeometry(
      las.grid,
      createGrid({ size: [3, 2, 2], spacingMm: [1.5, 2, 2.5], originMm: [-1, 2, -3], direction: [1, 0, 0, 0, -1, 0, 0, 0, 1] }),
      0,
    );
  });

  it('reads gzip, ascii, byte skip -1, line skip and older field spellings', () => {
    const gz = decodeNrrd(nrrd(with_('encoding', 'encoding: gz'), gzipSync(LE_SHORTS)));
    expect(gz.data).toEqual(SHORTS);
    const text = decodeNrrd(nrrd(with_('encoding', 'encoding: ascii'), ascii(Array.from(SHORTS).join(' ') + '\n')));
    expect(text.data).toEqual(SHORTS);
    const tail = decodeNrrd(nrrd([...BASE_LINES, 'byte skip: -1'], concat(new Uint8Array(7), LE_SHORTS)));
    expect(tail.data).toEqual(SHORTS);
    const skip = decodeNrrd(nrrd([...BASE_LINES, 'lineskip: 2', 'byteskip: 3'], concat(ascii('junk\nmore junk\nabc'), LE_SHORTS)));
    expect(skip.data).toEqual(SHORTS);
    const crlf = nrrd(BASE_LINES, LE_SHORTS);
    const crlfText = new TextDecoder('latin1').decode(crlf.subarray(0, crlf.length - 24)).replace(/\n/g, '\r\n');
    expect(decodeNrrd(concat(ascii(crlfText), LE_SHORTS)).data).toEqual(SHORTS);
    const kv = decodeNrrd(nrrd([...BASE_LINES, 'content: a:=b', 'DICOM:0008|0060:=CT'], LE_SHORTS));
    expect(kv.content).toBe('a:=b');
    expect(kv.keyValues).toEqual({ 'DICOM:0008|0060': 'CT' });
    const old = decodeNrrd(nrrd([...BASE_LINES, 'centerings: cell cell cell', 'space units: "mm" "mm" "mm"'], LE_SHORTS, 'NRRD0005'));
    expect(old.data).toEqual(SHORTS);
  });

  it('reads a detached data file through readNrrd, and says decodeNrrd cannot', () => {
    writeFileSync(join(dir, 'detached.raw.gz'), gzipSync(LE_SHORTS));
    const header = ascii(['NRRD0004', ...with_('encoding', 'encoding: gzip'), 'data file: detached.raw.gz'].join('\n') + '\n');
    writeFileSync(join(dir, 'detached.nhdr'), header);
    expect(readNrrd(join(dir, 'detached.nhdr')).data).toEqual(SHORTS);
    expect(() => decodeNrrd(header, 'detached.nhdr')).toThrow(/'data file': detached data .* needs readNrrd/);
    writeFileSync(join(dir, 'list.nhdr'), ascii(['NRRD0004', ...BASE_LINES, 'data file: LIST', 'a.raw'].join('\n') + '\n'));
    expect(() => readNrrd(join(dir, 'list.nhdr'))).toThrow(/LIST and printf forms are not supported/);
    expect(() => readNrrd(join(dir, 'missing.nrrd'))).toThrow(FormatError);
  });

  const malformed: [string, Uint8Array, RegExp][] = [
    ['dimension 2', nrrd(with_('dimension', 'dimension: 2'), LE_SHORTS), /'dimension': expected 'dimension: 3', found 2/],
    ['no magic', ascii('P5\n3 2\n255\n'), /expected the NRRD magic line/],
    ['empty file', new Uint8Array(0), /found an empty file/],
    ['unknown type', nrrd(with_('type', 'type: complex'), LE_SHORTS), /'type': expected one of .* found "complex"/],
    ['64-bit type', nrrd(with_('type', 'type: int64'), LE_SHORTS), /64-bit and block types are not supported/],
    ['two sizes', nrrd(with_('sizes', 'sizes: 3 4'), LE_SHORTS), /'sizes': expected 3 sizes/],
    ['zero size', nrrd(with_('sizes', 'sizes: 3 0 4'), LE_SHORTS), /'sizes': expected an integer >= 1, found "0"/],
    ['no space', nrrd(with_('space', 'space dimension: 3'), LE_SHORTS), /'space': expected 'space: left-posterior-superior'.* without a named patient space/],
    ['scanner space', nrrd(with_('space', 'space: scanner-xyz'), LE_SHORTS), /'space': expected left-posterior-superior/],
    ['bad vector', nrrd(with_('space directions', 'space directions: (1,0) (0,1,0) (0,0,1)'), LE_SHORTS), /'space directions': expected a vector/],
    ['none axis', nrrd(with_('space directions', 'space directions: none (0,1,0) (0,0,1)'), LE_SHORTS), /'space directions': expected 3 spatial axes/],
    ['skewed axes', nrrd(with_('space directions', 'space directions: (1,0,0) (1,1,0) (0,0,1)'), LE_SHORTS), /'space directions': expected orthogonal axes/],
    ['bad origin', nrrd(with_('space origin', 'space origin: (1,2,x)'), LE_SHORTS), /'space origin': expected a vector/],
    ['vector kinds', nrrd(with_('kinds', 'kinds: vector domain domain'), LE_SHORTS), /'kinds': expected 3 spatial kinds/],
    ['no endian', nrrd(with_('endian', undefined), LE_SHORTS), /'endian': expected the field for int16 raw data, found none/],
    ['bzip2', nrrd(with_('encoding', 'encoding: bzip2'), LE_SHORTS), /'encoding': expected raw, gzip or ascii, found "bzip2"/],
    ['unknown field', nrrd([...BASE_LINES, 'colour: blue'], LE_SHORTS), /unknown header field 'colour'/],
    ['duplicate field', nrrd([...BASE_LINES, 'sizes: 3 2 2'], LE_SHORTS), /'sizes': expected the field once, found it twice/],
    ['garbage line', nrrd([...BASE_LINES, 'garbage'], LE_SHORTS), /malformed header line .* found "garbage"/],
    ['inches', nrrd([...BASE_LINES, 'space units: "in" "in" "in"'], LE_SHORTS), /'space units': expected "mm" "mm" "mm"/],
    ['short data', nrrd(BASE_LINES, LE_SHORTS.subarray(0, 23)), /truncated data: expected 24 bytes of int16 for sizes 3 2 2, found 23/],
    ['short gzip', nrrd(with_('encoding', 'encoding: gzip'), gzipSync(LE_SHORTS).subarray(0, 20)), /'encoding': expected valid gzip data/],
    ['gzip too little', nrrd(with_('encoding', 'encoding: gzip'), gzipSync(LE_SHORTS.subarray(0, 10))), /truncated data: .* after gunzip, found 10/],
    ['ascii too few', nrrd(with_('encoding', 'encoding: ascii'), ascii('1 2 3')), /truncated data: expected 12 ascii values .* found 3/],
    ['ascii garbage', nrrd(with_('encoding', 'encoding: ascii'), ascii('1 2 3 4 5 6 7 8 9 10 eleven 12')), /expected ascii numbers, found "eleven"/],
  ];
  for (const [name, bytes, message] of malformed) {
    it(`gives a FormatError naming the file and the field for: ${name}`, () => {
      const e = thrown(() => decodeNrrd(bytes, 'case.nrrd'));
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/\(file case\.nrrd\)$/);
    });
  }

  it('gives a FormatError (never another error) for every truncation of a valid file', () => {
    for (const gzip of [false, true]) {
      const grid = GRIDS[1]![1];
      const bytes = encodeNrrd({ grid, data: sampleData('float', voxelCount(grid)) }, { gzip, keyValues: { a: 'b' } });
      for (let cut = 0; cut < bytes.length; cut++) {
        const e = thrown(() => decodeNrrd(bytes.subarray(0, cut)));
        expect(e, `cut at ${cut} of ${bytes.length}`).toBeInstanceOf(FormatError);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------

interface PlastimatchHeader {
  readonly type: string;
  readonly origin: number[];
  readonly size: number[];
  readonly spacing: number[];
  readonly direction: number[];
}

function plastimatchHeader(path: string): PlastimatchHeader {
  const r = runTool(TOOLS.plastimatch.command, ['header', path]);
  expect(r.status, r.stderr).toBe(0);
  const field = (name: string): string => {
    const m = new RegExp(`^${name} = (.*)$`, 'm').exec(r.stdout);
    if (m === null) throw new Error(`plastimatch header printed no ${name}:\n${r.stdout}`);
    return m[1]!.trim();
  };
  const nums = (name: string): number[] => field(name).split(/\s+/).map(Number);
  return { type: field('Type'), origin: nums('Origin'), size: nums('Size'), spacing: nums('Spacing'), direction: nums('Direction') };
}

/** plastimatch prints 4 decimals. */
function expectHeaderMatchesGrid(h: PlastimatchHeader, grid: Grid): void {
  expect(h.size).toEqual([...grid.size]);
  for (let q = 0; q < 3; q++) {
    expect(Math.abs(h.origin[q]! - grid.originMm[q]!)).toBeLessThanOrEqual(5e-5);
    expect(Math.abs(h.spacing[q]! - grid.spacingMm[q]!)).toBeLessThanOrEqual(5e-5);
  }
  expect(h.direction).toHaveLength(9);
  for (let q = 0; q < 9; q++) expect(Math.abs(h.direction[q]! - grid.direction[q]!)).toBeLessThanOrEqual(5e-5);
}

describe.runIf(have(TOOLS.plastimatch))('NRRD against plastimatch', () => {
  for (const [gridName, grid] of GRIDS) {
    it(`plastimatch reads the geometry of our ${gridName} file as ours (LPS, centre of voxel 0)`, () => {
      const path = join(dir, `ours-${gridName.replace(/\W+/g, '-')}.nrrd`);
      writeNrrd(path, { grid, data: sampleData('float', voxelCount(grid)) });
      const h = plastimatchHeader(path);
      expect(h.type).toBe('float');
      expectHeaderMatchesGrid(h, grid);
    });
  }

  it('plastimatch reads our uint8 gzip and int16 files with their types', () => {
    const grid = GRIDS[1]![1];
    const p8 = join(dir, 'ours-u8.nrrd');
    const u8 = sampleData('uint8', voxelCount(grid));
    writeNrrd(p8, { grid, data: u8 }, { gzip: true });
    const h8 = plastimatchHeader(p8);
    expect(h8.type).toBe('unsigned char');
    expectHeaderMatchesGrid(h8, grid);
    // And the samples: plastimatch's float conversion of our mask file holds the same values.
    const p8f = join(dir, 'ours-u8-float.nrrd');
    const r = runTool(TOOLS.plastimatch.command, ['convert', '--input', p8, '--output-img', p8f, '--output-type', 'float']);
    expect(r.status, r.stderr).toBe(0);
    expect(readNrrd(p8f).data).toEqual(Float32Array.from(u8));
    const p16 = join(dir, 'ours-i16.nrrd');
    writeNrrd(p16, { grid, data: sampleData('int16', voxelCount(grid)) });
    const h = plastimatchHeader(p16);
    expect(h.type).toBe('short');
    expectHeaderMatchesGrid(h, grid);
  });

  it('plastimatch reads a RAS file at the LPS geometry we derive for it', () => {
    const path = join(dir, 'ras.nrrd');
    const bytes = nrrd(
      [...with_('space', 'space: right-anterior-superior').filter((l) => !/^space (directions|origin)/.test(l)),
        'space directions: (-1.5,0,0) (0,0,2) (0,3,0)', 'space origin: (10,20,30)'],
      LE_SHORTS,
    );
    writeFileSync(path, bytes);
    expectHeaderMatchesGrid(plastimatchHeader(path), decodeNrrd(bytes).grid);
  });

  it('plastimatch convert of our files (including a big-endian one) gives back our data and grid', () => {
    for (const [gridName, grid] of GRIDS.slice(0, 3)) {
      const data = sampleData('int16', voxelCount(grid)) as Int16Array;
      const src = join(dir, `conv-src-${gridName.replace(/\W+/g, '-')}.nrrd`);
      const dst = join(dir, `conv-dst-${gridName.replace(/\W+/g, '-')}.nrrd`);
      writeNrrd(src, { grid, data });
      const r = runTool(TOOLS.plastimatch.command, ['convert', '--input', src, '--output-img', dst, '--output-type', 'float']);
      expect(r.status, r.stderr).toBe(0);
      const back = readNrrd(dst);
      expect(back.sampleType).toBe('float');
      expect(back.data).toEqual(Float32Array.from(data));
      expect(sameGrid(back.grid, grid, 1e-4)).toBe(true);
    }
    // Big endian, written by hand; plastimatch (ITK) writes little endian.
    const be = new Uint8Array(24);
    const view = new DataView(be.buffer);
    for (let p = 0; p < 12; p++) view.setInt16(2 * p, SHORTS[p]!, false);
    const src = join(dir, 'be.nrrd');
    writeFileSync(src, nrrd(with_('endian', 'endian: big'), be));
    const dst = join(dir, 'be-converted.nrrd');
    const r = runTool(TOOLS.plastimatch.command, ['convert', '--input', src, '--output-img', dst]);
    expect(r.status, r.stderr).toBe(0);
    const theirs = readNrrd(dst);
    const ours = readNrrd(src);
    expect(theirs.data).toEqual(ours.data);
    expectSameGeometry(theirs.grid, ours.grid, 1e-9);
  });

  it('we read a sphere written by plastimatch synth with the geometry it was asked for', () => {
    const path = join(dir, 'synth.nrrd');
    const size: Vec3 = [10, 12, 14];
    const spacing: Vec3 = [1.5, 2, 2.5];
    const origin: Vec3 = [-10, -20, 30];
    // Row-major direction, columns = axis directions: i along -P, j along +L, k along +S.
    const direction: Mat3 = [0, 1, 0, -1, 0, 0, 0, 0, 1];
    const centre: Vec3 = [1, -27, 45]; // inside: L -10..12, P -33.5..-20, S 30..62.5
    const r = runTool(TOOLS.plastimatch.command, [
      'synth', '--pattern', 'sphere', '--output', path, '--output-type', 'short',
      '--dim', size.join(' '), '--spacing', spacing.join(' '), '--origin', origin.join(' '),
      '--direction-cosines', direction.join(' '),
      '--radius', '6', '--center', centre.join(' '), '--foreground', '100', '--background', '-50',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const back = readNrrd(path);
    expect(back.sampleType).toBe('int16');
    expectSameGeometry(
      back.grid,
      createGrid({ size: size as unknown as [number, number, number], spacingMm: spacing, originMm: origin, direction }),
      1e-9,
    );
    // Voxels whose centres are clearly inside / outside the sphere (margin 1 mm for plastimatch's
    // boundary rule) hold the foreground / background values.
    const [nx, ny, nz] = back.grid.size;
    let inside = 0;
    let p = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++, p++) {
          const q = indexToLps(back.grid, [i, j, k]);
          const d = Math.hypot(q[0] - centre[0], q[1] - centre[1], q[2] - centre[2]);
          if (d < 5) {
            expect(back.data[p]).toBe(100);
            inside++;
          } else if (d > 7) expect(back.data[p]).toBe(-50);
        }
      }
    }
    expect(inside).toBeGreaterThan(10);
    // And the file itself: plastimatch's own header says the same.
    expectHeaderMatchesGrid(plastimatchHeader(path), back.grid);
    expect(readFileSync(path).subarray(0, 8).toString()).toBe('NRRD0004');
  });
});
