// The page's worker: compiles cells for the editor and trains them, off the page's thread. The page starts one for
// compiling and one per trained cell (the same script, so the browser fetches it once).
import type { Reply, Request } from './protocol.js';
import { compileForView, toDiagnostic } from './compile-view.js';
import { TrainingRun } from './training.js';
import { taskSummaries } from './tasks.js';
import { typecheck } from './typecheck.js';

const post = (reply: Reply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);
let run: TrainingRun | undefined;

self.onmessage = async (event: MessageEvent<Request>) => {
  const req = event.data;
  switch (req.type) {
    case 'compile': {
      const t0 = performance.now();
      const result = compileForView(req.source, req.file, req.sizes);
      post({ type: 'compiled', id: req.id, ...result, ms: performance.now() - t0 });
      return;
    }
    case 'typecheck':
      post({ type: 'typechecked', id: req.id, diagnostics: typecheck(req.source) });
      return;
    case 'tasks':
      post({ type: 'tasks', id: req.id, summaries: taskSummaries() });
      return;
    case 'train':
      run = new TrainingRun(req.source, req.file, req.settings, post);
      await run.start();
      return;
    case 'pause':
      run?.pause();
      return;
    case 'resume':
      run?.resume();
      return;
    case 'export': {
      try {
        const files = run ? await run.exportFiles(req.kind) : {};
        post({ type: 'exported', id: req.id, files }, Object.values(files).map((f) => f.buffer));
      } catch (err) {
        post({ type: 'exported', id: req.id, files: {}, error: toDiagnostic(err).message });
      }
      return;
    }
  }
};
