// Runs the CLI from source (`npx tsx cli/entry.ts <command> ...`), for development and end-to-end tests.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
