/**
 * Import cycles among the TypeScript files under the given folders (default: electron), type-only
 * imports included: a cycle of types still ties modules together. Prints each cycle found once and
 * exits 1 when there is one. Run: npx tsx scripts/cycles.ts [folder...]
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The local files a module imports or re-exports (relative specifiers only). */
function imports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const st of sf.statements) {
    const spec =
      (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier
        ? (st.moduleSpecifier as ts.StringLiteral).text
        : null;
    if (!spec?.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (existsSync(target) && statSync(target).isFile()) out.push(target);
  }
  return out;
}

export function findCycles(roots: string[]): string[][] {
  const files = roots.flatMap((r) => sources(resolve(r)));
  const graph = new Map(files.map((f) => [f, imports(f)]));
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') {
        const cycle = stack.slice(stack.indexOf(g));
        const key = [...cycle].sort().join('|');
        if (!cycles.has(key)) cycles.set(key, cycle);
      } else if (!state.has(g) && graph.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return [...cycles.values()];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const roots = process.argv.slice(2);
  const cycles = findCycles(roots.length ? roots : ['electron']);
  for (const c of cycles) console.log([...c, c[0]].map((f) => relative(process.cwd(), f)).join(' -> '));
  console.log(cycles.length ? `${cycles.length} import cycle(s)` : 'no import cycles');
  process.exitCode = cycles.length ? 1 : 0;
}
