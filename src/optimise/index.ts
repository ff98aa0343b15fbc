/** Fluence optimisation: objective terms, optimisation points, the problem, the L-BFGS-B solver, constraint sets as objectives. */
export * from './objectives/index.js';
export * from './points.js';
export * from './problem.js';
export * from './solver.js';
export * from './constraint-objectives.js';
