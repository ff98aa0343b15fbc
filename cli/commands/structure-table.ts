/** The structures-and-volumes table printed by `lattice phantom` and `lattice demo`. */

import type { MaskStructure } from '../../src/geometry/structure.js';
import { maskVolumeCc } from '../../src/geometry/volume.js';
import { formatTable } from '../table.js';

export function printStructureTable(structures: readonly MaskStructure[]): void {
  const rows = structures.map((s) => [s.name, s.interpretedType, maskVolumeCc(s.mask).toFixed(2)]);
  console.log(formatTable(['structure', 'type', 'volume (cc)'], rows, ['left', 'left', 'right']));
}
