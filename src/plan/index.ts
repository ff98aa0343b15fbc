/** The planning workflow (`lattice plan`): templates, planning structures, beams, objectives, optimisation, the whole case. */
export * from './template.js';
export * from './structures.js';
export * from './beams.js';
export * from './objectives.js';
export * from './optimise-plan.js';
export * from './delivery.js';
export * from './run-case.js';
export * from './seed-case-reference.js';
