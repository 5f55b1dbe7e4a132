// Which blocks of H of each product the step reads: a cell that drops a chunk of a linear leaves those columns
// unread, and the C backend does not compute them. Checked on the IR of the sample cells and of small cells.
import { describe, expect, it } from 'vitest';
import { builtinCell, compileCell } from '../../../index.js';
import { forwardReadBlocks, nonZeroRows, readBlocks, readColumns, zeroBlocks, type BlockReads } from '../../../compiler/plan/read-blocks.js';
import type { CompiledCell } from '../../../compiler/compiled-cell.js';

/** The blocks read of each forward matvec whose matrix is `weight`, in graph order ('all' or sorted indices). */
function productReads(cell: CompiledCell, weight: string, reads: readonly BlockReads[] = forwardReadBlocks(cell)): (string | number[])[] {
  const g = cell.graph;
  return g.nodes
    .filter((n) => n.op === 'matvec' && g.nodes[n.args[0]!]!.attrs.name === weight)
    .map((n) => {
      const r = reads[n.id]!;
      return r === 'all' ? 'all' : [...r].sort((a, b) => a - b);
    });
}

describe('blocks of a product that the step reads', () => {
  it('MGU reads chunk 0 of weight_hh·h and chunk 1 of weight_hh·(f ⊙ h); both chunks of weight_ih·x', () => {
    const mgu = builtinCell('mgu');
    expect(productReads(mgu, 'weight_hh')).toEqual([[0], [1]]);
    expect(productReads(mgu, 'weight_ih')).toEqual([[0, 1]]);
  });

  it('GRU with the reset gate before the product: r and z of weight_hh·h, n of weight_hh·(r ⊙ h)', () => {
    expect(productReads(builtinCell('gru_reset_before'), 'weight_hh')).toEqual([[0, 1], [2]]);
  });

  it('cells that read every chunk: LSTM, GRU, layer-normalised LSTM (the normalisation reads the whole product)', () => {
    expect(productReads(builtinCell('lstm'), 'weight_hh')).toEqual([[0, 1, 2, 3]]);
    expect(productReads(builtinCell('gru'), 'weight_hh')).toEqual([[0, 1, 2]]);
    expect(productReads(builtinCell('lstm_layernorm'), 'weight_hh')).toEqual(['all']);
  });

  it('a chunk read through elementwise ops of the whole product, and a chunk of chunks', () => {
    const cell = compileCell(`import { cell, linear, sigmoid, split, tanh } from 'cellforge/dsl';
export default cell({ state: ['h'] }, (x, { h }) => {
  const z = tanh(linear('hh', h, 4) * 2 + linear('ih', x, 4));
  const [front, ,] = split(z, 2);
  const [, second] = split(front, 2);
  return { h: sigmoid(second) };
});
`);
    // z = tanh(2·W_hh h + W_ih x): the forward step reads only block 1 of the four, through the chunk of a chunk
    const forwardOnly = readBlocks(cell.graph);
    expect(productReads(cell, 'weight_hh', forwardOnly)).toEqual([[1]]);
    expect(productReads(cell, 'weight_ih', forwardOnly)).toEqual([[1]]);
    // The backward's tanh derivative reads z whole (its gradient is placed into a 4H vector), so the saved
    // product W_hh·h is computed whole when the forward keeps it.
    expect(productReads(cell, 'weight_hh')).toEqual(['all']);
  });

  it("the backward step's reads of a saved product count for the forward", () => {
    const mgu = builtinCell('mgu');
    const product = mgu.graph.nodes.find((n) => n.op === 'matvec' && mgu.graph.nodes[n.args[0]!]!.attrs.name === 'weight_hh')!;
    expect(productReads(mgu, 'weight_hh', readBlocks(mgu.graph, new Map([[product.id, new Set([1])]])))).toEqual([[0, 1], [1]]);
    expect(productReads(mgu, 'weight_hh', readBlocks(mgu.graph, new Map([[product.id, 'all' as const]])))).toEqual(['all', [1]]);
  });

  it('column ranges: runs of blocks read, or all columns', () => {
    expect(readColumns(new Set([0]), 64, 32)).toEqual([[0, 32]]);
    expect(readColumns(new Set([3, 0, 1]), 128, 32)).toEqual([[0, 64], [96, 128]]);
    expect(readColumns(new Set([0, 1, 2]), 96, 32)).toEqual([[0, 96]]);
    expect(readColumns('all', 96, 32)).toEqual([[0, 96]]);
    expect(readColumns(new Set([1]), 40, 32)).toEqual([[0, 40]]); // not whole blocks of H
  });
});

describe('blocks of a product operand that are zeros by construction', () => {
  /** The zero blocks of the operand of each backward product with weight_hh, in graph order. */
  const operandZeros = (name: string) => {
    const g = builtinCell(name).backward.graph;
    const zeros = zeroBlocks(g);
    return g.nodes.filter((n) => n.op === 'matvec_t' && g.nodes[n.args[0]!]!.attrs.name === 'weight_hh').map((n) => [...zeros[n.args[1]!]!].sort());
  };

  it("MGU's backward: the cotangent of each weight_hh product is zero in the chunk the forward dropped", () => {
    expect(operandZeros('mgu')).toEqual([[0], [1]]);
  });

  it('GRU with the reset gate before the product: r and z of the product with r ⊙ h, n of the one with h', () => {
    expect(operandZeros('gru_reset_before')).toEqual([[0, 1], [2]]);
  });

  it('LSTM: no zero blocks', () => {
    expect(operandZeros('lstm')).toEqual([[]]);
  });

  it('concat and neg keep exact zeros', () => {
    const cell = compileCell(`import { cell, linear, split, tanh } from 'cellforge/dsl';
export default cell({ state: ['h'] }, (x, { h }) => {
  const [a, , ,] = split(linear('hh', h, 3) - linear('ih', x, 3), 3);
  return { h: tanh(a) };
});
`);
    const g = cell.backward.graph;
    const zeros = zeroBlocks(g);
    const operand = (weight: string) => [...zeros[g.nodes.find((n) => n.op === 'matvec_t' && g.nodes[n.args[0]!]!.attrs.name === weight)!.args[1]!]!].sort();
    expect(operand('weight_hh')).toEqual([1, 2]); // concat(da, 0, 0)
    expect(operand('weight_ih')).toEqual([1, 2]); // its negation
  });

  it('rows of K that can be non-zero: from the first to the last block that is not zeros', () => {
    expect(nonZeroRows(new Set([0]), 64, 32)).toEqual([32, 64]);
    expect(nonZeroRows(new Set([1]), 96, 32)).toEqual([0, 96]); // a zero block between two others: all rows
    expect(nonZeroRows(new Set([0, 1, 2]), 96, 32)).toEqual([0, 0]);
    expect(nonZeroRows(new Set(), 96, 32)).toEqual([0, 96]);
  });
});
