// Data shipped through npm as optional dependencies: found with Node's resolver, or one line saying how to add it.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { CellforgeError } from '../../ir/errors.js';

/** The folder of an installed package; `task` and `install` make the error when it is missing. */
export function optionalPackageDir(pkg: string, task: string, install: string = pkg): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new CellforgeError(`the ${task} task needs the npm package '${pkg}', which is not installed`, undefined, `add it with: npm install ${install}`);
  }
}
