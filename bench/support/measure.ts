// Small timing helpers for the benches: bounded loops, a warm-up, and a printed table.

/** One measured case. */
export interface Measurement {
  readonly name: string;
  readonly operations: number;
  readonly bytes: number;
  readonly nanoseconds: bigint;
  /** Process CPU time (user + system, all threads) of the same round, in microseconds. */
  readonly cpuMicroseconds: number;
}

// Timed rounds per case; the fastest is reported, which filters out noise from other processes.
const ROUNDS = 3;

/**
 * Runs `run(iterations)` once to warm up (a tenth of the iterations, at least 1), then
 * {@link ROUNDS} times timed with `process.hrtime.bigint()`, and keeps the fastest round. `run`
 * does the loop itself and returns a checksum so the work cannot be optimised away.
 */
export function measure(
  name: string,
  iterations: number,
  bytesPerIteration: number,
  operationsPerIteration: number,
  run: (iterations: number) => number,
): Measurement {
  let checksum = run(Math.max(1, Math.floor(iterations / 10)));
  let best: bigint | undefined;
  let bestCpu = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    checksum += run(iterations);
    const elapsed = process.hrtime.bigint() - start;
    const used = process.cpuUsage(cpu);
    if (best === undefined || elapsed < best) {
      best = elapsed;
      bestCpu = used.user + used.system;
    }
  }
  if (checksum === -1) process.stdout.write(''); // keep checksum observable
  return {
    name,
    operations: iterations * operationsPerIteration,
    bytes: iterations * bytesPerIteration,
    nanoseconds: best ?? 0n,
    cpuMicroseconds: bestCpu,
  };
}

/**
 * Prints measurements as an aligned table: operations/s and MB/s (10^6 bytes) of wall time, and
 * operations per CPU second (useful when other processes share the machine).
 */
export function printTable(title: string, rows: readonly Measurement[]): void {
  const header = ['case', 'frames/round', 'best (ms)', 'frames/s', 'MB/s', 'frames/cpu-s'];
  const lines = rows.map((row) => {
    const seconds = Number(row.nanoseconds) / 1e9;
    return [
      row.name,
      row.operations.toLocaleString('en-US'),
      (seconds * 1000).toFixed(1),
      Math.round(row.operations / seconds).toLocaleString('en-US'),
      (row.bytes / seconds / 1e6).toFixed(1),
      Math.round(row.operations / (row.cpuMicroseconds / 1e6)).toLocaleString('en-US'),
    ];
  });
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...lines.map((line) => line[i]!.length)),
  );
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  process.stdout.write(
    `\n${title}\n${format(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`,
  );
  for (const line of lines) process.stdout.write(`${format(line)}\n`);
}
