// `npm test`: runs vitest, then prints the plain closing line CI reads: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'modulargan-test-'));
const report = join(dir, 'report.json');
const vitest = join(import.meta.dirname, '..', 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let summary = null;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  // vitest failed before writing a report; the exit code below says so
}
rmSync(dir, { recursive: true, force: true });
if (summary) {
  const skipped = summary.numPendingTests + summary.numTodoTests;
  // A file that fails to load has no failed tests of its own but still fails the run.
  const failed = summary.numFailedTests || (run.status !== 0 ? summary.numFailedTestSuites || 1 : 0);
  console.log(`\n${summary.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
} else {
  console.log('\n0 passed, 1 failed');
}
process.exit(run.status ?? 1);
