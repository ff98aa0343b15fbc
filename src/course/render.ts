/**
 * The computed course as tables (courseTables), rendered as markdown (course.md), as an HTML section
 * (renderCourseSection: a fragment with both SVG charts inline, for the plan report to include), and
 * as a whole offline HTML page (renderCourseHtml, course.html) headed by the research-use disclaimer.
 */

import { DISCLAIMER } from '../core/disclaimer.js';
import { REPORT_BASE_CSS } from '../evaluate/report/html.js';
import { describeDate } from './dates.js';
import { treatmentEnd } from './checks.js';
import type { CourseAnalysis } from './analyse.js';
import { esc, markersSvg, timelineSvg } from './charts.js';
import type { MeasuredValue } from './model.js';

export interface CourseTable {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
}

const pct = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`);
const num = (v: number | null, digits = 1): string => (v === null ? '-' : v.toFixed(digits));
const value = (m: MeasuredValue): string => `${m.censor !== undefined ? `${m.censor} ` : ''}${m.value}`;

export function courseTables(a: CourseAnalysis): CourseTable[] {
  const c = a.course;
  const tables: CourseTable[] = [];
  tables.push({
    title: 'Patient and diagnosis',
    headers: ['item', 'value'],
    rows: [
      ['patient (pseudonymous id)', c.patient.id],
      ...(c.patient.sex !== undefined ? [['sex', c.patient.sex]] : []),
      ...(c.patient.ageYears !== undefined ? [['age (years)', String(c.patient.ageYears)]] : []),
      ['diagnosis', `${c.diagnosis.disease}${c.diagnosis.site !== undefined ? `, ${c.diagnosis.site}` : ''} (${describeDate(c.diagnosis.date)})`],
      ...c.diagnosis.notes.map((n) => ['note', n]),
      ...c.staging.map((s) => [`${s.system} (${describeDate(s.date)})`, s.value]),
    ],
    notes: c.source !== undefined ? [`source: ${c.source}`] : [],
  });
  tables.push({
    title: 'Treatments',
    headers: ['id', 'kind', 'treatment', 'dates', 'agents', 'cycles', 'fractions (delivered / planned)', 'plan folder'],
    rows: c.treatments.map((t) => {
      const end = treatmentEnd(t);
      return [
        t.id,
        t.kind,
        t.name,
        end === t.start ? describeDate(t.start) : `${describeDate(t.start)} to ${describeDate(end)}`,
        t.agents.map((g) => `${g.name}${g.dose !== undefined ? ` ${g.dose}` : ''}`).join(', ') || '-',
        t.cycles !== undefined ? String(t.cycles) : '-',
        t.fractions !== undefined ? `${t.fractions.delivered} / ${t.fractions.planned}${t.fractions.dates.length > 0 ? ` (${t.fractions.dates.map((d) => d.text).join(', ')})` : ''}` : '-',
        t.planFolder ?? '-',
      ];
    }),
    notes: [],
  });
  for (const r of a.response.criteria) {
    tables.push({
      title: `Response by ${r.criterion} (baseline: imaging '${r.baselineImaging}')`,
      headers: ['imaging', 'date', `sum (${r.unit})`, 'baseline', 'nadir', 'from baseline', 'from nadir', 'category', 'why'],
      rows: r.timePoints.map((p) => [p.imaging, p.date, num(p.sum), num(p.baseline), num(p.nadir), pct(p.changeFromBaselinePct), pct(p.changeFromNadirPct), p.category, p.reason]),
      notes: [
        `rule: ${r.rule}`,
        `source: ${r.source}`,
        `target lesions: ${r.targetLesions.length > 0 ? r.targetLesions.join(', ') : 'none'}`,
        ...(r.notEvaluable !== undefined ? [`not evaluable: ${r.notEvaluable}`] : []),
      ],
    });
  }
  if (a.response.criteria.length === 0) {
    tables.push({ title: 'Response', headers: ['note'], rows: [['no response baseline: no imaging at or before the survival origin, and no response.baseline']], notes: [] });
  }
  tables.push({
    title: 'Survival',
    headers: ['origin', 'endpoint', 'status', 'end', 'days', 'months', 'why'],
    rows: a.survival.origins.flatMap((o) =>
      o.endpoints.map((e) => [
        `${o.origin.description}${o.primary ? '' : ' (alternative)'}`,
        e.endpoint,
        e.event ? 'event' : 'censored',
        e.endDate,
        e.exact ? String(e.days) : `${e.days} (${e.daysRange[0]} to ${e.daysRange[1]})`,
        e.exact ? e.months.toFixed(2) : `${e.months.toFixed(2)} (${e.monthsRange[0].toFixed(2)} to ${e.monthsRange[1].toFixed(2)})`,
        e.endReason,
      ]),
    ),
    notes: [a.survival.rule.pfs, a.survival.rule.os, a.survival.rule.months, `last follow-up: ${a.survival.lastFollowUp}`, `source: ${a.survival.rule.source}`],
  });
  tables.push({
    title: 'Laboratory values',
    headers: ['date', 'marker', 'value', 'unit'],
    rows: c.labs.map((l) => [describeDate(l.date), l.marker, value(l.measured), l.unit]),
    notes: ["a value written '> v' lies above the assay range (censored): kept as a bound"],
  });
  tables.push({
    title: 'Tumour-marker kinetics',
    headers: ['marker', 'from', 'to', 'days', 'values', 'fold change', 'half-life / doubling time (days)'],
    rows: a.kinetics.results.map((k) => [
      `${k.marker} (${k.unit})`,
      k.from,
      k.to,
      String(k.days),
      `${value(k.c0)} -> ${value(k.c1)}`,
      k.foldChangeBound === 'undetermined' ? 'not determinable' : `${k.foldChangeBound === 'exact' ? '' : `${k.foldChangeBound} `}${k.foldChange.toPrecision(3)}`,
      k.halfLifeDays !== null
        ? `half-life ${k.timeBound === 'exact' ? '' : `${k.timeBound} `}${k.halfLifeDays.toFixed(1)}`
        : k.doublingTimeDays !== null
          ? `doubling ${k.timeBound === 'exact' ? '' : `${k.timeBound} `}${k.doublingTimeDays.toFixed(1)}`
          : 'not determinable',
    ]),
    notes: [`rule: ${a.kinetics.rule}`, `source: ${a.kinetics.source}`, ...(a.kinetics.results.length === 0 ? ['no marker has two values to compare'] : [])],
  });
  if (a.reported.length > 0) {
    tables.push({
      title: 'Figures as reported in the source, beside the computed ones',
      headers: ['reported', 'as', 'computed', 'consistent'],
      rows: a.reported.map((r) => [`"${r.text}"`, r.reported, r.computed, r.consistent ? 'yes' : 'NO']),
      notes: [],
    });
  }
  tables.push({
    title: `Consistency checks (${a.checks.length})`,
    headers: ['check', 'finding'],
    rows: a.checks.map((k) => [k.check, k.message]),
    notes: a.checks.length === 0 ? ['no inconsistencies found'] : [],
  });
  return tables;
}

const mdCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderCourseMarkdown(a: CourseAnalysis): string {
  const parts = [`# ${a.title ?? `Clinical course of ${a.course.patient.id}`}`, '', `> ${DISCLAIMER}`, ''];
  for (const t of courseTables(a)) {
    parts.push(`## ${t.title}`, '');
    if (t.rows.length > 0) {
      parts.push(`| ${t.headers.map(mdCell).join(' | ')} |`, `|${t.headers.map(() => '---').join('|')}|`);
      for (const r of t.rows) parts.push(`| ${r.map(mdCell).join(' | ')} |`);
      parts.push('');
    }
    for (const n of t.notes) parts.push(`- ${n}`);
    if (t.notes.length > 0) parts.push('');
  }
  parts.push('## Conventions', '', ...a.conventions.map((c) => `- ${c}`), '');
  return parts.join('\n');
}

function htmlTable(t: CourseTable): string {
  const head = `<tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td${/^(PD|NO)$/.test(c) ? ' class="bad"' : /^(PR|CR)$/.test(c) ? ' class="good"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  const notes = t.notes.length > 0 ? `<ul>${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return `<h3>${esc(t.title)}</h3>\n${t.rows.length > 0 ? `<table>\n${head}\n${body}\n</table>\n` : ''}${notes}`;
}

/**
 * The course as one HTML section (both charts inline, every table), for inclusion in another page
 * such as the plan report. Styles are those of the including page (classes: bad, good, disclaimer).
 */
export function renderCourseSection(a: CourseAnalysis): string {
  return [
    '<section class="lattice-course">',
    `<h2>${esc(a.title ?? `Clinical course of ${a.course.patient.id}`)}</h2>`,
    `<p class="disclaimer">${esc(DISCLAIMER)}</p>`,
    '<h3>Timeline</h3>',
    `<figure>${timelineSvg(a)}</figure>`,
    '<h3>Tumour markers</h3>',
    `<figure>${markersSvg(a)}</figure>`,
    ...courseTables(a).map(htmlTable),
    `<h3>Conventions</h3><ul>${a.conventions.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`,
    '</section>',
  ].join('\n');
}

/** A whole offline page (course.html). */
export function renderCourseHtml(a: CourseAnalysis): string {
  const title = a.title ?? `Clinical course of ${a.course.patient.id}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
${REPORT_BASE_CSS}
figure{margin:8px 0}
</style></head>
<body>
${renderCourseSection(a)}
</body></html>
`;
}
