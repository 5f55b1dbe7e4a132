// Medians and the interleaved (round-robin) timing loop.

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Half the spread between the lower and upper quartile, relative to the median (a noise indicator). */
export function relativeIqr(xs: readonly number[]): number {
  if (xs.length < 4) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = p * (s.length - 1);
    const lo = Math.floor(i);
    return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (i - lo);
  };
  return (q(0.75) - q(0.25)) / median(s);
}

export interface Timed {
  readonly name: string;
  /** Untimed preparation before each run. */
  before?(): Promise<void> | void;
  run(): Promise<void>;
  /** Mean ms of `reps` runs as the contender measured them (instead of timing run() here). */
  runTimed?(reps: number): Promise<number>;
  /** One untimed run before each sample (see SETTLE_MS). */
  readonly prime?: boolean;
}

/** Wall-clock milliseconds of one call. */
export async function time(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

/** Mean wall-clock milliseconds of `reps` back-to-back calls: one sample of a run too short to time alone. */
export async function timeReps(f: () => Promise<void>, reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}

/** Calls per sample so that a sample lasts at least `minMs` (runs of a few ms are dominated by timer and scheduler noise). */
export function repsFor(runMs: number, minMs: number, maxReps = 100): number {
  return Math.max(1, Math.min(maxReps, Math.ceil(minMs / Math.max(runMs, 1e-3))));
}

/**
 * Round-robin: every round runs every contender once, so slow drifts of the machine (other load, thermal, GC
 * pressure) hit all contenders alike. The starting contender rotates each round, so none is always first after
 * the previous one's garbage. A sample of a short run is the mean of `reps` calls. A contender with a cap takes part only in the first `cap` rounds (a slow one is
 * sampled fewer times, while the others go on). Returns the samples (ms) per contender name; `onError` drops a
 * contender that throws.
 */
/**
 * Between samples of different contenders: a pause, then (for a contender marked `prime`) one untimed run. On a
 * 2-core VM, onnxruntime's pool spins for 10-40 ms after a run (measured: 27 % of a core in the 100 ms after one),
 * which slows whatever runs next; and the first run after the cores were idle or busy with another contender is
 * up to 2x slower than the runs after it. The pause lets spinning pools go to sleep; the primer run pays the
 * wake-up, so each sample times warm runs of its own contender only.
 */
export const SETTLE_MS = 50;
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, SETTLE_MS));

export async function interleaved(
  runners: readonly (Timed & { readonly cap?: number; readonly reps?: number })[],
  rounds: number,
  onError: (name: string, error: unknown) => void,
): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(runners.map((r) => [r.name, []]));
  const live = new Set(runners.map((r) => r.name));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < runners.length; k++) {
      const r = runners[(k + round) % runners.length]!;
      if (!live.has(r.name) || round >= (r.cap ?? rounds)) continue;
      try {
        await settle();
        await r.before?.();
        if (r.prime) await r.run();
        samples.get(r.name)!.push(r.runTimed ? await r.runTimed(r.reps ?? 1) : await timeReps(() => r.run(), r.reps ?? 1));
      } catch (e) {
        live.delete(r.name);
        onError(r.name, e);
      }
    }
  }
  return samples;
}

/** Rounds for one contender in one row: as many as fit its time budget, between `min` and `max`. */
export function roundsFor(roundMs: number, budgetMs: number, min: number, max: number): number {
  if (!(roundMs > 0)) return max;
  return Math.max(min, Math.min(max, Math.floor(budgetMs / roundMs)));
}
