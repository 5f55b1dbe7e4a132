#!/usr/bin/env node
// The installed `cellforge` command: runs the compiled CLI from dist/ (built by `npm install` via `prepare`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('cellforge: not built yet: run `npm run build` in the cellforge package\n');
  process.exit(1);
}
// `cellforge compile lstm --emit wasm | head`: a reader that closes the pipe early ends the command quietly.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
