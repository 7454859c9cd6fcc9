/** What a bench section hands back: markdown-ready tables, its targets, and raw figures for results.json. */

export interface Table {
  readonly caption?: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface TargetCheck {
  readonly target: string;
  /** The goal as a reader would state it, e.g. "≥ 3,000 /s". */
  readonly goal: string;
  readonly measured: string;
  /** null: the figure could not be measured in this run (the notes say why). */
  readonly met: boolean | null;
}

export interface SectionResult {
  readonly title: string;
  /** Said once above the tables: what was measured and how (so a number can be reproduced). */
  readonly notes: readonly string[];
  readonly tables: readonly Table[];
  readonly targets: readonly TargetCheck[];
  /** Figures as numbers, written to results.json. */
  readonly data: unknown;
}

export function targetMark(met: boolean | null): string {
  if (met === null) return '⚠️ NOT MEASURED';
  return met ? '✅' : '❌ MISSED';
}

export function renderSection(index: number, section: SectionResult): string {
  const lines: string[] = [`## ${index}. ${section.title}`, ''];
  for (const note of section.notes) lines.push(`- ${note}`);
  if (section.notes.length > 0) lines.push('');
  for (const table of section.tables) lines.push(...renderTable(table), '');
  if (section.targets.length > 0) {
    lines.push(
      ...renderTable({
        caption: 'Targets',
        headers: ['target', 'goal', 'measured', 'result'],
        rows: section.targets.map((check) => [check.target, check.goal, check.measured, targetMark(check.met)]),
      }),
      '',
    );
  }
  return lines.join('\n');
}

export function renderTable(table: Table): string[] {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  const lines: string[] = [];
  if (table.caption) lines.push(`**${table.caption}**`, '');
  lines.push(`| ${table.headers.map(escape).join(' | ')} |`);
  lines.push(`|${table.headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const row of table.rows) lines.push(`| ${row.map(escape).join(' | ')} |`);
  return lines;
}

/** A section that could not run still appears, with the reason and its targets unmarked. */
export function failedSection(title: string, error: unknown, targets: readonly string[]): SectionResult {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return {
    title,
    notes: [`Not measured: ${reason}`],
    tables: [],
    targets: targets.map((target) => ({ target, goal: '—', measured: '—', met: null })),
    data: { error: reason },
  };
}

/** Rounds to `digits` significant digits and groups thousands: 1234.5 → "1,235", 0.01234 → "0.0123". */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function ms(value: number): string {
  return `${num(value)} ms`;
}

export function percent(ratio: number): string {
  return `${num(ratio * 100, 3)} %`;
}

export function times(ratio: number): string {
  return `${num(ratio, 3)}×`;
}

export const KIB = 1_024;
export const MIB = 1_024 * KIB;

export function sizeLabel(bytes: number): string {
  if (bytes >= MIB && bytes % MIB === 0) return `${bytes / MIB} MiB`;
  if (bytes >= KIB && bytes % KIB === 0) return `${bytes / KIB} KiB`;
  return `${bytes} B`;
}
