/**
 * Course files: a clinical course (model.ts) read from YAML or JSON and validated with zod. Every
 * error is a FormatError naming the file, the line and the field path:
 *   "course file: line 57: field 'treatments.4.fractions.delivered': expected an integer >= 0 (file x.yaml)".
 * Lines come from the `yaml` package's document API (a LineCounter maps a node's offset to its
 * line), so a JSON file (YAML is a superset) gets its lines too. Layout (docs/course.md):
 *
 *   title?, source?
 *   patient: { id, sex?, ageYears? }
 *   diagnosis: { date, disease, site?, notes?, source?, flags? }
 *   staging?: [{ date, system, value, source?, flags? }]
 *   treatments: [{ id, kind: systemic|local|radiotherapy|supportive|other, name, start, end?,
 *                  agents?: [{ name, dose? }], cycles?, fractions?: { planned, delivered, dates? },
 *                  prescriptions?: [{ target, totalGy, fractions }], planFolder?, follows?: [id], source?, flags? }]
 *   labs?: [{ id?, date, marker, value, unit, source?, flags? }]      value: 1042455.5 | "> 300000" | { value, censor }
 *   imaging?: [{ id, date, modality, lesions: [{ lesion, longestMm, perpendicularMm?, enhancingMm? }],
 *                newLesions?, assessment?, source?, flags? }]
 *   events?: [{ id?, date, kind: progression|death|last-follow-up|other, text, source?, flags? }]
 *   survival?: { origin?: first-rt-fraction|diagnosis|{ treatment }|{ date }, alternativeOrigins?, lastFollowUp? }
 *   response?: { baseline?: imaging id }
 *   kinetics?: [{ marker, from, to }]
 *   reported?: [{ kind: interval, from, to, months, text } | { kind: pfs|os, months, origin?: unstated|as-computed, text }
 *              | { kind: change, from, to, percent, tolerancePercent?, text }]
 *
 * Dates are 'YYYY-MM-DD' strings; where the source gives no day, { month: 'YYYY-MM', note? } (an
 * explicit month precision, never a guessed day). Checks beyond the types: ids unique; `follows`,
 * `response.baseline`, `survival.origin.treatment` and the ids of `reported` name existing entries.
 * Clinical consistency (dates out of order, fractions delivered > planned, units) is not an error
 * here: checks.ts reports it as named warnings, so that a source's printed inconsistencies are kept.
 */

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { z } from 'zod';
import { FormatError } from '../core/errors.js';
import { issueLocation } from '../io/yaml-file.js';
import { parseDay, parseMonth, type CourseDate } from './dates.js';
import type {
  Course, CourseEvent, ImagingStudy, KineticsRequest, LabValue, Located, MeasuredValue, OriginSpec, ReportedFigure, SourceFlag, StagingEntry, Treatment,
} from './model.js';

// ---------------------------------------------------------------------------------------------
// Schema

const text = (error = 'expected a non-empty text') => z.string({ error }).refine((s) => s.trim().length > 0, { error });
const finite = (error: string) => z.number({ error }).refine(Number.isFinite, { error });
const nonNegative = (error = 'expected a number >= 0') => finite(error).refine((v) => v >= 0, { error });
const count = (error = 'expected an integer >= 0') => z.number({ error }).int({ error }).min(0, { error });

const DATE_ERROR = "expected a date 'YYYY-MM-DD', or { month: 'YYYY-MM', note? } where the source gives no day";
const dayText = z.string({ error: DATE_ERROR }).refine((s) => parseDay(s) !== undefined, { error: DATE_ERROR });
const monthDate = z.strictObject(
  {
    month: z.string({ error: "expected a month 'YYYY-MM'" }).refine((s) => parseMonth(s) !== undefined, { error: "expected a month 'YYYY-MM'" }),
    note: text().optional(),
  },
  { error: DATE_ERROR },
);
const dateSpec = z.union([dayText, monthDate], { error: DATE_ERROR });
type DateSpec = z.infer<typeof dateSpec>;

const CENSORED = /^\s*([<>])\s*(\d[\d,]*(?:\.\d+)?)\s*$/u;
const VALUE_ERROR = "expected a number, a censored value such as '> 300000', or { value, censor: '>' | '<' }";
const labValue = z.union(
  [
    nonNegative(VALUE_ERROR),
    z.string({ error: VALUE_ERROR }).refine((s) => CENSORED.test(s), { error: VALUE_ERROR }),
    z.strictObject({ value: nonNegative(VALUE_ERROR), censor: z.enum(['>', '<'], { error: "expected censor '>' or '<'" }).optional() }),
  ],
  { error: VALUE_ERROR },
);

const flags = z.array(text(), { error: 'expected a list of texts' }).optional();
const source = text('expected a source: where in the case report or record the figure comes from').optional();
const id = z.string({ error: 'expected an id (letters, digits, - _ .)' }).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/u, { error: 'expected an id (letters, digits, - _ .)' });

const originSpec = z.union(
  [
    z.enum(['first-rt-fraction', 'diagnosis']),
    z.strictObject({ treatment: id }),
    z.strictObject({ date: dateSpec }),
  ],
  { error: "expected 'first-rt-fraction', 'diagnosis', { treatment: ID } or { date: DATE }" },
);

const TreatmentSchema = z.strictObject({
  id,
  kind: z.enum(['systemic', 'local', 'radiotherapy', 'supportive', 'other'], { error: 'expected systemic, local, radiotherapy, supportive or other' }),
  name: text(),
  start: dateSpec,
  end: dateSpec.optional(),
  agents: z.array(z.strictObject({ name: text(), dose: text().optional() }), { error: 'expected a list of { name, dose? }' }).optional(),
  cycles: count('expected a number of cycles (integer >= 0)').optional(),
  fractions: z
    .strictObject({
      planned: count('expected the planned number of fractions (integer >= 0)'),
      delivered: count('expected the delivered number of fractions (integer >= 0)'),
      dates: z.array(dateSpec, { error: 'expected a list of fraction dates' }).optional(),
    })
    .optional(),
  prescriptions: z
    .array(z.strictObject({ target: text(), totalGy: nonNegative('expected a total dose in Gy'), fractions: count() }), { error: 'expected a list of { target, totalGy, fractions }' })
    .optional(),
  planFolder: text().optional(),
  follows: z.array(id, { error: 'expected a list of treatment ids' }).optional(),
  source,
  flags,
});

const LabSchema = z.strictObject({
  id: id.optional(),
  date: dateSpec,
  marker: text(),
  value: labValue,
  unit: text('expected a unit (ng/mL, IU/mL, mAU/mL, ...)'),
  source,
  flags,
});

const LesionSchema = z.strictObject({
  lesion: text('expected a lesion name'),
  longestMm: nonNegative('expected the longest diameter in mm (>= 0)'),
  perpendicularMm: nonNegative('expected the perpendicular diameter in mm (>= 0)').optional(),
  enhancingMm: nonNegative('expected the enhancing (viable) diameter in mm (>= 0)').optional(),
});

const ImagingSchema = z.strictObject({
  id,
  date: dateSpec,
  modality: text(),
  lesions: z.array(LesionSchema, { error: 'expected a list of lesion measurements (may be empty)' }),
  newLesions: z.boolean({ error: 'expected true or false' }).optional(),
  assessment: text().optional(),
  source,
  flags,
});

const EventSchema = z.strictObject({
  id: id.optional(),
  date: dateSpec,
  kind: z.enum(['progression', 'death', 'last-follow-up', 'other'], { error: 'expected progression, death, last-follow-up or other' }),
  text: text(),
  source,
  flags,
});

const ReportedSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('interval'), from: id, to: id, months: nonNegative(), text: text(), source }),
    z.strictObject({ kind: z.enum(['pfs', 'os']), months: nonNegative(), origin: z.enum(['unstated', 'as-computed']).optional(), text: text(), source }),
    z.strictObject({ kind: z.literal('change'), from: id, to: id, percent: finite('expected a percentage'), tolerancePercent: nonNegative().optional(), text: text(), source }),
  ],
  { error: 'expected kind interval, pfs, os or change' },
);

const CourseSchema = z.strictObject({
  title: text().optional(),
  source,
  patient: z.strictObject({
    id: text('expected a pseudonymous patient id'),
    sex: text().optional(),
    ageYears: nonNegative().optional(),
  }),
  diagnosis: z.strictObject({ date: dateSpec, disease: text(), site: text().optional(), notes: z.array(text()).optional(), source, flags }),
  staging: z.array(z.strictObject({ date: dateSpec, system: text(), value: z.union([text(), finite('expected a stage')]), source, flags })).optional(),
  treatments: z.array(TreatmentSchema, { error: 'expected a list of treatments' }),
  labs: z.array(LabSchema, { error: 'expected a list of laboratory values' }).optional(),
  imaging: z.array(ImagingSchema, { error: 'expected a list of imaging studies' }).optional(),
  events: z.array(EventSchema, { error: 'expected a list of events' }).optional(),
  survival: z
    .strictObject({ origin: originSpec.optional(), alternativeOrigins: z.array(originSpec).optional(), lastFollowUp: dateSpec.optional() })
    .optional(),
  response: z.strictObject({ baseline: id.optional() }).optional(),
  kinetics: z.array(z.strictObject({ marker: text(), from: dateSpec, to: dateSpec }), { error: 'expected a list of { marker, from, to }' }).optional(),
  reported: z.array(ReportedSchema, { error: 'expected a list of reported figures' }).optional(),
});

// ---------------------------------------------------------------------------------------------
// Lines

/** Line (1-based) of the node at `path`, or of its nearest existing ancestor. */
export type LineOf = (path: readonly PropertyKey[]) => number | undefined;

function lineLocator(doc: Document, counter: LineCounter): LineOf {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range !== undefined && node.range !== null) return counter.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Known tumour markers: the names a file may use for them, and the normalised name. */
const MARKER_NAMES: Readonly<Record<string, string>> = {
  afp: 'AFP',
  'alpha-fetoprotein': 'AFP',
  'pivka-ii': 'PIVKA-II',
  pivka: 'PIVKA-II',
  dcp: 'PIVKA-II',
  'des-gamma-carboxy prothrombin': 'PIVKA-II',
};

export const normaliseMarker = (name: string): string => MARKER_NAMES[name.trim().toLowerCase()] ?? name.trim();

function toDate(spec: DateSpec): CourseDate {
  return typeof spec === 'string' ? parseDay(spec)! : parseMonth(spec.month, spec.note)!;
}

function toMeasured(v: z.infer<typeof labValue>): MeasuredValue {
  if (typeof v === 'number') return { value: v };
  if (typeof v === 'string') {
    const m = CENSORED.exec(v)!;
    return { value: Number(m[2]!.replace(/,/gu, '')), censor: m[1] as '>' | '<' };
  }
  return v.censor !== undefined ? { value: v.value, censor: v.censor } : { value: v.value };
}

const opt = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } => (v !== undefined ? ({ [key]: v } as { [P in K]: V }) : {});

function toOrigin(o: z.infer<typeof originSpec>): OriginSpec {
  if (o === 'first-rt-fraction' || o === 'diagnosis') return { rule: o };
  if ('treatment' in o) return { rule: 'treatment', treatment: o.treatment };
  return { rule: 'date', date: toDate(o.date) };
}

/** Validate a parsed course; `lineOf` gives lines for messages. FormatError naming the file, line and field. */
export function parseCourse(raw: unknown, file: string, lineOf: LineOf = () => undefined): Course {
  const fail = (path: readonly PropertyKey[], message: string): never => {
    const line = lineOf(path);
    throw new FormatError(`course file: ${line !== undefined ? `line ${line}: ` : ''}${issueLocation(path)}: ${message}`, { file });
  };
  const r = CourseSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      return fail([...issue.path, key], `unknown field '${key}'${issue.path.length === 0 ? ' at the top level' : ''} (docs/course.md lists the fields)`);
    }
    return fail(issue.path, issue.message);
  }
  const c = r.data;
  const at = (path: readonly PropertyKey[], label: string): Located => ({ path: path.map(String).join('.'), ...opt('line', lineOf(path)), label });
  const flagsOut: SourceFlag[] = [];
  const addFlags = (list: readonly string[] | undefined, where: Located): void => {
    for (const f of list ?? []) flagsOut.push({ text: f, at: where });
  };

  // ids: unique across the file (reported figures refer to any entry)
  const ids = new Map<string, string>();
  const claim = (value: string | undefined, path: readonly PropertyKey[]): void => {
    if (value === undefined) return;
    const first = ids.get(value);
    if (first !== undefined) fail([...path, 'id'], `id '${value}' is already used by ${first}`);
    ids.set(value, path.map(String).join('.'));
  };

  const diagnosisAt = at(['diagnosis'], 'diagnosis');
  addFlags(c.diagnosis.flags, diagnosisAt);

  const staging: StagingEntry[] = (c.staging ?? []).map((s, i) => {
    const where = at(['staging', i], `staging ${s.system} ${String(s.value)}`);
    addFlags(s.flags, where);
    return { date: toDate(s.date), system: s.system, value: String(s.value), ...opt('source', s.source), at: where };
  });

  const treatments: Treatment[] = c.treatments.map((t, i) => {
    claim(t.id, ['treatments', i]);
    const where = at(['treatments', i], `treatment '${t.id}'`);
    addFlags(t.flags, where);
    return {
      id: t.id,
      kind: t.kind,
      name: t.name,
      start: toDate(t.start),
      ...opt('end', t.end !== undefined ? toDate(t.end) : undefined),
      agents: (t.agents ?? []).map((a) => ({ name: a.name, ...opt('dose', a.dose) })),
      ...opt('cycles', t.cycles),
      ...opt('fractions', t.fractions !== undefined ? { planned: t.fractions.planned, delivered: t.fractions.delivered, dates: (t.fractions.dates ?? []).map(toDate) } : undefined),
      prescriptions: t.prescriptions ?? [],
      ...opt('planFolder', t.planFolder),
      follows: t.follows ?? [],
      ...opt('source', t.source),
      at: where,
    };
  });
  const treatmentIds = new Set(treatments.map((t) => t.id));
  c.treatments.forEach((t, i) =>
    (t.follows ?? []).forEach((f, k) => {
      if (f === t.id) fail(['treatments', i, 'follows', k], `treatment '${t.id}' cannot follow itself`);
      if (!treatmentIds.has(f)) fail(['treatments', i, 'follows', k], `expected the id of a treatment (${[...treatmentIds].join(', ')}), found '${f}'`);
    }),
  );

  const labs: LabValue[] = (c.labs ?? []).map((l, i) => {
    claim(l.id, ['labs', i]);
    const marker = normaliseMarker(l.marker);
    const date = toDate(l.date);
    const where = at(['labs', i], `lab ${l.id !== undefined ? `'${l.id}'` : `${marker} ${date.text}`}`);
    addFlags(l.flags, where);
    return { ...opt('id', l.id), date, marker, measured: toMeasured(l.value), unit: l.unit.trim(), ...opt('source', l.source), at: where };
  });

  const imaging: ImagingStudy[] = (c.imaging ?? []).map((s, i) => {
    claim(s.id, ['imaging', i]);
    const where = at(['imaging', i], `imaging '${s.id}'`);
    addFlags(s.flags, where);
    const seen = new Set<string>();
    const lesions = s.lesions.map((l, k) => {
      if (seen.has(l.lesion)) fail(['imaging', i, 'lesions', k, 'lesion'], `lesion '${l.lesion}' is measured twice in imaging '${s.id}'`);
      seen.add(l.lesion);
      return {
        lesion: l.lesion,
        longestMm: l.longestMm,
        ...opt('perpendicularMm', l.perpendicularMm),
        ...opt('enhancingMm', l.enhancingMm),
        at: at(['imaging', i, 'lesions', k], `lesion '${l.lesion}' of imaging '${s.id}'`),
      };
    });
    return {
      id: s.id,
      date: toDate(s.date),
      modality: s.modality,
      lesions,
      newLesions: s.newLesions ?? false,
      ...opt('assessment', s.assessment),
      ...opt('source', s.source),
      at: where,
    };
  });

  const events: CourseEvent[] = (c.events ?? []).map((e, i) => {
    claim(e.id, ['events', i]);
    const date = toDate(e.date);
    const where = at(['events', i], `event ${e.id !== undefined ? `'${e.id}'` : `${e.kind} ${date.text}`}`);
    addFlags(e.flags, where);
    return { ...opt('id', e.id), date, kind: e.kind, text: e.text, ...opt('source', e.source), at: where };
  });
  const deaths = events.filter((e) => e.kind === 'death');
  if (deaths.length > 1) fail(['events', Number(deaths[1]!.at.path.split('.')[1])], 'a second death event');

  const checkOrigin = (o: OriginSpec, path: readonly PropertyKey[]): OriginSpec => {
    if (o.rule === 'treatment' && !treatmentIds.has(o.treatment)) fail([...path, 'treatment'], `expected the id of a treatment, found '${o.treatment}'`);
    return o;
  };
  const s = c.survival ?? {};
  const survival = {
    origin: s.origin !== undefined ? checkOrigin(toOrigin(s.origin), ['survival', 'origin']) : ({ rule: 'first-rt-fraction' } as const),
    alternativeOrigins: (s.alternativeOrigins ?? []).map((o, i) => checkOrigin(toOrigin(o), ['survival', 'alternativeOrigins', i])),
    ...opt('lastFollowUp', s.lastFollowUp !== undefined ? toDate(s.lastFollowUp) : undefined),
    at: c.survival !== undefined ? at(['survival'], 'survival') : { path: 'survival', label: 'survival' },
  };

  const imagingIds = new Set(imaging.map((m) => m.id));
  const baseline = c.response?.baseline;
  if (baseline !== undefined && !imagingIds.has(baseline)) fail(['response', 'baseline'], `expected the id of an imaging study (${[...imagingIds].join(', ')}), found '${baseline}'`);

  const kinetics: KineticsRequest[] = (c.kinetics ?? []).map((k, i) => ({
    marker: normaliseMarker(k.marker),
    from: toDate(k.from),
    to: toDate(k.to),
    at: at(['kinetics', i], `kinetics ${normaliseMarker(k.marker)} ${toDate(k.from).text} to ${toDate(k.to).text}`),
  }));

  const reported: ReportedFigure[] = (c.reported ?? []).map((f, i): ReportedFigure => {
    const where = at(['reported', i], `reported ${f.kind} "${f.text}"`);
    if (f.kind === 'interval' || f.kind === 'change') {
      for (const key of ['from', 'to'] as const) {
        const ref = f[key];
        const ok = f.kind === 'change' ? imagingIds.has(ref) : ids.has(ref);
        if (!ok) fail(['reported', i, key], `expected the id of ${f.kind === 'change' ? 'an imaging study' : 'an entry'}, found '${ref}'`);
      }
    }
    if (f.kind === 'interval') return { kind: 'interval', from: f.from, to: f.to, months: f.months, text: f.text, ...opt('source', f.source), at: where };
    if (f.kind === 'change') {
      return { kind: 'change', from: f.from, to: f.to, percent: f.percent, tolerancePercent: f.tolerancePercent ?? 1, text: f.text, ...opt('source', f.source), at: where };
    }
    return { kind: f.kind, months: f.months, origin: f.origin ?? 'unstated', text: f.text, ...opt('source', f.source), at: where };
  });

  return {
    file,
    ...opt('title', c.title),
    ...opt('source', c.source),
    patient: { id: c.patient.id, ...opt('sex', c.patient.sex), ...opt('ageYears', c.patient.ageYears) },
    diagnosis: {
      date: toDate(c.diagnosis.date),
      disease: c.diagnosis.disease,
      ...opt('site', c.diagnosis.site),
      notes: c.diagnosis.notes ?? [],
      ...opt('source', c.diagnosis.source),
      at: diagnosisAt,
    },
    staging,
    treatments,
    labs,
    imaging,
    events,
    survival,
    ...opt('responseBaseline', baseline),
    kinetics,
    reported,
    flags: flagsOut,
  };
}

/** Parse course text (YAML or JSON) with line numbers; `file` names it in errors. */
export function parseCourseText(textIn: string, file: string): Course {
  const counter = new LineCounter();
  const doc = parseDocument(textIn, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = counter.linePos(e.pos[0]).line;
    throw new FormatError(`course file: line ${line}: not valid YAML or JSON: ${e.message.split('\n')[0]}`, { file });
  }
  return parseCourse(doc.toJS(), file, lineLocator(doc, counter));
}

/** Read and validate a course file (YAML or JSON). */
export function readCourseFile(file: string): Course {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new FormatError(`cannot read the course file: ${(cause as Error).message}`, { file }, { cause });
  }
  return parseCourseText(content, file);
}
