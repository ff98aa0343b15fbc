/** The analytic shapes and dose fields live in bench/analytic-shapes.ts (shared with the benches). */
export * from '../../bench/analytic-shapes.js';
