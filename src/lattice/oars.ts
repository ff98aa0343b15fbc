/**
 * Which structures count as organs at risk for the clearance rule, and how they meet the target.
 *
 * 'auto' selects every ROI whose RT ROI Interpreted Type (DICOM PS3.3 C.8.8.8) is ORGAN or
 * AVOIDANCE, or that has no type and a name that marks neither a target (GTV, CTV, ITV, PTV...), the
 * body (BODY, External, Skin...) nor a lattice output; never the target itself.
 *
 * Organs and the target: an organ that contains most of the target (at least hostFraction of the
 * target's voxels, default one half: the liver around a liver tumour) is reported and left out of
 * the clearance rule under 'auto', since keeping vertices 15 mm from the organ that holds the tumour
 * would remove every vertex. An organ that overlaps the target only in part (a bowel loop the tumour
 * abuts or invades) is reported and KEPT: its clearance still applies, so no vertex lands next to it.
 * An organ minus a target ('Liver-GTV', 'Lung_L-PTV', 'Liver_minus_GTV': an organ name, '-' or
 * 'minus', then GTV/CTV/ITV/PTV) surrounds the target by construction, so under 'auto' it is reported
 * and left out too: the rule for its host organ (the organ itself) applies instead.
 * Named organs are used as given, with any overlap reported.
 */

import { InputError } from '../core/errors.js';
import { mm3ToCc } from '../core/units.js';
import { assertSameGrid, voxelVolumeMm3 } from '../geometry/grid.js';
import { findStructure } from '../geometry/structure-set.js';
import type { MaskStructure, RoiInterpretedType } from '../geometry/structure.js';

const ORGAN_TYPES: ReadonlySet<RoiInterpretedType> = new Set(['ORGAN', 'AVOIDANCE']);
const TARGET_NAME = /^(z?[_-]?)?(gtv|ctv|itv|ptv|igtv|iptv)|target/i;
const BODY_NAME = /^(body|external|skin|outer[_ ]?contour|patient|couch.*|table.*)$/i;
/** '<organ>-GTV', '<organ> - PTV', '<organ>_minus_CTV', '<organ> minus ITV_1'... */
const ORGAN_MINUS_TARGET = /^(.+?)\s*(?:-|[\s_-]+minus[\s_-]+)\s*(z?(?:i?gtv|ctv|itv|i?ptv)(?![a-z]).*)$/i;

/** The organ and target parts of a name that marks an organ minus a target, or undefined. */
export function organMinusTarget(name: string): { readonly organ: string; readonly target: string } | undefined {
  const m = ORGAN_MINUS_TARGET.exec(name.trim());
  return m === null ? undefined : { organ: m[1]!, target: m[2]! };
}

export interface OverlapReport {
  readonly name: string;
  /** Volume shared with the target, cc. */
  readonly overlapCc: number;
  /** Fraction of the target's voxels inside the organ. */
  readonly fractionOfTarget: number;
  /** Whether the organ is used for the clearance rule. */
  readonly usedForClearance: boolean;
}

export interface OarSelection {
  /** Organs used for the clearance rule. */
  readonly oars: readonly MaskStructure[];
  /** Organs left out, with the reason (a sentence). */
  readonly excluded: readonly { readonly name: string; readonly reason: string }[];
  /** Every selected or excluded organ that shares voxels with the target. */
  readonly overlapping: readonly OverlapReport[];
}

export interface OarSelectionOptions {
  /** Under 'auto', an organ holding at least this fraction of the target is left out (default 0.5). */
  readonly hostFraction?: number;
}

/** Whether a structure is an organ by its interpreted type or, without one, by its name. */
export function isOrganLike(s: Pick<MaskStructure, 'name' | 'interpretedType'>): boolean {
  if (s.interpretedType !== '') return ORGAN_TYPES.has(s.interpretedType) && !TARGET_NAME.test(s.name);
  return !TARGET_NAME.test(s.name) && !BODY_NAME.test(s.name) && !/^ptv_\d+|valley|vertex|lattice/i.test(s.name);
}

function overlapOf(target: MaskStructure, organ: MaskStructure): { voxels: number; targetVoxels: number } {
  assertSameGrid(target.mask.grid, organ.mask.grid, `organ "${organ.name}" vs target "${target.name}"`);
  const t = target.mask.data;
  const o = organ.mask.data;
  let voxels = 0;
  let targetVoxels = 0;
  for (let g = 0; g < t.length; g++) {
    if (t[g] === 0) continue;
    targetVoxels++;
    if (o[g] !== 0) voxels++;
  }
  return { voxels, targetVoxels };
}

/** Organs at risk for `target` among `structures`: 'auto' or a list of names. */
export function selectOars(
  structures: readonly MaskStructure[],
  target: MaskStructure,
  spec: 'auto' | readonly string[],
  options: OarSelectionOptions = {},
): OarSelection {
  const hostFraction = options.hostFraction ?? 0.5;
  if (!(hostFraction > 0 && hostFraction <= 1)) throw new InputError(`host fraction must be in (0, 1], found ${hostFraction}`);
  const auto = spec === 'auto';
  const candidates = auto
    ? structures.filter((s) => s !== target && s.name !== target.name && isOrganLike(s))
    : spec.map((name) => {
        const s = findStructure(structures, name, 'organ at risk');
        if (s.name === target.name) throw new InputError(`organ at risk "${name}" is the target itself`);
        return s;
      });
  const vv = voxelVolumeMm3(target.mask.grid);
  const oars: MaskStructure[] = [];
  const excluded: { name: string; reason: string }[] = [];
  const overlapping: OverlapReport[] = [];
  for (const s of candidates) {
    const { voxels, targetVoxels } = overlapOf(target, s);
    const fraction = targetVoxels === 0 ? 0 : voxels / targetVoxels;
    const minus = auto ? organMinusTarget(s.name) : undefined;
    const host = auto && minus === undefined && fraction >= hostFraction;
    if (minus !== undefined) {
      const hostOrgan = structures.find((h) => h.name.toLowerCase() === minus.organ.toLowerCase());
      excluded.push({
        name: s.name,
        reason:
          `organ minus target ("${minus.organ}" minus "${minus.target}"): it surrounds the target by construction, ` +
          (hostOrgan !== undefined
            ? `so its host organ rule applies (see "${hostOrgan.name}")`
            : 'so its host organ rule applies (name it in the organ list to use it for clearance)'),
      });
    } else if (host) {
      excluded.push({
        name: s.name,
        reason: `contains ${(100 * fraction).toFixed(1)} % of target "${target.name}" (an organ hosting the target is not used for clearance)`,
      });
    } else oars.push(s);
    if (voxels > 0) {
      overlapping.push({ name: s.name, overlapCc: mm3ToCc(voxels * vv), fractionOfTarget: fraction, usedForClearance: minus === undefined && !host });
    }
  }
  return { oars, excluded, overlapping };
}
