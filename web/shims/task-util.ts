// Page version of samples/tasks/util.ts: everything of the real module, except that the tasks' data files
// (samples/tasks/data) come bundled as text instead of from the package's folder.
import { CellforgeError } from '../../ir/errors.js';
export * from '../../samples/tasks/util.js';

const files = import.meta.glob<string>('../../samples/tasks/data/*.txt', { query: '?raw', import: 'default', eager: true });

export function readTaskFile(name: string): string {
  const text = files[`../../samples/tasks/data/${name}`];
  if (text === undefined) throw new CellforgeError(`task data file ${name} is not bundled with the page`);
  return text;
}
