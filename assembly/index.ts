/**
 * The WebAssembly kernels, one module (npm run build:wasm compiles this entry into
 * src/core/kernels-wasm.ts; src/core/wasm-kernels.ts holds the instance and its memory):
 * - dvh-kernel.ts: the one-pass DVH kernel of src/evaluate/dvh.ts (structureDvhs);
 * - decimal.ts: DICOM decimal strings to numbers for src/io/dicom/read/decode.ts;
 * - scanline.ts: src/geometry/scanline.ts fillPlane into an occupancy in the kernels' memory;
 * - points.ts: passes over contour points (src/geometry/points-wasm.ts);
 * - convert.ts: stored pixel words to values (src/io/dicom/read/pixels.ts);
 * - between-planes.ts: src/geometry/between-planes.ts's fill between contour planes (between-planes-wasm.ts);
 * - dose-check.ts: a planned dose's check and maximum (src/evaluate/plan.ts checkDoseVolume);
 * - dvh-bins.ts: passes over a DVH's bins (src/evaluate/dvh-bins.ts).
 */
export * from './dvh-kernel';
export * from './decimal';
export * from './scanline';
export * from './points';
export * from './convert';
export * from './between-planes';
export * from './dose-check';
export * from './dvh-bins';
