/**
 * Derived model files: a rewrite of a source ONNX file, made once and reused. They live in the data
 * directory under `derived/{rewrite}-v{version}/{sha256 of the source}/{file name}`, never beside the
 * source (a Hugging Face cache or a user's model folder). External data files the source names are
 * linked in beside the derived file (symbolic links to the originals: no copy of the weights).
 *
 * Memory: protobufjs decodes bytes fields (initializers' raw data) as views into the input buffer,
 * so the decoded model adds only its node and metadata objects; `writeModel` then streams the
 * derived file out, each initializer's raw data written from its view (never copied). Peak: the
 * source file's bytes plus the model's structure (bench/attention.ts, a vit-gpt2-sized merged
 * decoder of 730 MiB: peak RSS 862 MiB, 1.18x the file; a whole encode took 2.18x).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, symlink, writeFile } from 'node:fs/promises';
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

/** A protobuf varint (n < 2^53). */
function varint(n: number): Uint8Array {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return Uint8Array.from(out);
}

/** The key and length of a length-delimited field (wire type 2). */
const delimited = (field: number, length: number) => [varint((field << 3) | 2), varint(length)];
const MODEL_GRAPH = 7; // ModelProto.graph
const GRAPH_INITIALIZER = 5; // GraphProto.initializer
const TENSOR_RAW_DATA = 9; // TensorProto.raw_data

/**
 * Writes `model` to `file` as protobuf: the model's fields, then its graph's (initializers last,
 * a valid field order), each initializer's raw data straight from its view. Only the structure
 * is encoded into new memory, never the weights (ModelProto.encode would copy them all at once).
 */
export async function writeModel(model: OnnxTypes.IModelProto, file: string): Promise<void> {
  const { graph, ...rest } = model;
  const parts: Uint8Array[] = [onnx.ModelProto.encode(rest).finish()];
  if (graph) {
    const { initializer, ...structure } = graph;
    const tensors: Uint8Array[][] = (initializer ?? []).map((t) => {
      const { rawData, ...fields } = t;
      const head = onnx.TensorProto.encode(fields).finish();
      const raw = rawData?.length ? [...delimited(TENSOR_RAW_DATA, rawData.length), rawData] : [];
      const size = head.length + raw.reduce((n, b) => n + b.length, 0);
      return [...delimited(GRAPH_INITIALIZER, size), head, ...raw];
    });
    const body = [onnx.GraphProto.encode(structure).finish(), ...tensors.flat()];
    parts.push(
      ...delimited(
        MODEL_GRAPH,
        body.reduce((n, b) => n + b.length, 0),
      ),
      ...body,
    );
  }
  const fh = await open(file, 'w');
  try {
    for (const p of parts) await fh.write(p);
  } finally {
    await fh.close();
  }
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
    for (const ext of externalFiles(m)) {
      const link = join(dir, ext);
      if (!existsSync(link)) {
        await mkdir(dirname(link), { recursive: true });
        await symlink(join(dirname(source), ext), link);
      }
    }
    const tmp = `${f}.${process.pid}.tmp`;
    await writeModel(m, tmp);
    await rename(tmp, f);
  }
  return { file, made: true };
}
