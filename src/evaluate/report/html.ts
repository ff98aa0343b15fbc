/**
 * Plan evaluation -> one self-contained HTML page (report.html): no scripts, no external files,
 * readable offline. The cumulative DVHs (planned physical dose, % of the dosed volume) are an
 * inline SVG; the tables are those of tables.ts; the research-use disclaimer heads the page.
 */

import type { PlanEvaluation, StructureEvaluation } from '../plan.js';
import { sphereTable } from './sphere-table.js';
import { conformityTable, constraintTable, scheduleLine, sfrtTable, structureTable, type Table } from './tables.js';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Cumulative DVH plot, relative volume (%) against dose (Gy). */
export function dvhSvg(structures: readonly StructureEvaluation[], width = 760, height = 420): string {
  const left = 56, right = 180, top = 16, bottom = 44;
  const pw = width - left - right, ph = height - top - bottom;
  let maxDose = 0;
  for (const s of structures) maxDose = Math.max(maxDose, s.curve.doseGy[s.curve.doseGy.length - 1] ?? 0);
  const niceMax = maxDose <= 0 ? 1 : Math.ceil(maxDose / 10) * 10;
  const X = (d: number): number => left + (d / niceMax) * pw;
  const Y = (pct: number): number => top + (1 - pct / 100) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Cumulative DVH">`,
    `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
  ];
  for (let t = 0; t <= 10; t++) {
    const d = (niceMax * t) / 10;
    out.push(`<line x1="${X(d)}" y1="${top}" x2="${X(d)}" y2="${top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${X(d)}" y="${top + ph + 16}" font-size="11" text-anchor="middle">${Number(d.toFixed(1))}</text>`);
    const v = 10 * t;
    out.push(`<line x1="${left}" y1="${Y(v)}" x2="${left + pw}" y2="${Y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${Y(v) + 4}" font-size="11" text-anchor="end">${v}</text>`);
  }
  out.push(`<text x="${left + pw / 2}" y="${height - 8}" font-size="12" text-anchor="middle">Dose (Gy, planned physical)</text>`);
  out.push(`<text x="14" y="${top + ph / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${top + ph / 2})">Volume (%)</text>`);
  structures.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const total = s.curve.volumeCc[0] ?? 0;
    if (total <= 0) return;
    const pts = s.curve.doseGy.map((d, k) => `${X(d).toFixed(1)},${Y((100 * s.curve.volumeCc[k]!) / total).toFixed(1)}`);
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    const ly = top + 14 * i + 8;
    out.push(`<line x1="${left + pw + 10}" y1="${ly}" x2="${left + pw + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${left + pw + 34}" y="${ly + 4}" font-size="11">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function table(t: Table): string {
  const head = `<tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map((r) => `<tr>${r.map((c) => `<td class="${/^(FAIL|NOT ACHIEVABLE|NO)$/.test(c) ? 'bad' : c === 'PASS' ? 'good' : ''}">${esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  const notes = t.notes && t.notes.length > 0 ? `<ul>${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return `<h2>${esc(t.title)}</h2>\n<table>\n${head}\n${body}\n</table>\n${notes}`;
}

/** The style every lattice-rt HTML page shares (the plan report, course.html). */
export const REPORT_BASE_CSS = `body{font-family:system-ui,sans-serif;margin:24px;max-width:1400px;color:#222}
.disclaimer{border:2px solid #b00;background:#fff4f4;padding:8px 12px;font-weight:bold}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.bad{background:#fdd;font-weight:bold}
td.good{background:#dfd}`;

/** `before`: tables placed ahead of the evaluation's own (e.g. a plan's goals and optimisation);
 * `after`: HTML sections placed after them (e.g. the clinical course, src/course); `figures`: HTML
 * placed after the DVH (the slice snapshots, snapshots.ts). */
export function renderHtml(
  ev: PlanEvaluation,
  title = 'Plan evaluation',
  before: readonly Table[] = [],
  after: readonly string[] = [],
  figures: readonly string[] = [],
): string {
  const sections = [...before.map(table), table(structureTable(ev))];
  const cf = conformityTable(ev);
  if (cf) sections.push(table(cf));
  const c = constraintTable(ev);
  if (c) sections.push(table(c));
  const s = sfrtTable(ev);
  if (s) sections.push(table(s));
  const sp = sphereTable(ev);
  if (sp) sections.push(table(sp));
  if (ev.warnings.length > 0) sections.push(`<h2>Warnings</h2><ul>${ev.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  sections.push(`<h2>Conventions</h2><ul>${ev.conventions.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`);
  sections.push(...after);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
${REPORT_BASE_CSS}
.snapshots{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:8px}
figure.snapshot{margin:0;break-inside:avoid}
figure.snapshot svg{display:block;background:#000}
figcaption{font-size:12px}
@media print{body{margin:8mm;max-width:none}table{font-size:10px}}
</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="disclaimer">${esc(ev.disclaimer)}</p>
<p>${esc(scheduleLine(ev))}</p>
<h2>Cumulative DVH</h2>
${dvhSvg(ev.structures)}
${figures.join('\n')}
${sections.join('\n')}
</body></html>
`;
}
