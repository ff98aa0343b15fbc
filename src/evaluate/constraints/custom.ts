/**
 * Custom constraint sets in YAML or JSON, validated with zod; errors name the file and the field.
 *
 * Format (YAML shown; JSON is the same object):
 *   name: local-5fx                # required
 *   fractions: 5                   # schedule of the limits (integer >= 1)
 *   source: "Local protocol v2"    # where the values come from
 *   constraints:
 *     - kind: max-point            # maximum point dose, as D0.035cc unless pointMetric says otherwise
 *       organ: SpinalCord          # TG-263 name (or organs: [..] with combine: each | sum)
 *       limitGy: 30
 *     - kind: dose-at-volume       # "less than 10 cc above 18 Gy" = D10cc < 18 Gy
 *       organ: Stomach
 *       volumeCc: 10               # or volumePercent
 *       limitGy: 18
 *     - kind: critical-volume      # at least 700 cc below 21 Gy
 *       organ: Liver
 *       criticalVolumeCc: 700
 *       thresholdGy: 21
 *     - kind: metric               # any metric of metrics.ts with a max or min
 *       organ: Liver
 *       metric: Dmean
 *       max: 15
 * `resolveConstraintSet('tg101-5fx' | 'tg101-3fx' | 'tg101-1fx' | FILE)` picks a built-in set or reads a file.
 */

import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { FormatError, InputError } from '../../core/errors.js';
import { issueLocation, readYamlOrJson } from '../../io/yaml-file.js';
import { parseMetric } from '../metrics.js';
import { tg101Set } from './tg101.js';
import type { Constraint, ConstraintSet } from './types.js';

const positive = z.number().finite().positive();
const common = {
  id: z.string().min(1).optional(),
  organ: z.string().min(1).optional(),
  organs: z.array(z.string().min(1)).min(1).optional(),
  combine: z.enum(['each', 'sum']).optional(),
  label: z.string().optional(),
  endpoint: z.string().optional(),
  sources: z.array(z.string()).optional(),
  note: z.string().optional(),
};

const ConstraintSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('max-point'), ...common, limitGy: positive, pointMetric: z.enum(['D0.035cc', 'D0.03cc', 'Dmax']).optional() }),
  z.strictObject({
    kind: z.literal('dose-at-volume'),
    ...common,
    volumeCc: positive.optional(),
    volumePercent: positive.max(100).optional(),
    limitGy: positive,
  }),
  z.strictObject({ kind: z.literal('critical-volume'), ...common, criticalVolumeCc: positive, thresholdGy: positive }),
  z.strictObject({
    kind: z.literal('metric'),
    ...common,
    metric: z.string().refine(
      (m) => {
        try {
          parseMetric(m);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'unknown metric (expected Dmean, Dmax, Dmin, D<x>%, D<x>cc, V<x>Gy, V<x>Gy%, V<<x>Gy or gEUD(a=<a>))' },
    ),
    max: z.number().finite().optional(),
    min: z.number().finite().optional(),
  }),
]);

const SetSchema = z.strictObject({
  name: z.string().min(1),
  fractions: z.number().int().min(1),
  source: z.string().optional(),
  constraints: z.array(ConstraintSchema).min(1),
});

type RawConstraint = z.infer<typeof ConstraintSchema>;

function fail(file: string, path: readonly PropertyKey[], message: string): never {
  throw new FormatError(`constraint set: ${issueLocation(path)}: ${message}`, { file });
}

/** Validate a parsed YAML / JSON object as a constraint set; `file` names it in errors. */
export function parseConstraintSet(raw: unknown, file: string): ConstraintSet {
  const r = SetSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    fail(file, issue.path, issue.message);
  }
  const set = r.data;
  const constraints = set.constraints.map((c: RawConstraint, i): Constraint => {
    const path = ['constraints', i];
    const organs = c.organs ?? (c.organ !== undefined ? [c.organ] : undefined);
    if (organs === undefined) fail(file, path, "expected 'organ' or 'organs'");
    if (c.organ !== undefined && c.organs !== undefined) fail(file, path, "give either 'organ' or 'organs', not both");
    const base = {
      organs,
      combine: c.combine ?? (organs.length > 1 ? ('sum' as const) : ('each' as const)),
      label: c.label ?? organs.join(' + '),
      fractions: set.fractions,
      sources: c.sources ?? [set.source ?? basename(file)],
      ...(c.endpoint !== undefined ? { endpoint: c.endpoint } : {}),
      ...(c.note !== undefined ? { note: c.note } : {}),
    };
    const id = (what: string): string => c.id ?? `${set.name}/${organs.join('+')}/${what}`;
    switch (c.kind) {
      case 'max-point':
        return { ...base, id: id('max'), kind: 'max-point', limitGy: c.limitGy, pointMetric: c.pointMetric ?? 'D0.035cc' };
      case 'dose-at-volume': {
        if ((c.volumeCc === undefined) === (c.volumePercent === undefined)) {
          fail(file, path, "expected exactly one of 'volumeCc' and 'volumePercent'");
        }
        const volume = c.volumeCc ?? c.volumePercent!;
        const unit = c.volumeCc !== undefined ? 'cc' : '%';
        return { ...base, id: id(`D${volume}${unit}`), kind: 'dose-at-volume', volume, volumeUnit: unit, limitGy: c.limitGy };
      }
      case 'critical-volume':
        return {
          ...base,
          id: id(`V<${c.thresholdGy}Gy>=${c.criticalVolumeCc}cc`),
          kind: 'critical-volume',
          criticalVolumeCc: c.criticalVolumeCc,
          thresholdGy: c.thresholdGy,
        };
      case 'metric': {
        if ((c.max === undefined) === (c.min === undefined)) fail(file, path, "expected exactly one of 'max' and 'min'");
        return {
          ...base,
          id: id(c.metric),
          kind: 'metric',
          metric: c.metric,
          bound: c.max !== undefined ? 'max' : 'min',
          limit: c.max ?? c.min!,
        };
      }
    }
  });
  return { name: set.name, fractions: set.fractions, source: set.source ?? basename(file), constraints };
}

/** Read a constraint set from a YAML or JSON file. */
export function readConstraintSet(file: string): ConstraintSet {
  return parseConstraintSet(readYamlOrJson(file, 'constraint set'), file);
}

const BUILT_IN = /^tg101-(1|3|5)fx$/;

/** 'tg101-1fx' | 'tg101-3fx' | 'tg101-5fx' or a YAML / JSON file. */
export function resolveConstraintSet(spec: string): ConstraintSet {
  const m = BUILT_IN.exec(spec);
  if (m) return tg101Set(Number(m[1]));
  if (!existsSync(spec)) {
    throw new InputError(`constraints: expected tg101-1fx, tg101-3fx, tg101-5fx or a YAML/JSON file, found '${spec}' (no such file)`);
  }
  return readConstraintSet(spec);
}
