/**
 * Derived model files: a rewrite of a source ONNX file, made once and reused. They live in the data
 * directory under `derived/{rewrite}-v{version}/{sha256 of the source}/{file name}`, never beside the
 * source (a Hugging Face cache or a user's model folder). External data files the source names are
 * linked in beside the derived file (symbolic links to the originals: no copy of the weights).
 *
 * Memory: protobufjs decodes bytes fields (initializers' raw data) as views into the input buffer,
 * so the decoded model adds only its node and metadata objects; encoding allocates the output once.
 * Peak: the source file's bytes plus the derived file's bytes (measured: see graph.test.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type OnnxTypes, onnx } from './proto.ts';

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface Rewrite {
  /** names the derived files' folder */
  name: string;
  version: number;
  /**
   * Changes the model in place (false: it needs no change); throws when it cannot. It may return
   * further models, written beside the derived file as `{stem}.{name}.onnx` (see `companion`).
   */
  apply(model: OnnxTypes.IModelProto): boolean | Record<string, OnnxTypes.IModelProto>;
}

/** The file of a rewrite's further model `name` beside its derived file. */
export const companion = (derived: string, name: string) => derived.replace(/\.onnx$/, `.${name}.onnx`);

export interface Derived {
  /** the derived file, or the source itself when the rewrite changes nothing */
  file: string;
  /** false when an earlier call made it */
  made: boolean;
}

/** External data files (`location` of initializers) a model names, relative to its folder. */
function externalFiles(model: OnnxTypes.IModelProto): Set<string> {
  const out = new Set<string>();
  const visit = (g: OnnxTypes.IGraphProto | null | undefined) => {
    for (const t of g?.initializer ?? [])
      for (const e of t.externalData ?? []) if (e.key === 'location' && e.value) out.add(e.value);
    for (const n of g?.node ?? []) for (const a of n.attribute ?? []) visit(a.g);
  };
  visit(model.graph);
  return out;
}

const pending = new Map<string, Promise<Derived>>();

/** The derived file of `source` under `rewrite`, in `dataDir`: made when missing, else reused. */
export function derivedFile(dataDir: string, source: string, rewrite: Rewrite): Promise<Derived> {
  const key = `${dataDir}\0${source}\0${rewrite.name}`;
  const running = pending.get(key);
  if (running) return running;
  const p = makeDerived(dataDir, source, rewrite).finally(() => pending.delete(key));
  pending.set(key, p);
  return p;
}

async function makeDerived(dataDir: string, source: string, rewrite: Rewrite): Promise<Derived> {
  const hash = await sha256File(source);
  const dir = join(dataDir, 'derived', `${rewrite.name}-v${rewrite.version}`, hash);
  const file = join(dir, basename(source));
  const unchanged = join(dir, `${basename(source)}.unchanged`);
  if (existsSync(file)) return { file, made: false };
  if (existsSync(unchanged)) return { file: source, made: false };
  // the decoded initializers are views into the file's bytes; both are dropped when this returns
  const model = onnx.ModelProto.decode(await readFile(source));
  await mkdir(dir, { recursive: true });
  const applied = rewrite.apply(model);
  if (!applied) {
    await writeFile(unchanged, '');
    return { file: source, made: false };
  }
  // further models first: the derived file's presence says that all of them are there
  const models: [string, OnnxTypes.IModelProto][] = [
    ...Object.entries(applied === true ? {} : applied).map(([k, m]): [string, OnnxTypes.IModelProto] => [
      companion(file, k),
      m,
    ]),
    [file, model],
  ];
  for (const [f, m] of models) {
    const out = onnx.ModelProto.encode(m).finish();
    for (const ext of externalFiles(m)) {
      const link = join(dir, ext);
      if (!existsSync(link)) {
        await mkdir(dirname(link), { recursive: true });
        await symlink(join(dirname(source), ext), link);
      }
    }
    const tmp = `${f}.${process.pid}.tmp`;
    await writeFile(tmp, out);
    await rename(tmp, f);
  }
  return { file, made: true };
}
