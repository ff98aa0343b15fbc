/** Plain-text tables for terminal output. */

export type Align = 'left' | 'right';

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const cell = (s: string, c: number): string =>
    (align?.[c] ?? 'left') === 'right' ? s.padStart(widths[c]!) : s.padEnd(widths[c]!);
  const line = (r: readonly string[]): string => r.map((s, c) => cell(s, c)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
