/**
 * The summary behind `lattice info`: describeDicom (headers, grids, ROIs, dose maximum, plan) plus
 * each ROI's volume in cc, computed from its contours in the slab convention of the rasteriser.
 */

import { contourVolumeCc } from '../../geometry/structure-set.js';
import { describeDicom, type DicomSummary } from './read/describe.js';
import { readStructureSet } from './read/rtstruct.js';

export function describeDicomWithVolumes(path: string): DicomSummary {
  const summary = describeDicom(path);
  for (const patient of summary.patients) {
    for (const study of patient.studies) {
      for (const series of study.series) {
        for (const ss of series.structureSets ?? []) {
          const structures = readStructureSet(ss.file).structures;
          for (const roi of ss.rois) {
            const s = structures.find((x) => x.roiNumber === roi.number && x.name === roi.name);
            const v = s !== undefined ? contourVolumeCc(s) : undefined;
            if (v !== undefined) roi.volumeCc = Number(v.toFixed(3));
          }
        }
      }
    }
  }
  return summary;
}
