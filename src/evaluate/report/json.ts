/**
 * Plan evaluation -> report.json: the PlanEvaluation object as JSON, numbers to 6 significant
 * digits, NaN and infinities as null (JSON has neither), keys in a fixed order (deterministic).
 */

import type { PlanEvaluation } from '../plan.js';

export function renderJson(ev: PlanEvaluation, extra: Readonly<Record<string, unknown>> = {}): string {
  return `${JSON.stringify({ ...extra, ...ev }, (_k, v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? Number(v.toPrecision(6)) : null) : v), 2)}\n`;
}
