// In the worker: the TypeScript checker's view of the cell against cellforge's DSL declarations (dsl/index.d.ts),
// as an editor with the package installed would show it. Lazy: the first check builds the program (~1 s).
/// <reference types="vite/client" />
import { Project, ts } from 'ts-morph';
import dslDeclarations from '../../dsl/index.d.ts?raw';
import type { Diagnostic } from './protocol.js';

let project: Project | undefined;

function makeProject(): Project {
  const p = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts'],
      strict: true,
      noEmit: true,
      types: [],
      baseUrl: '/',
      paths: { 'cellforge/dsl': ['/dsl/index.d.ts'] },
    },
  });
  p.createSourceFile('/dsl/index.d.ts', dslDeclarations);
  return p;
}

export function typecheck(source: string): Diagnostic[] {
  project ??= makeProject();
  const sf = project.createSourceFile('/cell.ts', source, { overwrite: true });
  const program = project.getProgram().compilerObject;
  const file = program.getSourceFile('/cell.ts');
  if (!file) return [];
  const found = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  const out: Diagnostic[] = [];
  for (const d of found) {
    if (d.start === undefined) continue;
    const { line, character } = file.getLineAndCharacterOfPosition(d.start);
    out.push({ line: line + 1, column: character + 1, length: Math.max(1, d.length ?? 1), message: ts.flattenDiagnosticMessageText(d.messageText, ' '), source: 'typescript' });
  }
  project.removeSourceFile(sf);
  return out;
}
