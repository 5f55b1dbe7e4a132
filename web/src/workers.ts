// Starting the page's worker (web/src/worker.ts) and talking to it by request id.
import type { Reply, Request } from './protocol.js';

export function startWorker(): Worker {
  return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'cellforge' });
}

type Answer = Extract<Reply, { id: number }>;
/** A request without its id (distributed over the union, so each kind keeps its fields). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The compiling worker: one for the page, shared by the editors; answers come back by request id. */
export class CompilerClient {
  private readonly worker = startWorker();
  private readonly waiting = new Map<number, (reply: Answer) => void>();
  private next = 1;

  constructor(onError: (message: string) => void) {
    this.worker.onmessage = (e: MessageEvent<Reply>) => {
      const r = e.data;
      if ('id' in r) {
        this.waiting.get(r.id)?.(r);
        this.waiting.delete(r.id);
      }
    };
    this.worker.onerror = (e) => onError(`the compiler's worker failed: ${e.message}`);
  }

  request<K extends Answer['type']>(req: Unnumbered<Extract<Request, { id: number }>>): Promise<Extract<Answer, { type: K }>> {
    const id = this.next++;
    return new Promise((done) => {
      this.waiting.set(id, done as (r: Answer) => void);
      this.worker.postMessage({ ...req, id });
    });
  }
}
