/** Marching squares, shared with the printable report's snapshots: one implementation, in src/geometry/isolines.ts. */
export { isolines } from '../../src/geometry/isolines.js';
