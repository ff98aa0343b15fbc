/**
 * Plan templates: prescriptions, lattice parameters, organ constraints, extra objectives, beams and
 * the normal-tissue fall-off of one kind of plan, in a YAML or JSON file validated with zod.
 *
 * Units: lengths mm, doses Gy TOTAL over the schedule (`fractions`), angles degrees (IEC 61217).
 * Shape (`PlanTemplate`, the output of `PlanTemplateSchema`):
 *   name, description?, fractions (integer >= 1)
 *   prescriptions: [{ structure, doseGy, role: target | peaks, build?: { from, marginMm },
 *                     coverage?: { volumePct } }]      the first is the primary (low-dose) target;
 *                     'peaks' is the lattice sphere union; coverage defaults to 95 % for a target
 *   lattice?: { target, pattern?, diameterMm?, spacingMm?, planeSpacingMm?, insetMm?, oarClearanceMm?,
 *               partialMin?, allowPartial? (as lattice/params.ts PlacementParams), valleyMarginMm,
 *               valleyName? ('Valley'), valleyMedianMaxGy? }
 *   constraints?: { set: tg101-1fx | tg101-3fx | tg101-5fx | file (relative to the template), marginPct, weight? }
 *   objectives: ObjectiveSpec[] (optimise/objectives/types.ts; may be empty, default [])
 *   beams: { arrangement: equispaced, count, startDeg?, couchDeg?, collimatorDeg?, beamletMm? (5), isocentre? }
 *        | { arrangement: list, list: [{ gantryDeg, couchDeg?, collimatorDeg?, name? }], beamletMm?, isocentre? }
 *   optimisation?: { maxIterations?, pointSpacingMm?, nearSpacingMm?, farSpacingMm?, nearMarginMm? }
 *   delivery?: fluence | vmat | imrt   what `lattice plan` makes of the optimised fluence when --delivery
 *              is not given (default fluence; docs/delivery.md)
 *   normalTissue?: { structure? (the body ROI), highPct, lowPct, startMm, fallOffMm, weight? }  % of the
 *                  primary prescription
 *
 * Errors are FormatErrors naming the file, the line (YAML and JSON alike, through yaml's LineCounter)
 * and the field, e.g. "plan template: line 12, field 'prescriptions.0.doseGy': expected a positive
 * number, found -20". Beyond the schema the parser checks: the first prescription is a target;
 * exactly one 'peaks' prescription with a lattice and none without; the peak dose above every target
 * dose; no structure prescribed twice; the lattice parameters (resolvePlacementParams); and that no
 * two objectives on one structure contradict each other (`checkObjectivesConsistent`, which the
 * pipeline runs again once constraint-derived objectives are added).
 *
 * Built-in templates ('seed-case', 'imrt') are YAML files in the package's templates/ folder, found by
 * walking up from this module (src/plan/ under vitest, dist/src/plan/ when built).
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { FormatError, InputError, LatticeError, PlanError, fmt } from '../core/errors.js';
import { resolveConstraintSet } from '../evaluate/constraints/custom.js';
import type { ConstraintSet } from '../evaluate/constraints/types.js';
import { issueLocation } from '../io/yaml-file.js';
import { resolvePlacementParams, type PlacementParams } from '../lattice/params.js';
import { PATTERN_NAMES } from '../lattice/patterns/registry.js';
import type { ObjectiveSpec } from '../optimise/objectives/types.js';

// ---------------------------------------------------------------------------------------------
// Schema

const positive = (error = 'expected a positive number') => z.number({ error }).positive({ error });
const nonNegative = (error = 'expected a number >= 0') => z.number({ error }).min(0, { error });
const integerMin1 = (error = 'expected an integer >= 1') => z.number({ error }).int({ error }).min(1, { error });
const percent = (error = 'expected a percentage in (0, 100]') => z.number({ error }).gt(0, { error }).max(100, { error });
const angle = (error = 'expected an angle in degrees in [0, 360)') => z.number({ error }).min(0, { error }).lt(360, { error });
const name = (error = 'expected a non-empty name') => z.string({ error }).refine((s) => s.trim().length > 0, { error });
const text = () => z.string({ error: 'expected text' });

const specBase = { structure: name(), weight: nonNegative('expected a weight >= 0').optional(), note: text().optional() };

const exactlyOneVolume = (o: { volumePct?: number | undefined; volumeCc?: number | undefined }): boolean =>
  (o.volumePct === undefined) !== (o.volumeCc === undefined);

/** One ObjectiveSpec, strict per kind (optimise/objectives/types.ts). */
export const ObjectiveSpecSchema: z.ZodType<ObjectiveSpec, unknown> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal(['underdose', 'overdose', 'mean-upper', 'mean-lower', 'max-dose']), ...specBase, doseGy: positive() }),
  z
    .strictObject({
      kind: z.literal(['min-dvh', 'max-dvh']),
      ...specBase,
      doseGy: positive(),
      volumePct: percent().optional(),
      volumeCc: positive('expected a positive volume in cc').optional(),
    })
    .refine(exactlyOneVolume, { error: "expected exactly one of 'volumePct' and 'volumeCc'" }),
  z.strictObject({
    kind: z.literal(['geud-upper', 'geud-lower']),
    ...specBase,
    doseGy: positive(),
    a: z.number({ error: 'expected a non-zero number' }).refine((a) => a !== 0, { error: 'expected a non-zero number' }),
  }),
  z
    .strictObject({
      kind: z.literal('fall-off'),
      ...specBase,
      highGy: positive(),
      lowGy: nonNegative(),
      startMm: nonNegative(),
      fallOffMm: positive(),
    })
    .refine((o) => o.lowGy <= o.highGy, { error: 'lowGy must not exceed highGy', path: ['lowGy'] }),
]);

const PrescriptionSchema = z.strictObject({
  structure: name(),
  doseGy: positive(),
  role: z.enum(['target', 'peaks'], { error: "expected 'target' or 'peaks'" }),
  build: z.strictObject({ from: name(), marginMm: nonNegative() }).optional(),
  coverage: z.strictObject({ volumePct: percent() }).optional(),
});

const LatticeSchema = z.strictObject({
  target: name(),
  pattern: z
    .string({ error: `expected a lattice pattern (${PATTERN_NAMES.join(', ')})` })
    .refine((p) => PATTERN_NAMES.includes(p.toLowerCase()), { error: `expected a lattice pattern (${PATTERN_NAMES.join(', ')})` })
    .optional(),
  diameterMm: positive().optional(),
  spacingMm: positive().optional(),
  planeSpacingMm: positive().optional(),
  insetMm: nonNegative().optional(),
  oarClearanceMm: nonNegative().optional(),
  partialMin: z
    .number({ error: 'expected a fraction in (0, 1]' })
    .gt(0, { error: 'expected a fraction in (0, 1]' })
    .max(1, { error: 'expected a fraction in (0, 1]' })
    .optional(),
  allowPartial: z.boolean({ error: 'expected true or false' }).optional(),
  valleyMarginMm: nonNegative(),
  valleyName: name().optional(),
  valleyMedianMaxGy: positive().optional(),
});

const ConstraintsSchema = z.strictObject({
  set: name('expected tg101-1fx, tg101-3fx, tg101-5fx or a constraint set file'),
  marginPct: z
    .number({ error: 'expected a percentage in [0, 100)' })
    .min(0, { error: 'expected a percentage in [0, 100)' })
    .lt(100, { error: 'expected a percentage in [0, 100)' }),
  weight: nonNegative('expected a weight >= 0').optional(),
});

const beamCommon = {
  beamletMm: positive().optional(),
  isocentre: z.literal('target-centre', { error: "expected 'target-centre'" }).optional(),
};

const BeamsSchema = z.discriminatedUnion('arrangement', [
  z.strictObject({
    arrangement: z.literal('equispaced'),
    count: integerMin1(),
    startDeg: angle().optional(),
    couchDeg: angle().optional(),
    collimatorDeg: angle().optional(),
    ...beamCommon,
  }),
  z.strictObject({
    arrangement: z.literal('list'),
    list: z
      .array(
        z.strictObject({ gantryDeg: angle(), couchDeg: angle().optional(), collimatorDeg: angle().optional(), name: name().optional() }),
        { error: 'expected a list of beams' },
      )
      .min(1, { error: 'expected at least one beam' }),
    ...beamCommon,
  }),
], { error: 'expected beams: { arrangement: equispaced, count, ... } or { arrangement: list, list: [...] }' });

const OptimisationSchema = z.strictObject({
  maxIterations: integerMin1().optional(),
  pointSpacingMm: positive().optional(),
  nearSpacingMm: positive().optional(),
  farSpacingMm: positive().optional(),
  nearMarginMm: nonNegative().optional(),
});

const NormalTissueSchema = z.strictObject({
  structure: name().optional(),
  highPct: positive(),
  lowPct: nonNegative(),
  startMm: nonNegative(),
  fallOffMm: positive(),
  weight: nonNegative('expected a weight >= 0').optional(),
});

export const PlanTemplateSchema = z.strictObject(
  {
    name: name(),
    description: text().optional(),
    fractions: integerMin1(),
    prescriptions: z.array(PrescriptionSchema, { error: 'expected a list of prescriptions' }).min(1, { error: 'expected at least one prescription' }),
    lattice: LatticeSchema.optional(),
    constraints: ConstraintsSchema.optional(),
    objectives: z.array(ObjectiveSpecSchema, { error: 'expected a list of objectives (may be empty: [])' }).default([]),
    beams: BeamsSchema,
    optimisation: OptimisationSchema.optional(),
    delivery: z.enum(['fluence', 'vmat', 'imrt'], { error: "expected 'fluence', 'vmat' or 'imrt'" }).optional(),
    normalTissue: NormalTissueSchema.optional(),
  },
  { error: 'expected a plan template (an object with name, fractions, prescriptions, beams...)' },
);

export type PlanTemplate = z.output<typeof PlanTemplateSchema>;
export type Prescription = PlanTemplate['prescriptions'][number];
export type BeamsSpec = PlanTemplate['beams'];

/** Defaults the consumer applies where a template leaves a field out. */
export const TEMPLATE_DEFAULTS = Object.freeze({
  /** Coverage goal of a 'target' prescription: D95% >= doseGy. */
  targetCoverageVolumePct: 95,
  beamletMm: 5,
  valleyName: 'Valley',
  isocentre: 'target-centre' as const,
  startDeg: 0,
  couchDeg: 0,
  collimatorDeg: 0,
});

/** Coverage volume (%) of a prescription: its own, 95 % for a target, none for the peaks. */
export const coverageVolumePct = (p: Prescription): number | undefined =>
  p.coverage?.volumePct ?? (p.role === 'target' ? TEMPLATE_DEFAULTS.targetCoverageVolumePct : undefined);

export interface BeamDirection {
  readonly gantryDeg: number;
  readonly couchDeg: number;
  readonly collimatorDeg: number;
  readonly name?: string;
}

/** The beams of a template as a list (equispaced: start + i 360 / count, modulo 360). */
export function expandBeams(beams: BeamsSpec): BeamDirection[] {
  if (beams.arrangement === 'list') {
    return beams.list.map((b) => ({
      gantryDeg: b.gantryDeg,
      couchDeg: b.couchDeg ?? TEMPLATE_DEFAULTS.couchDeg,
      collimatorDeg: b.collimatorDeg ?? TEMPLATE_DEFAULTS.collimatorDeg,
      ...(b.name !== undefined ? { name: b.name } : {}),
    }));
  }
  const start = beams.startDeg ?? TEMPLATE_DEFAULTS.startDeg;
  const out: BeamDirection[] = [];
  for (let i = 0; i < beams.count; i++) {
    const g = Number(((start + (i * 360) / beams.count) % 360).toFixed(9));
    out.push({ gantryDeg: g, couchDeg: beams.couchDeg ?? TEMPLATE_DEFAULTS.couchDeg, collimatorDeg: beams.collimatorDeg ?? TEMPLATE_DEFAULTS.collimatorDeg });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Objective consistency

type Volume = { readonly pct?: number; readonly cc?: number };

/** What an objective asks of the dose in its structure, as a bound. */
type Bound =
  | { readonly side: 'lower' | 'upper'; readonly on: 'every point' | 'mean'; readonly gy: number }
  | { readonly side: 'lower' | 'upper'; readonly on: 'volume'; readonly gy: number; readonly volume: Volume }
  | { readonly side: 'lower' | 'upper'; readonly on: 'gEUD'; readonly gy: number; readonly a: number };

function boundOf(s: ObjectiveSpec): Bound | undefined {
  switch (s.kind) {
    case 'underdose':
      return { side: 'lower', on: 'every point', gy: s.doseGy };
    case 'overdose':
    case 'max-dose':
      return { side: 'upper', on: 'every point', gy: s.doseGy };
    case 'mean-lower':
      return { side: 'lower', on: 'mean', gy: s.doseGy };
    case 'mean-upper':
      return { side: 'upper', on: 'mean', gy: s.doseGy };
    case 'min-dvh':
      // D100% >= L is a bound on every point.
      if (s.volumePct === 100) return { side: 'lower', on: 'every point', gy: s.doseGy };
      return { side: 'lower', on: 'volume', gy: s.doseGy, volume: volumeOf(s) };
    case 'max-dvh':
      return { side: 'upper', on: 'volume', gy: s.doseGy, volume: volumeOf(s) };
    case 'geud-lower':
      return { side: 'lower', on: 'gEUD', gy: s.doseGy, a: s.a };
    case 'geud-upper':
      return { side: 'upper', on: 'gEUD', gy: s.doseGy, a: s.a };
    case 'fall-off':
      return undefined;
  }
}

function volumeOf(s: { readonly volumePct?: number; readonly volumeCc?: number }): Volume {
  return s.volumePct !== undefined ? { pct: s.volumePct } : s.volumeCc !== undefined ? { cc: s.volumeCc } : {};
}

/**
 * Why a lower bound `lo` and an upper bound `up` on one structure cannot both hold, or undefined when
 * they can. Uses only what holds for every dose distribution (doses >= 0): min <= power means <= max,
 * power means (gEUD) grow with a, mean >= (fraction of volume at >= L) x L, and gEUD_a (a > 0) >= f^(1/a) L
 * for a fraction f at >= L. A cc volume without the organ's volume proves nothing against a %.
 */
function conflict(lo: Bound, up: Bound): string | undefined {
  const L = lo.gy;
  const U = up.gy;
  if (!(L > U)) return undefined;
  const gap = `${fmt(L)} Gy > ${fmt(U)} Gy`;
  switch (lo.on) {
    case 'every point':
      if (up.on === 'volume') {
        const allAbove = (up.volume.pct !== undefined && up.volume.pct < 100) || up.volume.cc === 0;
        return allAbove ? `every point would be above ${fmt(U)} Gy, more than the volume allowed there (${gap})` : undefined;
      }
      return `every point at ${fmt(L)} Gy or more puts the ${up.on === 'every point' ? 'maximum' : up.on} above ${fmt(U)} Gy (${gap})`;
    case 'volume': {
      const f = lo.volume.pct !== undefined ? lo.volume.pct / 100 : undefined;
      if (up.on === 'every point') return `some volume at ${fmt(L)} Gy or more puts the maximum above ${fmt(U)} Gy (${gap})`;
      if (up.on === 'volume') {
        const a = lo.volume;
        const b = up.volume;
        const more =
          (a.pct !== undefined && b.pct !== undefined && a.pct > b.pct) || (a.cc !== undefined && b.cc !== undefined && a.cc > b.cc);
        return more ? `at least ${volText(a)} would be above ${fmt(U)} Gy, where at most ${volText(b)} may be (${gap})` : undefined;
      }
      if (f === undefined) return undefined;
      if (up.on === 'mean') {
        return f * L > U ? `${fmt(100 * f)} % of the volume at ${fmt(L)} Gy or more puts the mean at ${fmt(f * L)} Gy or more, above ${fmt(U)} Gy` : undefined;
      }
      if (up.on === 'gEUD' && up.a > 0 && f ** (1 / up.a) * L > U) {
        const g = f ** (1 / up.a) * L;
        return `${fmt(100 * f)} % of the volume at ${fmt(L)} Gy or more puts gEUD(a=${fmt(up.a)}) at ${fmt(g)} Gy or more, above ${fmt(U)} Gy`;
      }
      return undefined;
    }
    case 'mean':
      if (up.on === 'every point' || up.on === 'mean') {
        return `a mean of ${fmt(L)} Gy or more puts the ${up.on === 'mean' ? 'mean' : 'maximum'} above ${fmt(U)} Gy (${gap})`;
      }
      if (up.on === 'gEUD' && up.a >= 1) return `gEUD(a=${fmt(up.a)}) is at least the mean, so a mean of ${fmt(L)} Gy puts it above ${fmt(U)} Gy`;
      return undefined;
    case 'gEUD':
      if (up.on === 'every point') return `gEUD is at most the maximum, so gEUD(a=${fmt(lo.a)}) >= ${fmt(L)} Gy puts the maximum above ${fmt(U)} Gy`;
      if (up.on === 'mean' && lo.a <= 1) return `gEUD(a=${fmt(lo.a)}) is at most the mean, so it puts the mean above ${fmt(U)} Gy`;
      if (up.on === 'gEUD' && lo.a <= up.a) return `gEUD grows with a, so gEUD(a=${fmt(lo.a)}) >= ${fmt(L)} Gy puts gEUD(a=${fmt(up.a)}) above ${fmt(U)} Gy`;
      return undefined;
  }
}

const volText = (v: Volume): string => (v.pct !== undefined ? `${fmt(v.pct)} %` : v.cc !== undefined ? `${fmt(v.cc)} cc` : '?');

/** One line for an objective in messages, e.g. "max-dvh Stomach 17.1 Gy above 10 cc [tg101-5fx/Stomach/D10cc ...]". */
export function describeObjective(s: ObjectiveSpec): string {
  let body: string;
  switch (s.kind) {
    case 'fall-off':
      body = `${fmt(s.highGy)} -> ${fmt(s.lowGy)} Gy from ${fmt(s.startMm)} mm over ${fmt(s.fallOffMm)} mm`;
      break;
    case 'min-dvh':
      body = `${fmt(s.doseGy)} Gy to at least ${volText(volumeOf(s))}`;
      break;
    case 'max-dvh':
      body = `${fmt(s.doseGy)} Gy in at most ${volText(volumeOf(s))}`;
      break;
    case 'geud-upper':
    case 'geud-lower':
      body = `${fmt(s.doseGy)} Gy (a = ${fmt(s.a)})`;
      break;
    default:
      body = `${fmt(s.doseGy)} Gy`;
  }
  return `${s.kind} ${s.structure} ${body}${s.note !== undefined ? ` [${s.note}]` : ''}`;
}

/** The first pair (i, j) of objectives that cannot both hold, with the reason; i is the earlier one. */
export function findObjectiveConflict(specs: readonly ObjectiveSpec[]): { i: number; j: number; reason: string } | undefined {
  const bounds = specs.map(boundOf);
  for (let j = 0; j < specs.length; j++) {
    const bj = bounds[j];
    if (bj === undefined) continue;
    for (let i = 0; i < j; i++) {
      const bi = bounds[i];
      if (bi === undefined || bi.side === bj.side || specs[i]!.structure !== specs[j]!.structure) continue;
      const reason = bi.side === 'lower' ? conflict(bi, bj) : conflict(bj, bi);
      if (reason !== undefined) return { i, j, reason };
    }
  }
  return undefined;
}

/**
 * Throws PlanError naming both objectives when two on one structure cannot both hold (a lower bound
 * above an upper bound where no dose distribution meets both, e.g. underdose 30 Gy with max-dose 25 Gy).
 */
export function checkObjectivesConsistent(specs: ObjectiveSpec[]): void {
  const c = findObjectiveConflict(specs);
  if (c === undefined) return;
  const a = specs[c.i]!;
  const b = specs[c.j]!;
  throw new PlanError(
    `contradictory objectives on structure "${a.structure}": objective ${c.i} (${describeObjective(a)}) and objective ${c.j} ` +
      `(${describeObjective(b)}) cannot both hold: ${c.reason}`,
    { structure: a.structure },
  );
}

// ---------------------------------------------------------------------------------------------
// Parsing with line numbers

type Path = readonly PropertyKey[];
/** Line (1-based) of the node at a path, or of its deepest existing ancestor; undefined without a source. */
type Locate = (path: Path) => number | undefined;

const noLines: Locate = () => undefined;

function locator(doc: Document.Parsed, lines: LineCounter): Locate {
  return (path) => {
    let node: unknown = doc.contents;
    let offset: number | undefined;
    for (const key of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key));
        if (pair === undefined) break;
        if (isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
        node = pair.value;
      } else if (isSeq(node)) {
        const item: unknown = node.items[Number(key)];
        if (item === undefined) break;
        if (isNode(item) && item.range) offset = item.range[0];
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
}

function parseSource(source: string, file: string): { doc: Document.Parsed; locate: Locate } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines });
  const err = doc.errors[0];
  if (err !== undefined) {
    const pos = err.linePos?.[0];
    const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new FormatError(
      `plan template: ${pos !== undefined ? `line ${pos.line}, column ${pos.col}: ` : ''}not valid YAML or JSON: ${first}`,
      { file },
      { cause: err },
    );
  }
  return { doc, locate: locator(doc, lines) };
}

function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k as string];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`;
  if (typeof v === 'number') return fmt(v);
  return String(v);
}

class Where {
  constructor(
    private readonly file: string,
    private readonly locate: Locate,
  ) {}
  /** "line 12, field 'a.0.b'" (or without the line). */
  at(path: Path): string {
    const line = this.locate(path);
    return `${line !== undefined ? `line ${line}, ` : ''}${issueLocation(path)}`;
  }
  /** "prescriptions.0 at line 9" for naming a second place in a message. */
  ref(path: Path): string {
    const line = this.locate(path);
    return `${path.map(String).join('.')}${line !== undefined ? ` at line ${line}` : ''}`;
  }
  fail(path: Path, message: string): never {
    throw new FormatError(`plan template: ${this.at(path)}: ${message}`, { file: this.file });
  }
}

const FOUND_CODES: ReadonlySet<string> = new Set(['invalid_type', 'too_small', 'too_big', 'invalid_value', 'not_multiple_of', 'invalid_format', 'custom']);

function failOnIssue(issue: z.core.$ZodIssue, raw: unknown, where: Where): never {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    where.fail([...issue.path, key], `unknown field '${key}'${issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `'${k}'`).join(', ')})` : ''}`);
  }
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    const options = (issue.options as unknown[]).map(String);
    const v = valueAt(raw, issue.path);
    const field = String(issue.path[issue.path.length - 1] ?? 'kind');
    where.fail(issue.path, `expected ${field} to be one of ${options.join(', ')}, ${v === undefined ? 'but it is missing' : `found ${describeValue(v)}`}`);
  }
  let message = issue.message;
  if (FOUND_CODES.has(issue.code)) {
    const v = valueAt(raw, issue.path);
    if (issue.code !== 'custom' || typeof v !== 'object' || v === null) {
      message += v === undefined ? ' (the field is missing)' : `, found ${describeValue(v)}`;
    }
  }
  where.fail(issue.path, message);
}

/** Semantic checks the schema cannot express; each failure names the file, line and field. */
function checkTemplate(t: PlanTemplate, where: Where): void {
  const ps = t.prescriptions;
  if (ps[0]!.role !== 'target') {
    where.fail(['prescriptions', 0, 'role'], "the first prescription is the primary (low-dose) target: expected role 'target', found 'peaks'");
  }
  for (let j = 1; j < ps.length; j++) {
    for (let i = 0; i < j; i++) {
      if (ps[i]!.structure.trim().toLowerCase() === ps[j]!.structure.trim().toLowerCase()) {
        where.fail(['prescriptions', j, 'structure'], `structure "${ps[j]!.structure}" is prescribed twice (also ${where.ref(['prescriptions', i])})`);
      }
    }
  }
  ps.forEach((p, i) => {
    if (p.build !== undefined && p.build.from.trim().toLowerCase() === p.structure.trim().toLowerCase()) {
      where.fail(['prescriptions', i, 'build', 'from'], `structure "${p.structure}" cannot be built from itself`);
    }
    if (p.build !== undefined && p.role === 'peaks') {
      where.fail(['prescriptions', i, 'build'], `the peaks structure "${p.structure}" is made by the lattice (the sphere union): 'build' does not apply`);
    }
  });
  const peaks = ps.map((p, i) => ({ p, i })).filter(({ p }) => p.role === 'peaks');
  if (t.lattice !== undefined) {
    if (peaks.length === 0) {
      where.fail(['prescriptions'], "a lattice needs exactly one prescription with role 'peaks' (the sphere union, e.g. PTV_6670); found none");
    }
    if (peaks.length > 1) {
      const [a, b] = peaks as [{ p: Prescription; i: number }, { p: Prescription; i: number }];
      where.fail(
        ['prescriptions', b.i, 'role'],
        `a lattice has exactly one 'peaks' prescription; found "${a.p.structure}" (${where.ref(['prescriptions', a.i])}) ` +
          `and "${b.p.structure}" (${where.ref(['prescriptions', b.i])})`,
      );
    }
    const peak = peaks[0]!;
    ps.forEach((p, i) => {
      if (p.role === 'target' && !(peak.p.doseGy > p.doseGy)) {
        where.fail(
          ['prescriptions', peak.i, 'doseGy'],
          `the peak dose ${fmt(peak.p.doseGy)} Gy of "${peak.p.structure}" must exceed the target dose ` +
            `${fmt(p.doseGy)} Gy of "${p.structure}" (${where.ref(['prescriptions', i])})`,
        );
      }
    });
    const lat = t.lattice;
    const valley = lat.valleyName ?? TEMPLATE_DEFAULTS.valleyName;
    const clash = ps.findIndex((p) => p.structure.trim().toLowerCase() === valley.trim().toLowerCase());
    if (clash >= 0) {
      where.fail(
        ['lattice', lat.valleyName !== undefined ? 'valleyName' : 'valleyMarginMm'],
        `the valley "${valley}" has the name of a prescription (${where.ref(['prescriptions', clash])})`,
      );
    }
    try {
      resolvePlacementParams(latticePlacementParams(lat));
    } catch (e) {
      if (e instanceof LatticeError) where.fail(['lattice'], e.message);
      throw e;
    }
  } else if (peaks.length > 0) {
    where.fail(['prescriptions', peaks[0]!.i, 'role'], "role 'peaks' (the lattice sphere union) needs a 'lattice' section; found none");
  }

  if (t.constraints !== undefined) {
    const m = /^tg101-(\d+)fx$/i.exec(t.constraints.set.trim());
    if (m !== null && !['1', '3', '5'].includes(m[1]!)) {
      where.fail(['constraints', 'set'], `TG-101 tables exist for 1, 3 and 5 fractions (tg101-1fx, tg101-3fx, tg101-5fx), found '${t.constraints.set}'`);
    }
  }

  if (t.beams.arrangement === 'list') {
    const list = t.beams.list;
    for (let j = 1; j < list.length; j++) {
      for (let i = 0; i < j; i++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.gantryDeg === b.gantryDeg && (a.couchDeg ?? 0) === (b.couchDeg ?? 0) && (a.collimatorDeg ?? 0) === (b.collimatorDeg ?? 0)) {
          where.fail(
            ['beams', 'list', j],
            `beam repeats ${where.ref(['beams', 'list', i])}: gantry ${fmt(b.gantryDeg)}, couch ${fmt(b.couchDeg ?? 0)}, ` +
              `collimator ${fmt(b.collimatorDeg ?? 0)} degrees`,
          );
        }
      }
    }
  }

  const o = t.optimisation;
  if (o?.nearSpacingMm !== undefined && o.farSpacingMm !== undefined && o.nearSpacingMm > o.farSpacingMm) {
    where.fail(
      ['optimisation', 'nearSpacingMm'],
      `the point spacing near the targets (${fmt(o.nearSpacingMm)} mm) must not exceed the far spacing (${fmt(o.farSpacingMm)} mm)`,
    );
  }
  const nt = t.normalTissue;
  if (nt !== undefined && nt.lowPct > nt.highPct) {
    where.fail(['normalTissue', 'lowPct'], `the fall-off's low level ${fmt(nt.lowPct)} % must not exceed its high level ${fmt(nt.highPct)} %`);
  }

  const c = findObjectiveConflict(t.objectives);
  if (c !== undefined) {
    where.fail(
      ['objectives', c.j],
      `contradicts objectives.${c.i}: "${describeObjective(t.objectives[c.j]!)}" and "${describeObjective(t.objectives[c.i]!)}" ` +
        `(${where.ref(['objectives', c.i])}) cannot both hold: ${c.reason}`,
    );
  }
}

function validate(raw: unknown, file: string, locate: Locate): PlanTemplate {
  const where = new Where(file, locate);
  const r = PlanTemplateSchema.safeParse(raw);
  if (!r.success) failOnIssue(r.error.issues[0]!, raw, where);
  checkTemplate(r.data, where);
  return r.data;
}

/**
 * Validate a parsed YAML / JSON object as a plan template. `file` names it in errors; `source` (the
 * file's text) adds line numbers to them.
 */
export function parsePlanTemplate(raw: unknown, file: string, source?: string): PlanTemplate {
  let locate = noLines;
  if (source !== undefined) {
    try {
      locate = parseSource(source, file).locate;
    } catch {
      locate = noLines; // the text does not parse: errors go without line numbers
    }
  }
  return validate(raw, file, locate);
}

/** Read and validate a plan template (YAML or JSON). */
export function readPlanTemplate(file: string): PlanTemplate {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new FormatError(`cannot read the plan template: ${(cause as Error).message}`, { file }, { cause });
  }
  const { doc, locate } = parseSource(source, file);
  return validate(doc.toJS(), file, locate);
}

// ---------------------------------------------------------------------------------------------
// Built-in templates and references to other files

/** Names of the templates shipped in templates/. */
export const BUILT_IN_TEMPLATES: readonly string[] = Object.freeze(['seed-case', 'imrt']);

/** The package's templates/ folder: the first ancestor of this module's folder that holds templates/seed-case.yaml. */
export function builtInTemplatesDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'templates', 'seed-case.yaml'))) return join(dir, 'templates');
    if (dirname(dir) === dir) break;
  }
  throw new FormatError(`cannot find the built-in plan templates (templates/seed-case.yaml) in any folder above ${start}`);
}

/** 'seed-case' | 'imrt' (built in) or a YAML / JSON file. */
export function resolvePlanTemplate(nameOrFile: string): { template: PlanTemplate; file: string } {
  if (BUILT_IN_TEMPLATES.includes(nameOrFile)) {
    const file = join(builtInTemplatesDir(), `${nameOrFile}.yaml`);
    return { template: readPlanTemplate(file), file };
  }
  if (!existsSync(nameOrFile)) {
    throw new InputError(
      `plan template: expected a built-in template (${BUILT_IN_TEMPLATES.join(', ')}) or a YAML/JSON file, found '${nameOrFile}' (no such file)`,
    );
  }
  return { template: readPlanTemplate(nameOrFile), file: nameOrFile };
}

/**
 * The template's constraint set, or undefined when it has none: a built-in TG-101 table, or a file
 * named relative to the template file.
 */
export function templateConstraintSet(template: PlanTemplate, file: string): ConstraintSet | undefined {
  const c = template.constraints;
  if (c === undefined) return undefined;
  const set = c.set.trim();
  if (/^tg101-\d+fx$/i.test(set)) return resolveConstraintSet(set.toLowerCase());
  return resolveConstraintSet(isAbsolute(set) ? set : resolve(dirname(file), set));
}

/** The placement parameters a template's lattice section sets (the rest keep lattice-rt's defaults). */
export function latticePlacementParams(lat: NonNullable<PlanTemplate['lattice']>): Partial<PlacementParams> {
  return {
    ...(lat.pattern !== undefined ? { pattern: lat.pattern } : {}),
    ...(lat.diameterMm !== undefined ? { diameterMm: lat.diameterMm } : {}),
    ...(lat.spacingMm !== undefined ? { spacingMm: lat.spacingMm } : {}),
    ...(lat.planeSpacingMm !== undefined ? { planeSpacingMm: lat.planeSpacingMm } : {}),
    ...(lat.insetMm !== undefined ? { insetMm: lat.insetMm } : {}),
    ...(lat.oarClearanceMm !== undefined ? { oarClearanceMm: lat.oarClearanceMm } : {}),
    ...(lat.partialMin !== undefined ? { partialMin: lat.partialMin } : {}),
    ...(lat.allowPartial !== undefined ? { allowPartial: lat.allowPartial } : {}),
  };
}
