// Fuzz cases: a random cell (the autodiff property test's generator) with optional "exposed" terms added to its
// new states, and a random run configuration (shapes, layers, directions, merge, lengths, initial states, ...).
import fc from 'fast-check';
import type { MergeMode } from '../index.js';
import type { DiffConfig } from '../test/helpers/differential.js';
import { randomCellDescription, renderCell, STATE_NAMES, type CellDescription } from '../test/unit/autodiff/random-cells.js';

/** A term added to one state's new value. */
export type Tail = 'none' | 'param' | 'linear';
export type Forms = 'plain' | 'all';

/** One fuzz case: a cell, the extra output terms, and the run configuration. */
export interface FuzzCase {
  readonly cell: CellDescription;
  /** One per state (h, c, m); ignored past the cell's state count. */
  readonly tails: readonly Tail[];
  readonly config: DiffConfig;
}

/** The source text of a case's cell. */
export function caseSource(c: FuzzCase): string {
  let source = renderCell(c.cell);
  const states = STATE_NAMES.slice(0, c.cell.states.length);
  const extra = new Set<string>();
  states.forEach((s, i) => {
    const tail = c.tails[i] ?? 'none';
    if (tail === 'none') return;
    const term = tail === 'param' ? `param('ob_${s}')` : `linear('ob_${s}', x)`;
    extra.add(tail);
    source = source.replace(new RegExp(`(return \\{.*\\b${s}: ${s}_next)\\b`), `$1 + ${term}`);
  });
  if (extra.size > 0) {
    source = source.replace(/^import \{ ([^}]*) \} from 'cellforge\/dsl';/, (_m, names: string) => {
      const all = new Set(names.split(', '));
      extra.forEach((f) => all.add(f));
      const sorted = [...all].filter((n) => n !== 'cell').sort();
      return `import { ${['cell', ...sorted].join(', ')} } from 'cellforge/dsl';`;
    });
  }
  return source;
}

const MERGES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'mean'];

/** Random shapes and sequence features (every one shrinks towards the simplest run). */
export const configArb: fc.Arbitrary<DiffConfig> = fc
  .record({
    steps: fc.integer({ min: 1, max: 6 }),
    batch: fc.integer({ min: 1, max: 4 }),
    inputSize: fc.integer({ min: 1, max: 5 }),
    hiddenSize: fc.integer({ min: 1, max: 6 }),
    numLayers: fc.integer({ min: 1, max: 2 }),
    bidirectional: fc.boolean(),
    merge: fc.constantFrom(...MERGES),
    /** Per example, clipped to 1..T; empty: no lengths. */
    lengths: fc.option(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 4, maxLength: 4 }), { nil: undefined }),
    initialStates: fc.boolean(),
    truncate: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    batchFirst: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  })
  .map((r) => {
    const cfg: DiffConfig = {
      steps: r.steps,
      batch: r.batch,
      inputSize: r.inputSize,
      hiddenSize: r.hiddenSize,
      numLayers: r.numLayers,
      bidirectional: r.bidirectional,
      ...(r.bidirectional && r.merge !== 'concat' ? { merge: r.merge } : {}),
      ...(r.lengths ? { lengths: r.lengths.slice(0, r.batch).map((l) => Math.min(l, r.steps)) } : {}),
      ...(r.initialStates ? { initialStates: true } : {}),
      ...(r.truncate !== undefined && r.truncate < r.steps ? { truncate: r.truncate } : {}),
      ...(r.batchFirst ? { batchFirst: true } : {}),
      seed: r.seed,
    };
    return cfg;
  });

const tailArb = (forms: Forms): fc.Arbitrary<Tail> =>
  forms === 'plain' ? fc.constant<Tail>('none') : fc.oneof({ arbitrary: fc.constant<Tail>('none'), weight: 2 }, fc.constantFrom<Tail>('param', 'linear'));

export function caseArb(forms: Forms = 'all'): fc.Arbitrary<FuzzCase> {
  return fc.record({
    cell: randomCellDescription,
    tails: fc.array(tailArb(forms), { minLength: 3, maxLength: 3 }),
    config: configArb,
  });
}
