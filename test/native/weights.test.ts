// The native backend keeps packed weights while the parameter store's version is unchanged: a change through
// loadStateDict or through the live arrays of parameters() (an optimizer's in-place step) must reach the next run.
// Training keeps its own copy of the input in a recycled block: the caller may refill its array before the backward.
// The blocks start at a 64-byte boundary inside a larger array: the library's offset to it, for a view at any float.
import { expect, it } from 'vitest';
import { builtinCell, RNN, tensor } from '../../index.js';
import { describeWith } from '../helpers/component.js';
import { nativeLibrary } from '../../runtime/native/library.js';
import { findToolchain } from '../../runtime/native/toolchain.js';

const toolchain = await findToolchain();

describeWith('C compiler', typeof toolchain === 'string' ? toolchain : null, 'native backend: packed weights follow the parameters', () => {
  const opts = { inputSize: 3, hiddenSize: 5, seed: 3 } as const;
  const x = tensor(Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.sin(i)), [4, 2, 3]);
  const same = async (a: RNN, b: RNN) => expect((await a.forward(x)).output.data).toEqual((await b.forward(x)).output.data);

  it('loadStateDict and in-place updates of parameters() are seen by the next forward and backward', async () => {
    const rnn = new RNN(builtinCell('gru'), { ...opts, backend: 'native' });
    const first = (await rnn.forward(x)).output.data.slice();
    expect((await rnn.forward(x)).output.data).toEqual(first); // unchanged weights, cached packing
    // through a state dict
    const dict = rnn.stateDict();
    dict.weight_hh_l0!.data[0]! += 0.5;
    rnn.loadStateDict(dict);
    const twin = new RNN(builtinCell('gru'), { ...opts, backend: 'native' });
    twin.loadStateDict(dict);
    await same(rnn, twin);
    // in place, as an optimizer does
    const w = rnn.parameters().find((p) => p.name === 'weight_ih_l0')!;
    w.data[1]! -= 0.25;
    const dict2 = rnn.stateDict();
    twin.loadStateDict(dict2);
    await same(rnn, twin);
    w.data[2]! += 0.125;
    twin.loadStateDict(rnn.stateDict());
    rnn.train();
    twin.train();
    await same(rnn, twin);
    const g = tensor(new Float32Array(4 * 2 * 5).fill(1), [4, 2, 5]);
    expect((await rnn.backward(g)).grads.weight_hh_l0!.data).toEqual((await twin.backward(g)).grads.weight_hh_l0!.data);
  });

  it("training's copy of the input: refilling the caller's array before the backward changes no gradient, run after run", async () => {
    const [a, b] = [0, 1].map(() => new RNN(builtinCell('lstm'), { ...opts, backend: 'native' }));
    b!.loadStateDict(a!.stateDict());
    a!.train();
    b!.train();
    const g = tensor(Float32Array.from({ length: 4 * 2 * 5 }, (_, i) => Math.cos(i)), [4, 2, 5]);
    for (let run = 0; run < 3; run++) {
      const data = Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => Math.sin(i * (run + 1)));
      const mine = tensor(data.slice(), [4, 2, 3]);
      await a!.forward(mine);
      mine.data.fill(7); // the caller reuses its array (a data loader's next batch)
      await b!.forward(tensor(data, [4, 2, 3]));
      const [ga, gb] = [await a!.backward(g), await b!.backward(g)];
      expect(ga.grads.weight_ih_l0!.data).toEqual(gb.grads.weight_ih_l0!.data);
      expect(ga.dInput.data).toEqual(gb.dInput.data);
    }
  });

  it('blocks start at a 64-byte boundary: the library finds it for a view at any float of an array', async () => {
    const lib = await nativeLibrary(builtinCell('gru'), { X: 3, H: 5 });
    const raw = new Float32Array(64);
    const first = lib.alignFloats(raw);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(16);
    // koffi passes a view's own address (its byteOffset included)
    for (let k = 0; k < 32; k++) expect({ k, at: lib.alignFloats(raw.subarray(k)) }).toEqual({ k, at: (((first - k) % 16) + 16) % 16 });
  });
});
