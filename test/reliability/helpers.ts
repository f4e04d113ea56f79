// Shared by the reliability tests: running the CLI in-process, temporary folders, and the growth check that
// stands in for a wall-clock bound (these machines are shared and noisy, so only a ratio is asserted).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { main } from '../../src/cli/main';

export const EXAMPLES = path.resolve(__dirname, '../../examples');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `unroll …` in this process, with the output captured. */
export async function runCli(argv: string[], cwd = EXAMPLES): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false, columns: 100 },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
  });
  return { code, stdout, stderr };
}

/** A fresh temporary folder per test; removed after it. Call inside a describe block. */
export function useTempDir(prefix = 'unroll-rel-'): () => string {
  let dir = '';
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), prefix))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** The fastest of `repeats` runs, in ms: the least disturbed by other load on the machine. */
export async function fastestMs(run: () => unknown, repeats = 3): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/**
 * Runs `work(n)` and `work(10 n)` and asserts the time grew about linearly: a 10× input may take at most
 * `maxRatio` times as long (a quadratic cost would give ~100×). Returns both times for the log.
 */
export async function assertLinearGrowth(
  what: string,
  work: (n: number) => unknown,
  n: number,
  maxRatio = 30,
): Promise<{ small: number; large: number; ratio: number }> {
  await work(n); // warm-up: JIT and lazy initialization are not part of the growth
  const small = await fastestMs(() => work(n));
  const large = await fastestMs(() => work(10 * n));
  // Below a millisecond the small run is timer noise; compare against at least 1 ms.
  const ratio = large / Math.max(small, 1);
  assert.ok(
    ratio <= maxRatio,
    `${what}: 10× the input took ${ratio.toFixed(1)}× as long (${small.toFixed(1)} → ${large.toFixed(1)} ms); expected about linear`,
  );
  return { small, large, ratio };
}

export interface MeasuredRun extends CliRun {
  /** Peak resident memory of the run above the process's own after start-up (modules loaded). */
  growthBytes: number;
}

/** `unroll …` in a child process (`nodeOptions` e.g. a heap cap), with how much memory the run added at its peak. */
export function runCliMeasured(argv: string[], cwd: string, nodeOptions: string[] = []): MeasuredRun {
  const child = spawnSync(
    process.execPath,
    [...nodeOptions, '--import', 'tsx', path.join(__dirname, 'peakChild.ts'), cwd, ...argv],
    {
      cwd: path.resolve(__dirname, '../..'),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const line = child.stdout.trim().split('\n').pop() ?? '';
  assert.ok(
    line.startsWith('{'),
    `the child ended without a report (status ${child.status}, signal ${child.signal}): ${child.stderr.slice(-2000)}`,
  );
  const report = JSON.parse(line) as { code: number; stderr: string; baselineBytes: number; peakBytes: number };
  return { code: report.code, stdout: '', stderr: report.stderr, growthBytes: report.peakBytes - report.baselineBytes };
}
