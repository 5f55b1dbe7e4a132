// The top level of a cell module: imports, types, numeric constants and the one `export default`.
import { Node, VariableDeclarationKind, type ExportAssignment, type SourceFile } from 'ts-morph';
import type { SourceLocation } from '../../ir/errors.js';
import { builtin, builtins } from './builtins.js';
import { spanLocation, userError } from './location.js';
import { staticNumber } from './statics.js';
import { didYouMean } from './suggest.js';

export interface CellModule {
  readonly file: string;
  /** `const NAME = <numeric literal expression>` at the top level. */
  readonly constants: ReadonlyMap<string, number>;
  /** Local name → DSL name of every function imported from cellforge/dsl. */
  readonly functions: ReadonlyMap<string, string>;
  readonly defaultExport?: ExportAssignment;
  /** The JSDoc comment on the default export. */
  readonly doc?: string;
  /** Where to point when something is missing from the whole module. */
  readonly start: SourceLocation;
}

const DSL = 'cellforge/dsl';
const DSL_TYPES = new Set(['Vec', 'Stacked', 'CellDefinition']);
const TOP_LEVEL_HINT = "a cell module holds imports, types, numeric constants and export default cell(...)";

/** Read the top-level statements of a cell module. */
export function readModule(sf: SourceFile, file: string): CellModule {
  const fail: (node: Node, message: string, hint: string) => never = (node, message, hint) => {
    throw userError(node, file, message, hint);
  };
  const constants = new Map<string, number>();
  const functions = new Map<string, string>();
  let defaultExport: ExportAssignment | undefined;
  for (const s of sf.getStatements()) {
    if (Node.isImportDeclaration(s)) {
      if (s.isTypeOnly()) continue;
      const from = s.getModuleSpecifierValue();
      if (from !== DSL) {
        fail(
          s.getModuleSpecifier(),
          `cells can only import from ${DSL}`,
          'the compiler never runs a cell, so it cannot use other modules; import type is fine',
        );
      }
      if (s.getDefaultImport() || s.getNamespaceImport()) {
        fail(
          s,
          `import the functions of ${DSL} by name`,
          `import { cell, linear, sigmoid, tanh } from '${DSL}'`,
        );
      }
      for (const spec of s.getNamedImports()) {
        const name = spec.getName();
        if (spec.isTypeOnly() || DSL_TYPES.has(name)) continue;
        if (name !== 'cell' && !builtin(name)) {
          fail(
            spec,
            `${DSL} has no export '${name}'`,
            `${didYouMean(name, ['cell', ...Object.keys(builtins), ...DSL_TYPES])}check the spelling`,
          );
        }
        functions.set(spec.getAliasNode()?.getText() ?? name, name);
      }
    } else if (Node.isVariableStatement(s)) {
      if (s.getDeclarationKind() !== VariableDeclarationKind.Const) {
        fail(
          s.getDeclarationList().getFirstChildOrThrow(),
          `\`${s.getDeclarationKind()}\` is not supported in cell modules`,
          'module-level values are numeric constants: const EPS = 1e-5',
        );
      }
      for (const d of s.getDeclarations()) {
        const name = d.getNameNode();
        const init = d.getInitializer();
        const value = init && staticNumber(init, constants);
        if (!Node.isIdentifier(name)) {
          fail(
            name,
            'destructuring is not supported at the top level of a cell module',
            'declare one constant per const: const EPS = 1e-5',
          );
        }
        if (value === undefined) {
          fail(
            init ?? d,
            'a module-level constant must be a number',
            'the compiler never runs the cell; only numeric literals and + - * / of them are known at compile time',
          );
        }
        if (constants.has(name.getText())) fail(name, `'${name.getText()}' is already defined`, 'choose another name');
        constants.set(name.getText(), value);
      }
    } else if (Node.isExportAssignment(s) && !s.isExportEquals()) {
      if (defaultExport) fail(s, 'the module has two default exports', 'a module defines one cell');
      defaultExport = s;
    } else if (Node.isFunctionDeclaration(s) && s.isDefaultExport()) {
      fail(s, 'the default export must be a call to cell(...)', "export default cell({ state: ['h'] }, (x, { h }) => { ... })");
    } else if (!Node.isTypeAliasDeclaration(s) && !Node.isInterfaceDeclaration(s) && !Node.isEmptyStatement(s)) {
      fail(s, `this statement (${s.getKindName()}) is not supported at the top level of a cell module`, TOP_LEVEL_HINT);
    }
  }
  const doc = defaultExport && jsDoc(defaultExport);
  return { file, constants, functions, ...(defaultExport ? { defaultExport } : {}), ...(doc ? { doc } : {}), start: spanLocation(sf, file, 0, 1) };
}

/** The text of the last `/** ... *\/` comment right before `node`. */
function jsDoc(node: Node): string | undefined {
  const comment = node
    .getLeadingCommentRanges()
    .filter((c) => c.getText().startsWith('/**'))
    .pop();
  if (!comment) return undefined;
  const text = comment
    .getText()
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trim())
    .join('\n')
    .trim();
  return text || undefined;
}
