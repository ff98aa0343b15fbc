/** Plan evaluation -> Markdown (report.md): the disclaimer, the tables of tables.ts, warnings, conventions. */

import type { PlanEvaluation } from '../plan.js';
import { conformityTable, constraintTable, scheduleLine, sfrtTable, structureTable, type Table } from './tables.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(t: Table): string {
  const lines = [`## ${t.title}`, '', `| ${t.headers.map(cell).join(' | ')} |`, `|${t.headers.map(() => '---').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  if (t.notes && t.notes.length > 0) lines.push('', ...t.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** `before`: tables placed ahead of the evaluation's own (e.g. a plan's goals and optimisation). */
export function renderMarkdown(ev: PlanEvaluation, title = 'Plan evaluation', before: readonly Table[] = []): string {
  const parts = [
    `# ${title}`,
    '',
    `> **${ev.disclaimer}**`,
    '',
    scheduleLine(ev),
    '',
    ...before.flatMap((t) => [table(t), '']),
    table(structureTable(ev)),
  ];
  const cf = conformityTable(ev);
  if (cf) parts.push('', table(cf));
  const c = constraintTable(ev);
  if (c) parts.push('', table(c));
  const s = sfrtTable(ev);
  if (s) parts.push('', table(s));
  if (ev.warnings.length > 0) parts.push('', '## Warnings', '', ...ev.warnings.map((w) => `- ${w}`));
  parts.push('', '## Conventions', '', ...ev.conventions.map((c2) => `- ${c2}`), '');
  return parts.join('\n');
}
