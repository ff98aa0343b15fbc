/**
 * Structure names -> TG-263 standard names (AAPM TG-263, 2018: "Standardizing nomenclatures in
 * radiation oncology"). A plan's structure is matched, in this order:
 * 1. an explicit mapping (a file of { "plan name": "TG263Name" }, or null to leave a structure out;
 *    read by name-mapping-file.ts);
 * 2. the TG-263 name itself, compared after normalisation (case, spaces, '_', '-' and '.' ignored);
 * 3. a synonym from the table below (common spellings, British and American, left/right variants);
 * 4. an organ minus a target ('Liver-GTV', 'Liver - PTV', 'Liver_minus_GTV', 'Lung_L-ITV'...: organ
 *    name, '-' or 'minus', then GTV/CTV/ITV/PTV), for the parallel organs whose TG-101 limits are for
 *    the normal organ (Liver, Lung_L, Lung_R). When a plan has both the organ and the organ minus a
 *    target, the organ minus the target is used (it ranks just after an explicit mapping), with a note;
 *    a whole liver with no liver-minus-target ROI is used with a note that it may include the target.
 *    A TG-101 liver critical volume counted on a liver that holds the tumour counts tumour as
 *    spared liver (physics reference §0, discrepancy 2; §2.2).
 * Every match records how it was made, so a report can show it. Unmatched structures are simply
 * not checked against organ limits.
 */


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
  readonly how: 'mapping' | 'standard name' | 'synonym' | 'organ minus target';
  /** What a report should say about the match (e.g. which liver volume the limit was counted on). */
  readonly note?: string;
}

/**
 * TG-263 organs whose limits are for the normal organ, so that an "organ minus target" ROI is the
 * right volume: TG-101's liver and lung critical volumes. Serial organs (cord, bowel...) are not
 * here: a maximum dose counted on an organ minus a target would hide the dose where they overlap.
 */
const NORMAL_TISSUE_ORGANS: ReadonlySet<string> = new Set(['Liver', 'Lung_L', 'Lung_R']);

/** Organs that often hold the target, with the note a whole-organ match gets. */
const HOST_ORGAN_NOTES: Readonly<Record<string, string>> = {
  Liver:
    'the liver ROI may include the target; TG-101 limits normal liver (liver minus GTV): contour one ' +
    '(e.g. "Liver-GTV") or check that this ROI excludes the tumour',
};

/** '<organ>-GTV', '<organ> - PTV', '<organ>_minus_CTV', '<organ> minus ITV_1'... -> organ and target parts. */
const MINUS_TARGET = /^(.+?)\s*(?:-|[\s_-]+minus[\s_-]+)\s*(z?(?:i?gtv|ctv|itv|i?ptv)(?![a-z]).*)$/i;

/** The organ and target parts of an organ-minus-target name, or undefined. */
export function splitOrganMinusTarget(structure: string): { readonly organ: string; readonly target: string } | undefined {
  const m = MINUS_TARGET.exec(structure.trim());
  return m === null ? undefined : { organ: m[1]!, target: m[2]! };
}

/** TG-263 name of one structure, or undefined. */
export function matchTg263(structure: string, mapping: NameMapping = {}): NameMatch | undefined {
  if (Object.hasOwn(mapping, structure)) {
    const t = mapping[structure];
    return t === null || t === undefined ? undefined : { structure, tg263: t, how: 'mapping' };
  }
  const key = normaliseName(structure);
  const std = LOOKUP.get(key);
  if (std === undefined) {
    const parts = splitOrganMinusTarget(structure);
    const organ = parts === undefined ? undefined : LOOKUP.get(normaliseName(parts.organ));
    if (parts === undefined || organ === undefined || !NORMAL_TISSUE_ORGANS.has(organ)) return undefined;
    return {
      structure,
      tg263: organ,
      how: 'organ minus target',
      note: `"${structure}" (${organ} minus ${parts.target}) is the normal organ the TG-101 limit is for`,
    };
  }
  return { structure, tg263: std, how: normaliseName(std) === key ? 'standard name' : 'synonym' };
}

/**
 * Match every structure; when several structures map to one TG-263 name, a mapped match wins, then
 * an organ minus a target, then the standard name, then a synonym (the others are listed in
 * `ambiguous`). A winning organ-minus-target match notes which whole-organ ROI it was preferred to;
 * a whole liver with no liver-minus-target ROI notes that it may include the target.
 */
export function matchStructures(
  structures: readonly string[],
  mapping: NameMapping = {},
): { readonly byOrgan: ReadonlyMap<string, NameMatch>; readonly ambiguous: readonly NameMatch[] } {
  const byOrgan = new Map<string, NameMatch>();
  const ambiguous: NameMatch[] = [];
  const RANK: Readonly<Record<NameMatch['how'], number>> = { mapping: 0, 'organ minus target': 1, 'standard name': 2, synonym: 3 };
  for (const s of structures) {
    const m = matchTg263(s, mapping);
    if (m === undefined) continue;
    const prev = byOrgan.get(m.tg263);
    if (prev === undefined) byOrgan.set(m.tg263, m);
    else if (RANK[m.how] < RANK[prev.how]) {
      ambiguous.push(prev);
      byOrgan.set(m.tg263, m);
    } else ambiguous.push(m);
  }
  for (const [organ, m] of byOrgan) {
    if (m.how === 'organ minus target') {
      const whole = ambiguous.filter((a) => a.tg263 === organ && a.how !== 'organ minus target').map((a) => `"${a.structure}"`);
      if (whole.length > 0) {
        byOrgan.set(organ, { ...m, note: `${m.note!}; used rather than ${whole.join(', ')}, which may include the target` });
      }
    } else if (m.how !== 'mapping' && Object.hasOwn(HOST_ORGAN_NOTES, organ)) {
      byOrgan.set(organ, { ...m, note: HOST_ORGAN_NOTES[organ]! });
    }
  }
  return { byOrgan, ambiguous };
}
