// The tasks the page trains on: four of the CLI's sample tasks, unchanged, and the page's own MNIST subset.
import { adding } from '../../samples/tasks/adding.js';
import { charlm } from '../../samples/tasks/charlm.js';
import { copy } from '../../samples/tasks/copy.js';
import { intent } from '../../samples/tasks/intent.js';
import type { Task } from '../../runtime/train/task.js';
import type { TaskName } from './protocol.js';
import { loadRowMnist, rowmnist } from './rowmnist.js';

const tasks: Record<TaskName, Task> = { adding, copy, charlm, intent, rowmnist };

/** The task, its data ready. */
export async function pageTask(name: TaskName): Promise<Task> {
  if (name === 'rowmnist') await loadRowMnist();
  return tasks[name];
}

/** Each task's one-line summary, as `cellforge train --help` lists them. */
export function taskSummaries(): Record<TaskName, string> {
  return Object.fromEntries(Object.entries(tasks).map(([name, task]) => [name, task.summary])) as Record<TaskName, string>;
}
