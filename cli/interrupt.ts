// Ctrl-C during long work (train, experiment): finish the current step, save, stop; a second Ctrl-C exits at once.
import type { CliIO } from './io.js';

export async function stoppable<T>(command: string, io: CliIO, work: (stopping: () => boolean) => Promise<T>): Promise<T> {
  let stopping = false;
  const onSigint = () => {
    if (stopping) process.exit(130);
    stopping = true;
    io.err(`\ncellforge ${command}: stopping after this step (Ctrl-C again to quit without saving)\n`);
  };
  process.on('SIGINT', onSigint);
  try {
    return await work(() => stopping);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
