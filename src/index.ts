/**
 * lattice-rt public API. Research use only, not a medical device.
 *
 * The library is laid out as the pipeline a physicist follows; each stage imports only earlier ones:
 * core -> geometry -> io -> phantom -> lattice -> dose -> optimise -> evaluate -> report.
 */

export * from './core/errors.js';
export * from './core/units.js';
export * from './core/vec3.js';

export * from './geometry/grid.js';
export * from './geometry/volume.js';
export * from './geometry/structure.js';
export * from './geometry/structure-set.js';
export * from './geometry/distance.js';
export * from './geometry/margins.js';
export * from './geometry/booleans.js';
export * from './geometry/resample.js';
export * from './geometry/rasterize.js';
export * from './geometry/contour.js';

export * from './io/atomic.js';
export * from './io/nrrd.js';
export * from './io/volume-set.js';
export type * from './io/dicom/model.js';
export * from './io/dicom/read/index.js';
export * from './io/dicom/write/index.js';
export * from './io/dicom/case.js';
export * from './io/dicom/info.js';
export * from './io/dicom/uid.js';

export * from './phantom/index.js';

export * from './lattice/index.js';
export * from './evaluate/index.js';
export * from './optimise/index.js';
export * from './deliver/index.js';
export * from './plan/index.js';
/** The clinical course (issue 14) as a namespace: its model has names of its own (Course, Prescription). */
export * as course from './course/index.js';
