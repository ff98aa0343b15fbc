/**
 * The built-in seed-case phantom (public API of src/phantom): a deterministic abdominal CT with a
 * bulky right-lobe hepatocellular carcinoma and its organs at risk. See seed-case.ts.
 */

export {
  buildSeedPhantom,
  SEED_CASE_REFERENCE,
  PTV_MARGIN_MM,
  type SeedCaseReference,
  type SeedPhantom,
  type SeedPhantomDescription,
  type SeedPhantomOptions,
} from './seed-case.js';
export { TISSUE_HU } from './hu.js';
export { PHANTOM_FORMATS, writePhantom, type PhantomFormat, type WrittenPhantom } from './export.js';
