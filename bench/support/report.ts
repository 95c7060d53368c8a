// What the benchmarks print with: whole numbers with thousands separators, medians, and tables
// of right-aligned columns (the first one left-aligned).

/** `n` rounded, with thousands separators (`12,345`). */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The middle item of `items` ordered by `key` (the upper one of an even count). */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new RangeError('the median of nothing');
  return middle;
}

/** The median of `values` (the upper middle one of an even count). */
export function median(values: readonly number[]): number {
  return medianBy(values, (v) => v);
}

/** Prints `header`, a rule, then `rows`, each column as wide as its widest cell. */
export function printColumns(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

/** The `q` quantile (0..1) of `values`, the nearest item by rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const item =
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  if (item === undefined) throw new RangeError('a quantile of nothing');
  return item;
}
