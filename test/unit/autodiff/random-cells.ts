// A fast-check generator of random cells, as cell SOURCE TEXT, for property tests of the derived backward.
//
// A cell has 1-3 states (h, c, m). Each new state is an expression tree (depth 1-4) over input projections
// `linear('ih_k', x, n)`, recurrent projections `linear('hh_k', s, n)`, the old states, numeric literals,
// `param('p_k')`, computed `split(...)` chunks, and every op of the language. Ops that are unbounded or have a
// restricted domain are written in guarded forms (`a / (1.5 + b * b)`, `exp(tanh(e))`, `log(2 + tanh(e))`,
// `sqrt(1 + e * e)`), any sub-expression whose rough magnitude bound exceeds 3 is squashed with tanh, and each
// new state is `tanh(e)` or a sigmoid-gated convex combination of the old state and `tanh(e)`, so the values stay
// bounded and central finite differences stay accurate.
//
// Kinks: relu, abs, min and max are non-differentiable where their argument (the difference of their arguments)
// is 0. Generic random values never sit exactly on a kink, but structural zeros do: an all-zero initial state, or
// the same sub-expression on both sides of min/max. To keep finite differences away from kinks, every kink
// argument gets its own small offset (`relu(e + 0.182843)`, `max(a, b + 0.24641)`; distinct at every site, so that
// two offset structural zeros do not tie either), so that a structural zero (h0 = 0, e - e, max(h, h)) does not
// land on the kink.
//
// layerNorm is singular where its input has zero variance: there it amplifies by 1/sqrt(1e-5) ≈ 316 (and float64
// rounding noise with it), and near it (a spread of ~0.01) central differences with step 1e-5 lose their accuracy.
// Structural zero spreads are common (a scalar plus h0 = 0, LN of a mean), so the generator writes
// `layerNorm('ln_k', e + linear('lnx_k', x))`: the projection of the input adds a generic spread. (With H = 2,
// layerNorm is a smoothed sign of the difference of its two elements, a kink in all but name, and with H = 3 near-
// singular inputs are still frequent: the property test gives cells with a layerNorm H = 4 instead of 2 or 3.)
//
// `randomCellDescription` is the shrinkable description (a plain JSON tree); `renderCell` writes its source;
// `randomCellSource` is the source text itself, so a failing property prints a readable minimal cell.
import fc from 'fast-check';

export const STATE_NAMES = ['h', 'c', 'm'] as const;

/** Unary forms: `neg` is `-e`, `exp` is `exp(tanh(e))`, `log` is `log(2 + tanh(e))`, `sqrt` is `sqrt(1 + e * e)`. */
export type UnaryOp = 'neg' | 'sigmoid' | 'tanh' | 'relu' | 'exp' | 'log' | 'sqrt' | 'abs' | 'softplus' | 'layerNorm';
/** Binary forms: `div` is `a / (1.5 + b * b)`, `mean` is `a * mean(b)`, `sum` is `a + tanh(sum(b) / 4)`. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'mean' | 'sum';

/** How a computed stacked vector is built before `split`: `lin` L, `tanh` tanh(L), `gated` L * sigmoid(L'). */
export type SplitForm = 'lin' | 'tanh' | 'gated';

export type Expr =
  /** A chunk of `linear('ih_k', x, chunks)` (chunks = 1: the whole projection); chunk indices are taken modulo chunks. */
  | { readonly kind: 'ih'; readonly chunks: number; readonly index: number }
  /** A chunk of `linear('hh_k', <old state>, chunks)`; the state index is taken modulo the number of states. */
  | { readonly kind: 'hh'; readonly state: number; readonly chunks: number; readonly index: number }
  /** An old state (index modulo the number of states). */
  | { readonly kind: 'state'; readonly state: number }
  | { readonly kind: 'lit'; readonly value: number }
  | { readonly kind: 'param' }
  /** A chunk of `split(<stacked expression over x or an old state>, chunks)`; source -1 is x. */
  | { readonly kind: 'split'; readonly source: number; readonly form: SplitForm; readonly chunks: number; readonly index: number }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly a: Expr; readonly b: Expr };

/** `tanh(e)`, or `g * s + (1 - g) * tanh(e)` with `g = sigmoid(gate)`. */
export interface StateUpdate {
  readonly expr: Expr;
  readonly gate?: Expr;
}

export interface CellDescription {
  /** One update per state, in the order h, c, m. */
  readonly states: readonly StateUpdate[];
}

export const UNARY_OPS: readonly UnaryOp[] = ['neg', 'sigmoid', 'tanh', 'relu', 'exp', 'log', 'sqrt', 'abs', 'softplus', 'layerNorm'];
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'min', 'max', 'mean', 'sum'];
/** Shrinking goes to the first literal: keep it simple and positive. */
const LITERALS = [0.5, 2, -0.75, 1.5, 0.25, -1.25, 3];

const chunks = fc.integer({ min: 1, max: 3 });
const index = fc.integer({ min: 0, max: 2 });
const stateIndex = fc.integer({ min: 0, max: 2 });

// No chain(): records of independent fields shrink field by field, so counterexamples get small.
const leafArb: fc.Arbitrary<Expr> = fc.oneof(
  { withCrossShrink: true },
  fc.record({ kind: fc.constant('ih' as const), chunks, index }),
  fc.record({ kind: fc.constant('hh' as const), state: stateIndex, chunks, index }),
  fc.record({ kind: fc.constant('state' as const), state: stateIndex }),
  fc.record({ kind: fc.constant('lit' as const), value: fc.constantFrom(...LITERALS) }),
  fc.constant({ kind: 'param' as const }),
  fc.record({
    kind: fc.constant('split' as const),
    source: fc.integer({ min: -1, max: 2 }),
    form: fc.constantFrom<SplitForm>('lin', 'tanh', 'gated'),
    chunks: fc.integer({ min: 2, max: 3 }),
    index,
  }),
);

/**
 * Expression trees with at most `d` nested ops, for d = 0..4. With cross-shrinking, a failing tree also tries its
 * subtrees' replacement by a leaf, so a counterexample keeps only the ops that matter.
 */
const exprArbs: fc.Arbitrary<Expr>[] = [leafArb];
for (let d = 1; d <= 4; d++) {
  const sub = exprArbs[d - 1]!;
  exprArbs.push(
    fc.oneof(
      { withCrossShrink: true },
      { arbitrary: leafArb, weight: 1 },
      { arbitrary: fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom(...UNARY_OPS), arg: sub }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant('binary' as const), op: fc.constantFrom(...BINARY_OPS), a: sub, b: sub }), weight: 3 },
    ),
  );
}

/** A random expression tree of depth 1-4 (at most 4 nested ops), the depth uniform; shrinks toward shallow trees. */
export const exprArb: fc.Arbitrary<Expr> = fc.oneof({ withCrossShrink: true }, exprArbs[1]!, exprArbs[2]!, exprArbs[3]!, exprArbs[4]!);

const stateUpdateArb: fc.Arbitrary<StateUpdate> = fc.record({ expr: exprArb, gate: exprArbs[2]! }, { requiredKeys: ['expr'] });

/** The shrinkable description of a random cell. */
export const randomCellDescription: fc.Arbitrary<CellDescription> = fc.record({ states: fc.array(stateUpdateArb, { minLength: 1, maxLength: 3 }) });

/** Random cell source text (shrinks through the description). */
export const randomCellSource: fc.Arbitrary<string> = randomCellDescription.map(renderCell);

interface Rendered {
  readonly code: string;
  /** A rough bound of |value| (with PyTorch-like initial weights, |x| ≤ 1 and states in [-1, 1]). */
  readonly bound: number;
  /** A scalar (a literal, or ops of literals only): not allowed where the language wants a vector. */
  readonly scalar: boolean;
}

/** Largest magnitude allowed before a value is squashed with tanh. */
const MAX_BOUND = 3;
/** The primes, for kink offsets. */
const PRIMES = Array.from({ length: 400 }, (_, i) => i + 2).filter((n) => Array.from({ length: n - 2 }, (_, j) => j + 2).every((d) => n % d !== 0));
/**
 * Offset of the k-th kink argument, so that a structural zero is not on the kink: 0.1 + 0.2 frac(sqrt(p_k)), distinct
 * values in [0.1, 0.3] without additive relations (square roots of primes are linearly independent over the
 * rationals), so that sums of offset structural zeros do not tie either.
 */
const kinkOffset = (k: number) => {
  const r = Math.sqrt(PRIMES[k % PRIMES.length]!);
  return Math.round((0.1 + 0.2 * (r - Math.floor(r))) * 1e6) / 1e6;
};

/** An array destructuring pattern with holes; a trailing hole needs one more comma (`[a, , ,]` has 3 slots). */
const pattern = (slots: readonly string[]) => `[${slots.join(', ')}${slots[slots.length - 1] === '' ? ',' : ''}]`;

const unknownOp = (e: never): never => {
  throw new Error(`unknown op in ${JSON.stringify(e)}`);
};

const fmt = (v: number) => (v < 0 ? `(${v})` : `${v}`);

/** The source text of a described cell. */
export function renderCell(desc: CellDescription): string {
  const n = desc.states.length;
  const states = STATE_NAMES.slice(0, n);
  const lines: string[] = [];
  const counters = { ih: 0, hh: 0, p: 0, ln: 0, sp: 0, g: 0, kink: 0 };
  const used = new Set<string>();
  const stateOf = (i: number) => states[((i % n) + n) % n]!;

  const linearStmt = (prefix: 'ih' | 'hh', input: string, chunks: number, index: number): string => {
    const k = counters[prefix]++;
    const name = `${prefix}${k}`;
    used.add('linear');
    if (chunks === 1) {
      lines.push(`  const ${name} = linear('${prefix}_${k}', ${input});`);
      return name;
    }
    const slots = Array.from({ length: chunks }, (_, j) => (j === index ? `${name}_${j}` : ''));
    lines.push(`  const ${pattern(slots)} = linear('${prefix}_${k}', ${input}, ${chunks});`);
    return `${name}_${index}`;
  };

  /** Make a value usable where a vector is needed: a scalar gets the first old state added. */
  const vec = (r: Rendered): Rendered => (r.scalar ? { code: `(${r.code} + ${states[0]})`, bound: r.bound + 1, scalar: false } : r);
  const squash = (r: Rendered): Rendered => {
    if (r.bound <= MAX_BOUND) return r;
    used.add('tanh');
    return { code: `tanh(${r.code})`, bound: 1, scalar: r.scalar };
  };
  const fn = (name: string) => {
    used.add(name);
    return name;
  };

  const render = (e: Expr): Rendered => {
    switch (e.kind) {
      case 'ih':
        return { code: linearStmt('ih', 'x', e.chunks, e.index % e.chunks), bound: 2, scalar: false };
      case 'hh':
        return { code: linearStmt('hh', stateOf(e.state), e.chunks, e.index % e.chunks), bound: 2, scalar: false };
      case 'state':
        return { code: stateOf(e.state), bound: 1, scalar: false };
      case 'lit':
        return { code: fmt(e.value), bound: Math.abs(e.value), scalar: true };
      case 'param':
        return { code: `${fn('param')}('p_${counters.p++}')`, bound: 1, scalar: false };
      case 'split': {
        const k = counters.sp++;
        const input = e.source < 0 ? 'x' : stateOf(e.source);
        const lin = (suffix: string) => `${fn('linear')}('sp_${k}${suffix}', ${input}, ${e.chunks})`;
        const stacked = e.form === 'lin' ? lin('') : e.form === 'tanh' ? `${fn('tanh')}(${lin('')})` : `${lin('')} * ${fn('sigmoid')}(${lin('_gate')})`;
        const at = e.index % e.chunks;
        const slots = Array.from({ length: e.chunks }, (_, j) => (j === at ? `sp${k}_${j}` : ''));
        lines.push(`  const ${pattern(slots)} = ${fn('split')}(${stacked}, ${e.chunks});`);
        return { code: `sp${k}_${at}`, bound: e.form === 'tanh' ? 1 : 2, scalar: false };
      }
      case 'unary': {
        const a = render(e.arg);
        switch (e.op) {
          case 'neg':
            return { code: `(-${a.code})`, bound: a.bound, scalar: a.scalar };
          case 'sigmoid':
          case 'tanh':
            return { code: `${fn(e.op)}(${a.code})`, bound: 1, scalar: a.scalar };
          case 'softplus':
            return squash({ code: `${fn('softplus')}(${a.code})`, bound: a.bound + 0.7, scalar: a.scalar });
          case 'relu':
          case 'abs': {
            const o = kinkOffset(counters.kink++);
            return { code: `${fn(e.op)}(${a.code} + ${o})`, bound: a.bound + o, scalar: a.scalar };
          }
          case 'exp':
            return { code: `${fn('exp')}(${fn('tanh')}(${a.code}))`, bound: Math.E, scalar: a.scalar };
          case 'log':
            return { code: `${fn('log')}(2 + ${fn('tanh')}(${a.code}))`, bound: Math.log(3), scalar: a.scalar };
          case 'sqrt':
            return squash({ code: `${fn('sqrt')}(1 + ${a.code} * ${a.code})`, bound: Math.sqrt(1 + a.bound * a.bound), scalar: a.scalar });
          case 'layerNorm': {
            const k = counters.ln++;
            return { code: `${fn('layerNorm')}('ln_${k}', ${a.code} + ${fn('linear')}('lnx_${k}', x))`, bound: 2, scalar: false };
          }
        }
        return unknownOp(e);
      }
      case 'binary': {
        const a = render(e.a);
        const b = render(e.b);
        const scalar = a.scalar && b.scalar;
        switch (e.op) {
          case 'add':
            return squash({ code: `(${a.code} + ${b.code})`, bound: a.bound + b.bound, scalar });
          case 'sub':
            return squash({ code: `(${a.code} - ${b.code})`, bound: a.bound + b.bound, scalar });
          case 'mul':
            return squash({ code: `(${a.code} * ${b.code})`, bound: a.bound * b.bound, scalar });
          case 'div':
            return squash({ code: `(${a.code} / (1.5 + ${b.code} * ${b.code}))`, bound: a.bound / 1.5, scalar });
          case 'min':
          case 'max': {
            const o = kinkOffset(counters.kink++);
            return { code: `${fn(e.op)}(${a.code}, ${b.code} + ${o})`, bound: Math.max(a.bound, b.bound + o), scalar };
          }
          case 'mean': {
            const v = vec(b);
            return squash({ code: `(${a.code} * ${fn('mean')}(${v.code}))`, bound: a.bound * v.bound, scalar: a.scalar });
          }
          case 'sum':
            return squash({ code: `(${a.code} + ${fn('tanh')}(${fn('sum')}(${vec(b).code}) / 4))`, bound: a.bound + 1, scalar: a.scalar });
        }
        return unknownOp(e);
      }
    }
  };

  const results: string[] = [];
  desc.states.forEach((update, i) => {
    const s = states[i]!;
    let body = vec(render(update.expr)).code;
    // The first state must depend on the input, also when the tree's input terms are multiplied by a zero state:
    // it gets an additive input projection.
    if (i === 0) body = `${body} + ${linearStmt('ih', 'x', 1, 0)}`;
    const out = `${s}_next`;
    fn('tanh');
    if (update.gate === undefined) {
      lines.push(`  const ${out} = tanh(${body});`);
    } else {
      const g = `g${counters.g++}`;
      lines.push(`  const ${g} = ${fn('sigmoid')}(${vec(render(update.gate)).code});`);
      lines.push(`  const ${out} = ${g} * ${s} + (1 - ${g}) * tanh(${body});`);
    }
    results.push(`${s}: ${out}`);
  });

  const imports = ['cell', ...[...used].sort()].join(', ');
  return [
    `import { ${imports} } from 'cellforge/dsl';`,
    '',
    `export default cell({ state: [${states.map((s) => `'${s}'`).join(', ')}] }, (x, { ${states.join(', ')} }) => {`,
    ...lines,
    `  return { ${results.join(', ')} };`,
    '});',
    '',
  ].join('\n');
}
