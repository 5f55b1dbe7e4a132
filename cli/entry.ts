// Runs the CLI from source (`npx tsx cli/entry.ts <command> ...`), for development and end-to-end tests.
import { main } from './main.js';

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0); // the reader closed the pipe (| head)
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
