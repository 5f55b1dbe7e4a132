// The sample tasks of `cellforge train <task>`, by name.
import type { Task } from '../../runtime/train/task.js';
import { adding } from './adding.js';
import { charlm } from './charlm.js';
import { copy } from './copy.js';
import { intent } from './intent.js';
import { names } from './names.js';
import { permmnist, pixelmnist, rowmnist } from './mnist/tasks.js';
import { sines } from './sines.js';
import { tagging } from './tagging.js';

export const tasks: Readonly<Record<string, Task>> = { intent, tagging, charlm, sines, adding, copy, rowmnist, pixelmnist, permmnist, names };
