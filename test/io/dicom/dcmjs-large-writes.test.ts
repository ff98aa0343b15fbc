/**
 * The memory patches of dcmjs's writer (src/io/dicom/dcmjs.ts, issue 11 §5): a sequence is written
 * straight into its parent's stream and a growing stream adds chunks as large as itself. The bytes
 * must be those of dcmjs unpatched: the reference here is a second, untouched copy of dcmjs (its
 * minified build, loaded by file path apart from the CommonJS build lattice-rt loads and patches).
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CHUNK_BYTES, dcmjsWrite, writeBufferStream, type RawDataset } from '../../../src/io/dicom/dcmjs.js';
import { TRANSFER_SYNTAX } from '../../../src/io/dicom/uid.js';
import { dataset, put, type Dataset } from '../../../src/io/dicom/write/encode.js';
import { formatDSList } from '../../../src/io/dicom/write/values.js';

interface UnpatchedDcmjs {
  data: {
    DicomDict: new (meta: RawDataset) => { dict: RawDataset; write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer };
    WriteBufferStream: unknown;
  };
}
const require = createRequire(import.meta.url);
const reference = require(require.resolve('dcmjs').replace(/dcmjs\.js$/, 'dcmjs.min.js')) as UnpatchedDcmjs;

/** A closed polygon of n points on plane z (mm), ContourData values. */
function polygon(n: number, z: number): string[] {
  const p = new Float64Array(3 * n);
  for (let q = 0; q < n; q++) {
    const t = (2 * Math.PI * q) / n;
    p[3 * q] = 40 * Math.cos(t) + 0.123456789 * q;
    p[3 * q + 1] = -25 * Math.sin(t);
    p[3 * q + 2] = z;
  }
  return formatDSList(p);
}

/** A structure-set-like dataset: ROIs > contours > image references, long ContourData, odd-length values. */
function structureSetBody(pointsPerContour: number): Dataset {
  return dataset((d) => {
    put(d, 'SOPClassUID', '1.2.840.10008.5.1.4.1.1.481.3');
    put(d, 'SOPInstanceUID', '1.2.3.4.5');
    put(d, 'PatientName', 'Test^Large');
    put(d, 'StructureSetLabel', 'odd');
    put(
      d,
      'ROIContourSequence',
      [1, 2, 3].map((roi) =>
        dataset((r) => {
          put(r, 'ReferencedROINumber', String(roi));
          put(r, 'ROIDisplayColor', ['255', '0', String(roi)]);
          put(
            r,
            'ContourSequence',
            [0, 1, 2, 3].map((k) =>
              dataset((c) => {
                put(c, 'ContourImageSequence', [
                  dataset((i) => {
                    put(i, 'ReferencedSOPClassUID', '1.2.840.10008.5.1.4.1.1.2');
                    put(i, 'ReferencedSOPInstanceUID', `1.2.3.${k + 1}`);
                  }),
                ]);
                put(c, 'ContourGeometricType', 'CLOSED_PLANAR');
                put(c, 'NumberOfContourPoints', String(pointsPerContour + k));
                put(c, 'ContourData', polygon(pointsPerContour + k, 2.5 * k - 1));
              }),
            ),
          );
        }),
      ),
    );
    put(d, 'RTROIObservationsSequence', []);
  });
}

/** An image-like dataset (explicit VR): US values, OW pixels, a sequence. */
function imageBody(): Dataset {
  return dataset((d) => {
    put(d, 'SOPClassUID', '1.2.840.10008.5.1.4.1.1.2');
    put(d, 'SOPInstanceUID', '1.2.3.4.6');
    put(d, 'ImagePositionPatient', ['-249.5', '-249.5', '1']);
    put(d, 'ReferencedRTPlanSequence', [
      dataset((i) => {
        put(i, 'ReferencedSOPClassUID', '1.2.840.10008.5.1.4.1.1.2');
        put(i, 'ReferencedSOPInstanceUID', '1.2.3.9');
      }),
    ]);
    put(d, 'Rows', 300);
    put(d, 'Columns', 301);
    put(d, 'BitsAllocated', 16);
    const pixels = new Uint8Array(2 * 300 * 301);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) % 251;
    put(d, 'PixelData', pixels);
  });
}

function meta(transferSyntaxUid: string): Dataset {
  return dataset((m) => {
    put(m, 'FileMetaInformationVersion', new Uint8Array([0, 1]));
    put(m, 'MediaStorageSOPClassUID', '1.2.840.10008.5.1.4.1.1.481.3');
    put(m, 'MediaStorageSOPInstanceUID', '1.2.3.4.5');
    put(m, 'TransferSyntaxUID', transferSyntaxUid);
  });
}

/** The same file from unpatched dcmjs. */
function referenceBytes(transferSyntaxUid: string, body: () => Dataset): Uint8Array {
  const dict = new reference.data.DicomDict(meta(transferSyntaxUid));
  dict.dict = body();
  return new Uint8Array(dict.write({ allowInvalidVRLength: true }));
}

const WriteBufferStream = writeBufferStream();
const concat = WriteBufferStream.prototype.concat;
afterEach(() => {
  WriteBufferStream.prototype.concat = concat;
});

describe('dcmjs writes with less memory, the same bytes', () => {
  it('compares with a copy of dcmjs of its own (not the patched one)', () => {
    expect(reference.data.WriteBufferStream).not.toBe(WriteBufferStream);
  });

  it('writes a structure set (implicit VR, nested sequences, 100 kB contours) byte for byte as dcmjs unpatched', () => {
    const body = (): Dataset => structureSetBody(4001);
    const ours = dcmjsWrite(meta(TRANSFER_SYNTAX.implicitLittle), body(), { checked: true });
    const theirs = referenceBytes(TRANSFER_SYNTAX.implicitLittle, body);
    expect(ours.length).toBe(theirs.length);
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('writes an image (explicit VR, OW pixels, a sequence) byte for byte as dcmjs unpatched', () => {
    const ours = dcmjsWrite(meta(TRANSFER_SYNTAX.explicitLittle), imageBody(), { checked: true });
    const theirs = referenceBytes(TRANSFER_SYNTAX.explicitLittle, imageBody);
    expect(ours.length).toBe(theirs.length);
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('never copies a whole sequence: the largest stream copied into another is one element value', () => {
    let largest = 0;
    WriteBufferStream.prototype.concat = function spy(this: unknown, stream: { size: number }) {
      largest = Math.max(largest, stream.size);
      return concat.call(this, stream);
    };
    const bytes = dcmjsWrite(meta(TRANSFER_SYNTAX.implicitLittle), structureSetBody(4001), { checked: true });
    // The longest ContourData: 3 x 4004 values of at most 16 characters and their backslashes.
    const longestValue = 3 * 4004 * 17;
    expect(bytes.length).toBeGreaterThan(10 * longestValue / 2);
    expect(largest).toBeLessThanOrEqual(longestValue);
  });

  it('grows a stream by chunks as large as itself: 4 MB in tens of chunks, not 16,000 of 256 bytes', () => {
    const stream = new WriteBufferStream(256, true);
    const block = 'x'.repeat(4096);
    for (let n = 0; n < 1024; n++) stream.writeAsciiString(block);
    const view = stream.view;
    // Chunk sizes 256, 256, 512, 1024, ... (doubling the stream) up to MAX_CHUNK_BYTES.
    expect(view.buffers.length).toBeLessThanOrEqual(Math.ceil(Math.log2((4 * 2 ** 20) / 256)) + 1);
    expect(view.byteLength).toBeLessThanOrEqual(2 * 4 * 2 ** 20);
    expect(Math.max(...view.lengths)).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    const bytes = new Uint8Array(stream.getBuffer());
    expect(bytes.length).toBe(4 * 2 ** 20);
    expect(bytes.every((b) => b === 0x78)).toBe(true);
  });
});
