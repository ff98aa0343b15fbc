/**
 * Delivery machine files: a LinacMachine (machine.ts) read from YAML or JSON and validated with zod.
 *
 * Every figure is written next to its source as a `{ value, source }` pair; `source` is a citation or
 * starts with "assumption:" (a figure the user must check for their own linac). A source may name an
 * entry of the file's `references` map as [KEY]; the loaded machine's `sources` (dotted field path ->
 * text) carries the full citation. Layout (docs/delivery.md):
 *
 *   name, manufacturer, model, references?: { KEY: citation }
 *   treatmentMachineName, sadMm, energyMv, minSegmentMu: { value, source }
 *   mlc: { deviceType: MLCX, leafPairs, leafBoundariesMm, positionRangeMm, maxOverTravelMm, minGapMm,
 *          leafSpeedMmPerS, maxBankSpreadMm?, interdigitation, transmission }   (each { value, source })
 *        leafBoundariesMm.value: a list of pairs + 1 values (mm), or { pairs, widthMm } for equal leaves
 *        centred on the axis ({ pairs: 80, widthMm: 5 } is -200, -195, ..., 200)
 *   jaws: [{ deviceType: ASYMX | ASYMY, positionRangeMm, speedMmPerS, maxOverTravelMm? }]  (may be empty)
 *   gantry: { maxSpeedDegPerS }, doseRate: { maxMuPerMin, minMuPerMin }
 *
 * Checks beyond the types: leaf boundaries strictly increasing, leafPairs + 1 of them; every range
 * [low, high] with low < high; speeds > 0; 0 <= transmission < 1; minMuPerMin < maxMuPerMin; every
 * [KEY] defined in `references`. Errors are FormatErrors naming the file and the field path.
 *
 * A bare name ("agility") means a machine shipped in the package's machines/ folder (matched on the
 * file's `name` or its file name without extension), found by walking up from this module as the plan
 * templates are (src/deliver/ under vitest, dist/src/deliver/ when built).
 */

import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FormatError, InputError, fmt } from '../core/errors.js';
import { issueLocation, readYamlOrJson } from '../io/yaml-file.js';
import type { JawDescription, LinacMachine, MlcDescription } from './machine.js';

// ---------------------------------------------------------------------------------------------
// Schema

const sourceText = z
  .string({ error: "expected a source: a citation, or 'assumption: ...'" })
  .refine((s) => s.trim().length > 0, { error: "expected a source: a citation, or 'assumption: ...'" });

/** A figure and its source. A bare value is refused: every figure names where it comes from. */
const figure = <T extends z.ZodType>(value: T) =>
  z.strictObject(
    { value, source: sourceText },
    { error: "expected { value, source } (every figure names its source, or says 'assumption: ...')" },
  );

const finite = (error: string) => z.number({ error }).refine(Number.isFinite, { error });
const positive = (error = 'expected a positive number') => finite(error).refine((v) => v > 0, { error });
const nonNegative = (error = 'expected a number >= 0') => finite(error).refine((v) => v >= 0, { error });
const range = z.tuple([finite('expected a number (mm)'), finite('expected a number (mm)')], {
  error: 'expected [low, high] in mm',
});
const text = (error = 'expected a non-empty text') => z.string({ error }).refine((s) => s.trim().length > 0, { error });

const boundaries = z.union(
  [
    z.array(finite('expected a number (mm)'), { error: 'expected a list of boundaries in mm' }),
    z.strictObject({
      pairs: z.number({ error: 'expected an integer >= 1' }).int({ error: 'expected an integer >= 1' }).min(1, { error: 'expected an integer >= 1' }),
      widthMm: positive('expected a positive leaf width in mm'),
    }),
  ],
  { error: 'expected a list of leaf boundaries (mm) or { pairs, widthMm }' },
);

const MlcSchema = z.strictObject({
  deviceType: z.literal('MLCX', { error: "expected 'MLCX' (leaves moving along X_b)" }),
  leafPairs: figure(z.number({ error: 'expected an integer >= 1' }).int({ error: 'expected an integer >= 1' }).min(1, { error: 'expected an integer >= 1' })),
  leafBoundariesMm: figure(boundaries),
  positionRangeMm: figure(range),
  maxOverTravelMm: figure(nonNegative()),
  minGapMm: figure(nonNegative()),
  leafSpeedMmPerS: figure(positive()),
  maxBankSpreadMm: figure(positive()).optional(),
  interdigitation: figure(z.boolean({ error: 'expected true or false' })),
  transmission: figure(finite('expected a fraction in [0, 1)')),
});

const JawSchema = z.strictObject({
  deviceType: z.enum(['ASYMX', 'ASYMY'], { error: "expected 'ASYMX' or 'ASYMY'" }),
  positionRangeMm: figure(range),
  speedMmPerS: figure(positive()),
  maxOverTravelMm: figure(nonNegative()).optional(),
});

const MachineSchema = z.strictObject({
  name: text(),
  manufacturer: text(),
  model: text(),
  references: z.record(z.string(), text('expected a citation')).optional(),
  treatmentMachineName: figure(text()),
  sadMm: figure(positive()),
  energyMv: figure(positive()),
  mlc: MlcSchema,
  jaws: z.array(JawSchema, { error: 'expected a list of jaws (may be empty)' }),
  gantry: z.strictObject({ maxSpeedDegPerS: figure(positive()) }),
  doseRate: z.strictObject({ maxMuPerMin: figure(positive()), minMuPerMin: figure(nonNegative()) }),
  minSegmentMu: figure(nonNegative()),
});

type MachineFile = z.infer<typeof MachineSchema>;

// ---------------------------------------------------------------------------------------------
// Validation

/** Boundaries from the compact form: `pairs` leaves of `widthMm`, centred on the axis. */
function expandBoundaries(b: MachineFile['mlc']['leafBoundariesMm']['value']): Float64Array {
  if (Array.isArray(b)) return Float64Array.from(b);
  const out = new Float64Array(b.pairs + 1);
  const first = (-b.pairs * b.widthMm) / 2;
  for (let i = 0; i <= b.pairs; i++) out[i] = first + i * b.widthMm;
  return out;
}

/** Every { value, source } pair of the parsed file, by dotted path. */
function collectSources(node: unknown, path: string[], out: Map<string, string>): void {
  if (node === null || typeof node !== 'object') return;
  if (!Array.isArray(node) && 'value' in node && 'source' in node && typeof node.source === 'string') {
    out.set(path.join('.'), node.source);
    return;
  }
  for (const [key, child] of Object.entries(node)) if (key !== 'references') collectSources(child, [...path, key], out);
}

/** Validate a parsed machine file; FormatError naming the file and the field. */
export function parseMachine(raw: unknown, file: string): LinacMachine {
  const fail = (path: readonly PropertyKey[], message: string): never => {
    throw new FormatError(`machine file: ${issueLocation(path)}: ${message}`, { file });
  };
  const r = MachineSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    return fail(issue.path, issue.message);
  }
  const m = r.data;

  const boundariesMm = expandBoundaries(m.mlc.leafBoundariesMm.value);
  const bPath = ['mlc', 'leafBoundariesMm', 'value'];
  if (boundariesMm.length !== m.mlc.leafPairs.value + 1) {
    fail(bPath, `expected ${m.mlc.leafPairs.value + 1} boundaries for ${m.mlc.leafPairs.value} leaf pairs (mlc.leafPairs), found ${boundariesMm.length}`);
  }
  for (let i = 1; i < boundariesMm.length; i++) {
    if (!(boundariesMm[i]! > boundariesMm[i - 1]!)) {
      fail([...bPath, i], `expected strictly increasing boundaries, found ${fmt(boundariesMm[i]!)} mm after ${fmt(boundariesMm[i - 1]!)} mm`);
    }
  }
  const ordered = (path: readonly PropertyKey[], [lo, hi]: readonly [number, number]): void => {
    if (!(lo < hi)) fail(path, `expected [low, high] with low < high, found [${fmt(lo)}, ${fmt(hi)}]`);
  };
  ordered(['mlc', 'positionRangeMm', 'value'], m.mlc.positionRangeMm.value);
  const t = m.mlc.transmission.value;
  if (!(t >= 0 && t < 1)) fail(['mlc', 'transmission', 'value'], `expected a fraction in [0, 1), found ${fmt(t)}`);
  const seen = new Set<string>();
  m.jaws.forEach((j, i) => {
    ordered(['jaws', i, 'positionRangeMm', 'value'], j.positionRangeMm.value);
    if (seen.has(j.deviceType)) fail(['jaws', i, 'deviceType'], `jaw device ${j.deviceType} is listed twice`);
    seen.add(j.deviceType);
  });
  if (!(m.doseRate.minMuPerMin.value < m.doseRate.maxMuPerMin.value)) {
    fail(['doseRate', 'minMuPerMin', 'value'], `expected less than doseRate.maxMuPerMin (${fmt(m.doseRate.maxMuPerMin.value)} MU/min), found ${fmt(m.doseRate.minMuPerMin.value)} MU/min`);
  }

  // sources, with each [KEY] resolved against `references`
  const raws = new Map<string, string>();
  collectSources(m, [], raws);
  const references = m.references ?? {};
  const sources: Record<string, string> = {};
  for (const [path, source] of raws) {
    const keys = [...source.matchAll(/\[([A-Za-z0-9_-]+)\]/gu)].map((k) => k[1]!);
    const cited: string[] = [];
    for (const key of keys) {
      const citation = references[key];
      if (citation === undefined) {
        fail([...path.split('.'), 'source'], `cites [${key}], which the file's 'references' do not define`);
      } else if (!cited.includes(`[${key}] ${citation}`)) {
        cited.push(`[${key}] ${citation}`);
      }
    }
    sources[path] = cited.length > 0 ? `${source} -- ${cited.join('; ')}` : source;
  }

  const mlc: MlcDescription = {
    deviceType: m.mlc.deviceType,
    leafPairs: m.mlc.leafPairs.value,
    leafBoundariesMm: boundariesMm,
    positionRangeMm: m.mlc.positionRangeMm.value,
    maxOverTravelMm: m.mlc.maxOverTravelMm.value,
    minGapMm: m.mlc.minGapMm.value,
    leafSpeedMmPerS: m.mlc.leafSpeedMmPerS.value,
    ...(m.mlc.maxBankSpreadMm !== undefined ? { maxBankSpreadMm: m.mlc.maxBankSpreadMm.value } : {}),
    interdigitation: m.mlc.interdigitation.value,
    transmission: t,
  };
  const jaws: JawDescription[] = m.jaws.map((j) => ({
    deviceType: j.deviceType,
    positionRangeMm: j.positionRangeMm.value,
    speedMmPerS: j.speedMmPerS.value,
    ...(j.maxOverTravelMm !== undefined ? { maxOverTravelMm: j.maxOverTravelMm.value } : {}),
  }));
  return {
    name: m.name,
    manufacturer: m.manufacturer,
    model: m.model,
    treatmentMachineName: m.treatmentMachineName.value,
    sadMm: m.sadMm.value,
    energyMv: m.energyMv.value,
    mlc,
    jaws,
    gantry: { maxSpeedDegPerS: m.gantry.maxSpeedDegPerS.value },
    doseRate: { maxMuPerMin: m.doseRate.maxMuPerMin.value, minMuPerMin: m.doseRate.minMuPerMin.value },
    minSegmentMu: m.minSegmentMu.value,
    sources,
  };
}

/** Read and validate a machine file (YAML or JSON). */
export function readMachineFile(file: string): LinacMachine {
  return parseMachine(readYamlOrJson(file, 'machine file'), file);
}

// ---------------------------------------------------------------------------------------------
// Shipped machines

const MACHINE_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/** The package's machines/ folder: the first ancestor of this module's folder that holds machines/elekta-agility.yaml. */
export function shippedMachinesDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'machines', 'elekta-agility.yaml'))) return join(dir, 'machines');
    if (dirname(dir) === dir) break;
  }
  throw new FormatError(`cannot find the shipped machines (machines/elekta-agility.yaml) in any folder above ${start}`);
}

/** The shipped machine files with the name each states (the file name without extension when none). */
function shippedMachines(): { name: string; stem: string; file: string }[] {
  const dir = shippedMachinesDir();
  return readdirSync(dir)
    .filter((f) => MACHINE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const raw = readYamlOrJson(file, 'machine file') as { name?: unknown } | null;
      const stem = basename(f, extname(f));
      return { name: typeof raw?.name === 'string' ? raw.name : stem, stem, file };
    });
}

/** Names of the machines shipped in machines/ (as `--machine` accepts them). */
export function listMachines(): string[] {
  return shippedMachines().map((m) => m.name);
}

/** A shipped machine by name ("agility", or its file name "elekta-agility"), or a YAML / JSON machine file. */
export function loadMachine(nameOrFile: string): LinacMachine {
  const bare = !/[\\/]/u.test(nameOrFile) && !MACHINE_EXTENSIONS.includes(extname(nameOrFile).toLowerCase());
  if (bare) {
    const key = nameOrFile.toLowerCase();
    const shipped = shippedMachines().find((m) => m.name.toLowerCase() === key || m.stem.toLowerCase() === key);
    if (shipped !== undefined) return readMachineFile(shipped.file);
  }
  if (!existsSync(nameOrFile)) {
    throw new InputError(
      `machine: expected a shipped machine (${listMachines().join(', ')}) or a YAML/JSON machine file, found '${nameOrFile}' (no such file)`,
    );
  }
  return readMachineFile(nameOrFile);
}
