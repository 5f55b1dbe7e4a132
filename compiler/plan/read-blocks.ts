// Blocks of H that a step's products can skip. Which blocks of a product's result anything reads:
// `const [hf, ,] = linear('hh', h, 2)` keeps one chunk of the product and drops the other (MGU and GRU with the
// reset gate before the product apply the same weight_hh to h and to a gated h, and read different chunks of
// each), so the dropped columns need never be computed. And which blocks of a product's operand are zeros by
// construction: the backward's cotangent of that product is the kept chunk's, with zeros in place of the dropped
// one, so those rows of the weight add nothing. For MGU each is half of a step's recurrent multiply-adds.
import type { Graph } from '../../ir/graph.js';
import { usersOf } from '../../ir/graph.js';
import { opDef } from '../../ir/ops.js';
import { sameShape } from '../../ir/shape.js';
import type { CompiledCell } from '../compiled-cell.js';

/** The blocks of H (indices 0 .. k-1 of a [kH] value) that are read; 'all' when not known to be fewer. */
export type BlockReads = 'all' | ReadonlySet<number>;

/** Blocks of H in a value of shape [kH]; 0 for any other shape. */
const blockCount = (graph: Graph, id: number): number => {
  const s = graph.nodes[id]!.shape;
  return s.length === 1 && s[0]!.sym === 'H' ? s[0]!.mult : 0;
};

/**
 * Per node of `graph`, the blocks of its value that some reader reads. A chunk reads its own blocks; an
 * elementwise op of the same shape reads, of each operand, the blocks read of its result; every other reader
 * (a product, a reduction, a concat, an output) reads everything. `external` adds readers outside the graph
 * (the backward step's reads of the values the forward saves).
 */
export function readBlocks(graph: Graph, external: ReadonlyMap<number, BlockReads> = new Map()): BlockReads[] {
  const users = usersOf(graph);
  const reads: BlockReads[] = graph.nodes.map(() => 'all');
  const outputs = new Set(graph.outputs.map((o) => o.id));
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    const k = blockCount(graph, id);
    if (k < 2 || outputs.has(id)) continue;
    const read = new Set<number>();
    const add = (r: BlockReads): boolean => {
      if (r === 'all') return false;
      for (const b of r) read.add(b);
      return true;
    };
    const extra = external.get(id);
    let known = extra === undefined || add(extra);
    for (const u of users[id]!) {
      if (!known) break;
      const user = graph.nodes[u]!;
      if (user.op === 'chunk') {
        const count = Number(user.attrs.count);
        if (k % count !== 0) {
          known = false;
          break;
        }
        // chunk `index` of `count` is blocks index·k/count .. (index+1)·k/count − 1; of those, the ones its readers read
        const per = k / count;
        const first = Number(user.attrs.index) * per;
        const inner = reads[u]!;
        for (let b = 0; b < per; b++) if (inner === 'all' || inner.has(b)) read.add(first + b);
      } else if (opDef(user.op).kind === 'elementwise' && sameShape(user.shape, graph.nodes[id]!.shape)) {
        known = add(reads[u]!);
      } else {
        known = false;
      }
    }
    if (known) reads[id] = read;
  }
  return reads;
}

/** The forward step's reads, counting the backward step's reads of every value the forward keeps for it. */
export function forwardReadBlocks(cell: CompiledCell): BlockReads[] {
  const bw = cell.backward.graph;
  const backwardReads = readBlocks(bw);
  const savedNode = new Map(bw.nodes.filter((n) => n.op === 'saved').map((n) => [String(n.attrs.name), n.id]));
  const external = new Map<number, BlockReads>();
  for (const s of cell.backward.saved) {
    const id = savedNode.get(s.name);
    external.set(s.id, id === undefined ? 'all' : backwardReads[id]!);
  }
  return readBlocks(cell.graph, external);
}

/**
 * The column ranges [from, to) of a product of `N` columns that are read, as runs of whole blocks of H; one range
 * of all N when every block is read or the product is not whole blocks of H.
 */
export function readColumns(reads: BlockReads, N: number, H: number): [number, number][] {
  if (reads === 'all' || N % H !== 0) return [[0, N]];
  const runs: [number, number][] = [];
  for (let b = 0; b < N / H; b++) {
    if (!reads.has(b)) continue;
    const last = runs.at(-1);
    if (last && last[1] === b * H) last[1] += H;
    else runs.push([b * H, (b + 1) * H]);
  }
  return runs;
}

/**
 * Per node of `graph`, the blocks of H of its value that are zeros by construction: a broadcast 0 (autodiff's
 * cotangent of a dropped chunk, inside a concat), and what a concat, add or neg keeps of them. Only ops that give
 * an exact zero from zeros whatever their other operands hold (not mul: 0·∞ is NaN).
 */
export function zeroBlocks(graph: Graph): ReadonlySet<number>[] {
  const zeros: Set<number>[] = [];
  for (const n of graph.nodes) {
    const z = new Set<number>();
    const k = blockCount(graph, n.id);
    const arg = (i: number) => zeros[n.args[i]!]!;
    if (k === 0) {
      // not whole blocks of H
    } else if (n.op === 'broadcast' && graph.nodes[n.args[0]!]!.op === 'const' && graph.nodes[n.args[0]!]!.attrs.value === 0) {
      for (let b = 0; b < k; b++) z.add(b);
    } else if (n.op === 'concat') {
      let at = 0;
      for (let i = 0; i < n.args.length; i++) {
        for (const b of arg(i)) z.add(at + b);
        at += blockCount(graph, n.args[i]!);
      }
    } else if (n.op === 'add' && n.args.every((a) => blockCount(graph, a) === k)) {
      for (const b of arg(0)) if (arg(1).has(b)) z.add(b);
    } else if (n.op === 'neg') {
      for (const b of arg(0)) z.add(b);
    }
    zeros.push(z);
  }
  return zeros;
}

/** The rows [from, to) of a product's K that can be non-zero: the blocks of H between the first and last that are not zeros. */
export function nonZeroRows(zeros: ReadonlySet<number>, K: number, H: number): [number, number] {
  if (zeros.size === 0 || K % H !== 0) return [0, K];
  const live = Array.from({ length: K / H }, (_, b) => b).filter((b) => !zeros.has(b));
  return live.length ? [live[0]! * H, (live.at(-1)! + 1) * H] : [0, 0];
}
