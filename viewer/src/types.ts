/** The JSON the server sends: one definition for server and app (src/view/case-json.ts). */
export type { CaseJson, DvhCurveJson, DvhJson, GridJson, SphereJson, StructureJson } from '../../src/view/case-json.js';
