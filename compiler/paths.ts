// Where cellforge's own files are, whether running from sources (tsx/vitest) or from dist/ (plain node).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory holding cellforge's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'cellforge') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cellforge internal error: cannot find the cellforge package root');
    dir = up;
  }
}

export function samplesDir(): string {
  return join(packageRoot(), 'samples', 'cells');
}
