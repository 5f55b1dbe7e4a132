// The results' shape (also what bench/results.json holds) and the printed tables.
import os from 'node:os';
import type { Mode } from './cases.js';
import type { CompileTime } from './contenders/cellforge.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

export function machineInfo(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export interface ContenderInfo {
  name: string;
  description: string;
  /** Set when the contender could not be loaded at all. */
  unavailable?: string;
}

export interface CellResult {
  status: 'ok' | 'n/a' | 'error';
  reason?: string;
  medianMs?: number;
  gflops?: number;
  /** Interquartile range / median, when there are at least 4 samples. */
  relIqr?: number;
  /** Each sample (ms per call) is the mean of this many back-to-back calls (short runs only). */
  callsPerSample?: number;
  samplesMs?: number[];
  warmupMs?: number[];
  /** n/a for being too slow: the expected ms of one run. */
  estimatedMs?: number;
}

export interface RowResult {
  case: string;
  cell: string;
  size: string;
  mode: Mode;
  dims: { B: number; X: number; H: number; T: number };
  flops: number;
  rounds: number;
  contenders: Record<string, CellResult>;
  /** Forward mode: max |difference| of each contender's output from the oracle contender's. */
  agreement?: { oracle: string; maxAbsDiff: Record<string, number> };
}

export interface Report {
  machine: Machine;
  date: string;
  options: { quick: boolean; maxRounds: number; rowBudgetS: number; cases: string[]; backends: string[] };
  flopNote: string;
  contenders: ContenderInfo[];
  rows: RowResult[];
  compile: CompileTime[];
  /** One square matrix product (size³), GFLOP/s: how far the wasm GEMM is from the machine's native limit. */
  gemm?: { size: number; rounds: number; results: { name: string; gflops: number | null; note?: string }[] };
  totalSeconds: number;
}

// ---------------------------------------------------------------- formatting

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
const fmtGf = (g: number): string => (g >= 10 ? g.toFixed(1) : g >= 0.1 ? g.toFixed(2) : g.toPrecision(2));
const fmtRatio = (r: number): string => (r >= 10 ? `${r.toFixed(0)}×` : r >= 0.1 ? `${r.toFixed(2)}×` : `${r.toPrecision(2)}×`);

function grid(header: string[], rows: string[][], rightFrom = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const rowLabel = (r: RowResult) => `${r.case} ${r.mode}`;

/** Samples per contender in a row: `7`, or `3-9` when slow contenders took part in fewer rounds. */
function sampleRange(r: RowResult): string {
  const ns = Object.values(r.contenders).filter((c) => c.status === 'ok' && c.samplesMs).map((c) => c.samplesMs!.length);
  if (!ns.length) return '0';
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

function cellText(c: CellResult | undefined): string {
  if (!c) return '';
  if (c.status === 'ok' && c.medianMs !== undefined) return `${fmtMs(c.medianMs)} (${fmtGf(c.gflops ?? NaN)})`;
  return c.status === 'error' ? 'error' : 'n/a';
}

/** The fastest cellforge backend of a row; the reference interpreter counts only when no fast backend ran. */
export function cellforgeBest(r: RowResult, names: readonly string[]): { name: string; ms: number } | undefined {
  const ok = names
    .filter((n) => n.startsWith('cf-') && r.contenders[n]?.status === 'ok')
    .map((n) => ({ name: n, ms: r.contenders[n]!.medianMs! }));
  const fast = ok.filter((o) => o.name !== 'cf-reference');
  const pool = fast.length ? fast : ok;
  return pool.sort((a, b) => a.ms - b.ms)[0];
}

export function formatReport(rep: Report): string {
  const out: string[] = [];
  const m = rep.machine;
  const names = rep.contenders.map((c) => c.name);
  const peers = names.filter((n) => !n.startsWith('cf-'));
  out.push(`cellforge bench — ${rep.date}${rep.options.quick ? '  (--quick: 1 round, reduced T — a smoke run, not a measurement)' : ''}`);
  out.push(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}, load avg at start ${m.loadAverage.join(' ')}`);
  out.push('');
  out.push('contenders:');
  for (const c of rep.contenders) out.push(`  ${c.name.padEnd(13)} ${c.unavailable ? `n/a: ${c.unavailable}` : c.description}`);
  out.push('');
  out.push(
    `median ms per run (GFLOP/s) — interleaved round-robin, ${
      rep.options.quick
        ? '1 round, no warm-up'
        : `after warm-up (runs for 0.5 s, at least 2 and at most 40; 1 when a run takes > 2 s), up to ${rep.options.maxRounds} rounds; a contender takes part in as many rounds as fit its time share (min 3; min 2 for runs over 5 s, 1 once the run is past its 7-minute budget): "samples" is the range per row; a sample of a run under 25 ms is the mean of back-to-back calls lasting >= 25 ms; before each sample a 50 ms pause and, for runs under 1 s, one untimed run`
    }`,
  );
  out.push(rep.flopNote);
  out.push(
    grid(
      ['case', 'B', 'X', 'H', 'T', 'samples', ...names],
      rep.rows.map((r) => [rowLabel(r), String(r.dims.B), String(r.dims.X), String(r.dims.H), String(r.dims.T), sampleRange(r), ...names.map((n) => cellText(r.contenders[n]))]),
    ),
  );
  out.push('');
  out.push('cellforge best vs each peer: peer median ms / cellforge best median ms (> 1: cellforge faster; cf-reference counts only when no fast backend ran)');
  out.push(
    grid(
      ['case', 'cellforge best', ...peers],
      rep.rows.map((r) => {
        const best = cellforgeBest(r, names);
        return [
          rowLabel(r),
          best ? `${best.name} ${fmtMs(best.ms)} ms` : 'n/a',
          ...peers.map((p) => {
            const c = r.contenders[p];
            if (!best || c?.status !== 'ok' || c.medianMs === undefined) return 'n/a';
            return fmtRatio(c.medianMs / best.ms);
          }),
        ];
      }),
    ),
  );
  out.push('');
  // n/a and errors: one line per (contender, reason), with the rows it covers.
  const reasons = new Map<string, string[]>();
  for (const r of rep.rows) {
    for (const n of names) {
      const c = r.contenders[n];
      if (!c || c.status === 'ok') continue;
      const key = `${n}\0${c.status === 'error' ? 'error' : 'n/a'}: ${c.reason ?? ''}`;
      reasons.set(key, [...(reasons.get(key) ?? []), rowLabel(r)]);
    }
  }
  if (reasons.size) {
    out.push('not run:');
    for (const [key, rows] of reasons) {
      const [n, why] = key.split('\0') as [string, string];
      const where = rows.length === rep.rows.length ? 'all rows' : rows.join(', ');
      out.push(`  ${n.padEnd(13)} ${why}  [${where}]`);
    }
    out.push('');
  }
  const agree = rep.rows.filter((r) => r.agreement && Object.keys(r.agreement.maxAbsDiff).length);
  if (agree.length) {
    out.push('forward outputs agree (max |difference| from the oracle contender; same weights and input; brain.js has its own weights):');
    for (const r of agree) {
      const a = r.agreement!;
      out.push(`  ${r.case.padEnd(8)} vs ${a.oracle}: ${Object.entries(a.maxAbsDiff).map(([n, d]) => `${n} ${d.toExponential(1)}`).join(', ')}`);
    }
    out.push('');
  }
  const noisy = rep.rows
    .flatMap((r) => names.map((n) => ({ what: `${rowLabel(r)} ${n}`, iqr: r.contenders[n]?.relIqr ?? 0 })))
    .filter((x) => x.iqr > 0.2)
    .sort((a, b) => b.iqr - a.iqr);
  const measured = rep.rows.reduce((k, r) => k + Object.values(r.contenders).filter((c) => c.relIqr !== undefined).length, 0);
  if (noisy.length) {
    const worst = noisy.slice(0, 6).map((x) => `${x.what} ±${Math.round(x.iqr * 50)}%`);
    out.push(`noisy: ${noisy.length} of ${measured} cells have an interquartile range over 20% of the median; worst: ${worst.join(', ')}`, '');
  }
  if (rep.compile.length) {
    out.push('cellforge compile time per sample cell (ts-morph warm; median of fresh sources, cache defeated), ms:');
    out.push(
      grid(
        ['cell', 'frontend', 'autodiff', 'total', 'emit js'],
        rep.compile.map((c) => [
          c.cell,
          c.frontendMs.toFixed(1),
          c.autodiffMs.toFixed(1),
          (c.frontendMs + c.autodiffMs + (c.emitJsMs ?? 0)).toFixed(1),
          c.emitJsMs !== undefined ? c.emitJsMs.toFixed(1) : 'n/a',
        ]),
      ),
    );
    const note = rep.compile.find((c) => c.emitJsNote)?.emitJsNote;
    if (note) out.push(`emit js n/a: ${note}`);
    out.push('');
  }
  if (rep.gemm) {
    out.push(`one GEMM C = A·B at ${rep.gemm.size}×${rep.gemm.size}×${rep.gemm.size}, GFLOP/s (median of ${rep.gemm.rounds} interleaved round${rep.gemm.rounds > 1 ? 's' : ''}, each a median of 9 products):`);
    out.push(grid(['contender', 'GFLOP/s'], rep.gemm.results.map((g) => [g.name, g.gflops !== null ? fmtGf(g.gflops) : `n/a${g.note ? `: ${g.note}` : ''}`])));
    out.push('');
  }
  out.push(`total bench time ${rep.totalSeconds.toFixed(0)} s`);
  return out.join('\n');
}
