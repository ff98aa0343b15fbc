/**
 * Delivery (public API of src/deliver): the linac's collimation and motion limits (machine files, the
 * shipped Elekta Agility), deliverability of a plan's control points, and VMAT arcs made from an
 * optimised fluence (sequencing, leaf refinement, control-point MU).
 */
export * from './machine.js';
export * from './machine-file.js';
export * from './deliverability.js';
export * from './arcs.js';
export * from './sequence.js';
export * from './leaf-refine.js';
export * from './arc-optimise.js';
export * from './vmat.js';
