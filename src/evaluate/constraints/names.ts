/**
 * Structure names -> TG-263 standard names (AAPM TG-263, 2018: "Standardizing nomenclatures in
 * radiation oncology"). A plan's structure is matched, in this order:
 * 1. an explicit mapping (a file of { "plan name": "TG263Name" }, or null to leave a structure out);
 * 2. the TG-263 name itself, compared after normalisation (case, spaces, '_', '-' and '.' ignored);
 * 3. a synonym from the table below (common spellings, British and American, left/right variants).
 * Every match records how it was made, so a report can show it. Unmatched structures are simply
 * not checked against organ limits.
 */

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FormatError } from '../../core/errors.js';

/** TG-263 names used by the constraint tables, with synonyms (any case and separators). */
export const TG263_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  SpinalCord: ['spinal cord', 'cord', 'spinal_cord', 'myelon', 'medulla spinalis'],
  SpinalCord_Sub: ['spinal cord subvolume', 'cord sub', 'spinalcord_subvolume'],
  Brainstem: ['brain stem', 'brainstem'],
  OpticChiasm: ['chiasm', 'optic chiasm', 'chiasma'],
  OpticNrv_L: ['optic nerve left', 'optic nerve l', 'l optic nerve', 'left optic nerve', 'opticnerve_l'],
  OpticNrv_R: ['optic nerve right', 'optic nerve r', 'r optic nerve', 'right optic nerve', 'opticnerve_r'],
  Cochlea_L: ['cochlea left', 'left cochlea', 'l cochlea'],
  Cochlea_R: ['cochlea right', 'right cochlea', 'r cochlea'],
  CaudaEquina: ['cauda equina', 'cauda'],
  SacralPlex: ['sacral plexus', 'sacralplexus'],
  BrachialPlex_L: ['brachial plexus left', 'left brachial plexus', 'brachialplexus_l', 'bp_l'],
  BrachialPlex_R: ['brachial plexus right', 'right brachial plexus', 'brachialplexus_r', 'bp_r'],
  Esophagus: ['oesophagus', 'esophagus', 'eso', 'oeso'],
  Heart: ['heart', 'pericardium', 'heart_pericardium'],
  GreatVessels: ['great vessels', 'greatves', 'great_vessels', 'greatvessel'],
  Trachea: ['trachea', 'trachea and large bronchus', 'proximal bronchial tree'],
  Bronchus: ['bronchus', 'bronchi', 'small airways'],
  Ribs: ['rib', 'ribs', 'chest wall ribs'],
  Skin: ['skin'],
  Stomach: ['stomach', 'gaster'],
  Duodenum: ['duodenum', 'duod'],
  Bowel_Small: ['small bowel', 'smallbowel', 'small intestine', 'jejunum', 'ileum', 'jejunum ileum', 'jejunum/ileum', 'sb', 'bowel small'],
  Colon: ['colon', 'large bowel', 'bowel_large', 'large intestine', 'largebowel'],
  Rectum: ['rectum'],
  Bladder: ['bladder', 'bladder wall', 'bladder_wall', 'urinary bladder'],
  PenileBulb: ['penile bulb', 'bulb of penis'],
  Femur_Head_L: ['femoral head left', 'left femoral head', 'femoralhead_l', 'femur_l', 'femur head left'],
  Femur_Head_R: ['femoral head right', 'right femoral head', 'femoralhead_r', 'femur_r', 'femur head right'],
  Kidney_Hilum: ['renal hilum', 'kidney hilum', 'renal vascular trunk'],
  Kidney_L: ['left kidney', 'kidney left', 'l kidney', 'kidney_lt', 'kidney l', 'lt kidney'],
  Kidney_R: ['right kidney', 'kidney right', 'r kidney', 'kidney_rt', 'kidney r', 'rt kidney'],
  Liver: ['liver', 'hepar'],
  Lung_L: ['left lung', 'lung left', 'l lung', 'lung_lt', 'lung l'],
  Lung_R: ['right lung', 'lung right', 'r lung', 'lung_rt', 'lung r'],
};

/** Case- and separator-insensitive key. */
export const normaliseName = (name: string): string => name.toLowerCase().replace(/[\s_\-./]+/g, '');

const LOOKUP: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const std of Object.keys(TG263_SYNONYMS)) m.set(normaliseName(std), std);
  for (const [std, syns] of Object.entries(TG263_SYNONYMS)) {
    for (const s of syns) if (!m.has(normaliseName(s))) m.set(normaliseName(s), std);
  }
  return m;
})();

/** Explicit plan-name -> TG-263 name mapping; null leaves a structure out of organ checks. */
export type NameMapping = Readonly<Record<string, string | null>>;

export interface NameMatch {
  readonly structure: string;
  readonly tg263: string;
  readonly how: 'mapping' | 'standard name' | 'synonym';
}

/** TG-263 name of one structure, or undefined. */
export function matchTg263(structure: string, mapping: NameMapping = {}): NameMatch | undefined {
  if (Object.hasOwn(mapping, structure)) {
    const t = mapping[structure];
    return t === null || t === undefined ? undefined : { structure, tg263: t, how: 'mapping' };
  }
  const key = normaliseName(structure);
  const std = LOOKUP.get(key);
  if (std === undefined) return undefined;
  return { structure, tg263: std, how: normaliseName(std) === key ? 'standard name' : 'synonym' };
}

/**
 * Match every structure; when several structures map to one TG-263 name, a standard-name or
 * mapped match wins over a synonym (the others are listed in `ambiguous`).
 */
export function matchStructures(
  structures: readonly string[],
  mapping: NameMapping = {},
): { readonly byOrgan: ReadonlyMap<string, NameMatch>; readonly ambiguous: readonly NameMatch[] } {
  const byOrgan = new Map<string, NameMatch>();
  const ambiguous: NameMatch[] = [];
  const rank = (m: NameMatch): number => (m.how === 'mapping' ? 0 : m.how === 'standard name' ? 1 : 2);
  for (const s of structures) {
    const m = matchTg263(s, mapping);
    if (m === undefined) continue;
    const prev = byOrgan.get(m.tg263);
    if (prev === undefined) byOrgan.set(m.tg263, m);
    else if (rank(m) < rank(prev)) {
      ambiguous.push(prev);
      byOrgan.set(m.tg263, m);
    } else ambiguous.push(m);
  }
  return { byOrgan, ambiguous };
}

const MappingSchema = z.record(z.string().min(1), z.union([z.string().min(1), z.null()]));

/** Read a mapping file (YAML or JSON object of plan name -> TG-263 name or null). */
export function readNameMapping(file: string): NameMapping {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new FormatError(`cannot read the name mapping: ${(cause as Error).message}`, { file }, { cause });
  }
  const r = MappingSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const at = issue.path.length > 0 ? `field '${issue.path.join('.')}'` : 'the top level';
    throw new FormatError(
      `name mapping: ${at}: ${issue.message} (expected an object of "plan name": "TG263Name" or null)`,
      { file },
    );
  }
  return r.data;
}
