/**
 * The block write of long ASCII strings (src/io/dicom/dcmjs.ts) writes the bytes dcmjs's
 * byte-by-byte path would: each character's code, across the stream's chunk boundaries; a string
 * with other characters keeps dcmjs's path (the low byte of each code).
 */
import { describe, expect, it } from 'vitest';
import { writeBufferStream } from '../../../src/io/dicom/dcmjs.js';

const WriteBufferStream = writeBufferStream();

describe('dcmjs string writes', () => {
  it('writes long ASCII strings as their character codes, across chunk boundaries', () => {
    const stream = new WriteBufferStream(16, true); // tiny chunks: every long write crosses several
    const long = Array.from({ length: 5000 }, (_, i) => `${(i * 0.37).toFixed(2)}\\`).join('');
    const parts = ['AB', long, '-12.5\\3.25', long.slice(0, 777), 'Z'];
    let written = 0;
    for (const p of parts) written += stream.writeAsciiString(p);
    const expected = parts.join('');
    expect(written).toBe(expected.length);
    const bytes = new Uint8Array(stream.getBuffer());
    expect(bytes.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) if (bytes[i] !== expected.charCodeAt(i)) throw new Error(`byte ${i}: ${bytes[i]} vs ${expected.charCodeAt(i)}`);
  });

  it('keeps the low byte of each character for a string beyond ASCII (dcmjs\'s own path)', () => {
    const stream = new WriteBufferStream(16, true);
    const text = `${'x'.repeat(100)}é${'y'.repeat(10)}`;
    stream.writeAsciiString(text);
    const bytes = new Uint8Array(stream.getBuffer());
    expect(bytes.length).toBe(text.length);
    expect(bytes[100]).toBe(0xe9);
    expect(bytes[0]).toBe(0x78);
    expect(bytes[110]).toBe(0x79);
  });
});
