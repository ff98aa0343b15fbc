/**
 * The course as two self-contained SVG charts (no scripts, no external files):
 * - timelineSvg: time across; one row per treatment (a bar over every day its start and end allow:
 *   a month-precision date contributes its whole month, and such a bar is paler with a dashed edge;
 *   radiotherapy fractions as ticks on their row), a row of imaging time points (a marker each,
 *   labelled with the RECIST 1.1 category, or 'baseline', or the source's own reading before the
 *   baseline), a row of events (progression: diamond; death: cross; others: square). A
 *   month-precision marker is drawn at the 15th with a dotted whisker over the whole month.
 * - markersSvg: laboratory values over time on a log scale, one series per marker and unit; a value
 *   censored at an assay limit is an open marker with an arrow pointing the way the true value lies.
 * Elements carry classes (treatment-bar, fraction-tick, imaging-marker, response-label, event-marker,
 * lab-point, censored, censor-arrow, date-range) so that a test or a stylesheet can find them.
 */

import { isoDay, type CourseDate } from './dates.js';
import { treatmentEnd } from './checks.js';
import type { CourseAnalysis } from './analyse.js';

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const KIND_COLOUR: Readonly<Record<string, string>> = {
  systemic: '#1f77b4',
  local: '#ff7f0e',
  radiotherapy: '#d62728',
  supportive: '#7f7f7f',
  other: '#9467bd',
};
const CATEGORY_COLOUR: Readonly<Record<string, string>> = { CR: '#2ca02c', PR: '#2ca02c', SD: '#bcbd22', PD: '#d62728', NE: '#7f7f7f' };
const SERIES_COLOUR = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const n1 = (v: number): string => v.toFixed(1);

/** Month boundaries (day numbers of the 1st) from `from` to `to`. */
function monthStarts(from: number, to: number): number[] {
  const out: number[] = [];
  const d = new Date(from * 86_400_000);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  for (;;) {
    const day = Math.round(Date.UTC(y, m, 1) / 86_400_000);
    if (day > to) break;
    if (day >= from) out.push(day);
    m++;
    if (m === 12) {
      m = 0;
      y++;
    }
  }
  return out;
}

interface TimeAxis {
  readonly x: (day: number) => number;
  readonly from: number;
  readonly to: number;
}

function timeAxis(days: readonly number[], left: number, width: number): TimeAxis {
  const lo = Math.min(...days) - 15;
  const hi = Math.max(...days) + 15;
  return { x: (d) => left + ((d - lo) / Math.max(1, hi - lo)) * width, from: lo, to: hi };
}

function axisLines(ax: TimeAxis, top: number, bottom: number): string[] {
  const out: string[] = [];
  const starts = monthStarts(ax.from, ax.to);
  const step = starts.length > 18 ? 3 : 1;
  starts.forEach((d, i) => {
    out.push(`<line x1="${n1(ax.x(d))}" y1="${top}" x2="${n1(ax.x(d))}" y2="${bottom}" stroke="#eee"/>`);
    if (i % step === 0) out.push(`<text x="${n1(ax.x(d))}" y="${bottom + 14}" font-size="10" text-anchor="middle">${isoDay(d).slice(0, 7)}</text>`);
  });
  return out;
}

/** A whisker over the possible days of a month-precision date. */
function rangeWhisker(ax: TimeAxis, d: CourseDate, y: number): string {
  if (d.precision === 'day') return '';
  return `<line class="date-range" x1="${n1(ax.x(d.earliest))}" y1="${y}" x2="${n1(ax.x(d.latest + 1))}" y2="${y}" stroke="#555" stroke-width="1" stroke-dasharray="2 2"/>`;
}

export function timelineSvg(a: CourseAnalysis, width = 960): string {
  const c = a.course;
  const left = 230;
  const right = 20;
  const rowH = 26;
  const top = 24;
  const rows = c.treatments.length + 2;
  const plotBottom = top + rows * rowH;
  const height = plotBottom + 40;
  const days: number[] = [c.diagnosis.date.day];
  for (const t of c.treatments) days.push(t.start.earliest, treatmentEnd(t).latest);
  for (const m of c.imaging) days.push(m.date.earliest, m.date.latest);
  for (const e of c.events) days.push(e.date.earliest, e.date.latest);
  const ax = timeAxis(days, left, width - left - right);
  const title = `Clinical course of ${c.patient.id}`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<rect x="${left}" y="${top}" width="${width - left - right}" height="${plotBottom - top}" fill="none" stroke="#888"/>`,
    ...axisLines(ax, top, plotBottom),
  ];
  c.treatments.forEach((t, i) => {
    const y = top + i * rowH;
    const end = treatmentEnd(t);
    // the bar covers every day its dates allow: a month-precision date contributes its whole month
    const x0 = ax.x(t.start.earliest);
    const x1 = Math.max(ax.x(end.latest + 1), x0 + 3);
    const colour = KIND_COLOUR[t.kind] ?? '#444';
    const imprecise = t.start.precision === 'month' || end.precision === 'month';
    out.push(`<text x="${left - 6}" y="${y + rowH / 2 + 4}" font-size="11" text-anchor="end">${esc(t.name.length > 36 ? `${t.name.slice(0, 35)}…` : t.name)}</text>`);
    out.push(
      `<rect class="treatment-bar" data-id="${esc(t.id)}" data-kind="${t.kind}" x="${n1(x0)}" y="${y + 6}" width="${n1(x1 - x0)}" height="${rowH - 12}" fill="${colour}" fill-opacity="${imprecise ? 0.45 : 0.8}"${imprecise ? ' stroke-dasharray="3 2"' : ''} stroke="${colour}"><title>${esc(`${t.name}: ${t.start.text} to ${end.text}`)}</title></rect>`,
    );
    for (const [k, d] of (t.fractions?.dates ?? []).entries()) {
      const x = n1(ax.x(d.day + 0.5));
      out.push(`<line class="fraction-tick" x1="${x}" y1="${y + 2}" x2="${x}" y2="${y + rowH - 2}" stroke="#000" stroke-width="1.5"><title>fraction ${k + 1}: ${esc(d.text)}</title></line>`);
    }
  });
  // imaging row
  const yImg = top + c.treatments.length * rowH;
  out.push(`<text x="${left - 6}" y="${yImg + rowH / 2 + 4}" font-size="11" text-anchor="end">imaging (RECIST 1.1)</text>`);
  const recist = a.response.criteria.find((r) => r.criterion === 'RECIST 1.1');
  for (const m of c.imaging) {
    const tp = recist?.timePoints.find((p) => p.imaging === m.id);
    const label = tp !== undefined ? tp.category : m.id === a.response.baselineImaging ? 'baseline' : (m.assessment ?? '');
    const colour = tp !== undefined ? (CATEGORY_COLOUR[tp.category] ?? '#444') : '#444';
    const x = n1(ax.x(m.date.day + 0.5));
    out.push(rangeWhisker(ax, m.date, yImg + rowH / 2));
    out.push(`<circle class="imaging-marker" data-id="${esc(m.id)}" cx="${x}" cy="${yImg + rowH / 2}" r="5" fill="${colour}" stroke="#000"><title>${esc(`${m.modality} ${m.date.text}${m.assessment !== undefined ? `: ${m.assessment}` : ''}`)}</title></circle>`);
    if (label !== '') out.push(`<text class="response-label" x="${x}" y="${yImg + 5}" font-size="10" text-anchor="middle" fill="${colour}">${esc(label.length > 14 ? `${label.slice(0, 13)}…` : label)}</text>`);
  }
  // events row
  const yEv = yImg + rowH;
  const cy = yEv + rowH / 2;
  out.push(`<text x="${left - 6}" y="${cy + 4}" font-size="11" text-anchor="end">events</text>`);
  for (const e of c.events) {
    const x = ax.x(e.date.day + 0.5);
    out.push(rangeWhisker(ax, e.date, cy));
    const tip = `<title>${esc(`${e.kind} ${e.date.text}: ${e.text}`)}</title>`;
    if (e.kind === 'death') {
      out.push(`<path class="event-marker" data-kind="death" d="M${n1(x - 5)},${cy - 5} L${n1(x + 5)},${cy + 5} M${n1(x - 5)},${cy + 5} L${n1(x + 5)},${cy - 5}" stroke="#000" stroke-width="2.5" fill="none">${tip}</path>`);
    } else if (e.kind === 'progression') {
      out.push(`<path class="event-marker" data-kind="progression" d="M${n1(x)},${cy - 6} L${n1(x + 6)},${cy} L${n1(x)},${cy + 6} L${n1(x - 6)},${cy} Z" fill="#d62728" stroke="#000">${tip}</path>`);
    } else {
      out.push(`<rect class="event-marker" data-kind="${e.kind}" x="${n1(x - 4)}" y="${cy - 4}" width="8" height="8" fill="#999" stroke="#000">${tip}</rect>`);
    }
  }
  out.push('</svg>');
  return out.filter((s) => s !== '').join('\n');
}

export function markersSvg(a: CourseAnalysis, width = 760, height = 360): string {
  const labs = a.course.labs;
  const left = 70;
  const right = 170;
  const top = 16;
  const bottom = 44;
  const pw = width - left - right;
  const ph = height - top - bottom;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Tumour markers">`,
    '<title>Tumour markers (log scale)</title>',
    `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`,
  ];
  const positive = labs.filter((l) => l.measured.value > 0);
  if (positive.length === 0) {
    out.push(`<text x="${left + pw / 2}" y="${top + ph / 2}" font-size="12" text-anchor="middle">no laboratory values</text>`, '</svg>');
    return out.join('\n');
  }
  const ax = timeAxis(positive.flatMap((l) => [l.date.earliest, l.date.latest]), left, pw);
  const lo = Math.floor(Math.log10(Math.min(...positive.map((l) => l.measured.value))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive.map((l) => l.measured.value)))));
  const Y = (v: number): number => top + (1 - (Math.log10(v) - lo) / (hi - lo)) * ph;
  out.push(...axisLines(ax, top, top + ph));
  for (let p = lo; p <= hi; p++) {
    out.push(`<line x1="${left}" y1="${n1(Y(10 ** p))}" x2="${left + pw}" y2="${n1(Y(10 ** p))}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${n1(Y(10 ** p) + 4)}" font-size="10" text-anchor="end">1e${p}</text>`);
  }
  out.push(`<text x="14" y="${top + ph / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 14 ${top + ph / 2})">value (log scale, unit per series)</text>`);
  const series = new Map<string, typeof labs>();
  for (const l of positive) {
    const key = `${l.marker} (${l.unit})`;
    series.set(key, [...(series.get(key) ?? []), l]);
  }
  [...series.entries()].forEach(([name, list], i) => {
    const colour = SERIES_COLOUR[i % SERIES_COLOUR.length]!;
    const s = [...list].sort((p, q) => p.date.day - q.date.day);
    if (s.length > 1) {
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.2" points="${s.map((l) => `${n1(ax.x(l.date.day))},${n1(Y(l.measured.value))}`).join(' ')}"/>`);
    }
    for (const l of s) {
      const x = ax.x(l.date.day);
      const y = Y(l.measured.value);
      const c = l.measured.censor;
      const tip = `<title>${esc(`${l.marker} ${l.date.text}: ${c !== undefined ? `${c} ` : ''}${l.measured.value} ${l.unit}`)}</title>`;
      out.push(rangeWhisker(ax, l.date, y));
      if (c === undefined) {
        out.push(`<circle class="lab-point" cx="${n1(x)}" cy="${n1(y)}" r="4" fill="${colour}" stroke="${colour}">${tip}</circle>`);
      } else {
        const dir = c === '>' ? -1 : 1; // '>' : the true value is higher, up the page
        const tipY = y + dir * 18;
        out.push(`<circle class="lab-point censored" cx="${n1(x)}" cy="${n1(y)}" r="4.5" fill="#fff" stroke="${colour}" stroke-width="1.5">${tip}</circle>`);
        out.push(
          `<path class="censor-arrow" d="M${n1(x)},${n1(y + dir * 5)} L${n1(x)},${n1(tipY)} M${n1(x - 4)},${n1(tipY - dir * 5)} L${n1(x)},${n1(tipY)} L${n1(x + 4)},${n1(tipY - dir * 5)}" stroke="${colour}" stroke-width="1.5" fill="none"/>`,
        );
      }
    }
    const ly = top + 16 * i + 10;
    out.push(`<circle cx="${left + pw + 14}" cy="${ly}" r="4" fill="${colour}"/>`);
    out.push(`<text x="${left + pw + 22}" y="${ly + 4}" font-size="11">${esc(name)}</text>`);
  });
  const ly = top + 16 * series.size + 14;
  out.push(`<circle cx="${left + pw + 14}" cy="${ly}" r="4" fill="#fff" stroke="#444"/>`);
  out.push(`<text x="${left + pw + 22}" y="${ly + 4}" font-size="11">censored (assay limit)</text>`);
  out.push('</svg>');
  return out.join('\n');
}
