// `modulargan backends`: which tfjs backends load here, which do not and why, and how fast
// each runs the conv kernels a GAN needs (core/engine's probeBackends), as lines or JSON.

import { type BackendBench, type CandidateReport, probeBackends } from '../core/engine/backends';

export interface BackendsOptions {
  json?: boolean;
  quick?: boolean;
  /** Benchmark the backends that load (default true; --no-bench turns it off). */
  bench?: boolean;
  /** 'auto' or one backend to require. */
  backend?: string;
}

function formatDetails(details: Record<string, unknown>): string {
  const parts = Object.entries(details).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  return parts.length ? `\n      ${parts.join('; ')}` : '';
}

function formatCandidate(c: CandidateReport): string {
  return `  ${c.name.padEnd(14)} ${c.status.padEnd(10)} ${c.reason}${formatDetails(c.details)}`;
}

function formatBench(b: BackendBench): string[] {
  const lines = [`  ${b.backend} (tfjs '${b.tfjsName}')${b.scaledDown ? ', conv layers at batch 1 and 1/8 of the channels' : ''}:`];
  for (const r of b.results) {
    const what = `${r.op}${r.variant ? ` [${r.variant}]` : ''}`.padEnd(26);
    const result = r.error ? `error: ${r.error}` : `${String(r.gflops).padStart(7)} GFLOP/s  ${String(r.ms).padStart(8)} ms`;
    lines.push(`    ${what} ${r.case.padEnd(28)} ${result}`);
  }
  return lines;
}

/** Returns the exit code: 0 when a backend is active, 1 when the requested one cannot be used. */
export async function backendsCommand(opts: BackendsOptions, print: (line: string) => void): Promise<number> {
  const probe = await probeBackends(opts);
  if (!probe.ok) {
    if (opts.json) print(JSON.stringify({ error: probe.message, candidates: probe.candidates }));
    else [`error: ${probe.message}`, ...probe.candidates.map(formatCandidate)].forEach((l) => print(l));
    return 1;
  }
  const { report, bench } = probe;
  if (opts.json) {
    print(JSON.stringify({ ...report, ...(bench ? { microbench: bench } : {}) }));
    return 0;
  }
  print(`Backends (active: ${report.active}):`);
  report.candidates.forEach((c) => print(formatCandidate(c)));
  if (bench) {
    print(`Micro-benchmark${opts.quick ? ' (--quick: one timed run each)' : ''}:`);
    Object.values(bench).forEach((b) => formatBench(b).forEach((l) => print(l)));
  }
  return 0;
}
