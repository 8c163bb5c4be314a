/**
 * Per-image work hoisted out of the decoding step. A public decoder (vit-gpt2's layout) projects the
 * encoder's states to each layer's cross-attention keys and values at every step, though they
 * depend on the image only. This rewrite finds every node of the decoder (and of its `If`
 * branches, for merged decoders) computed from `encoder_hidden_states` and weights alone, moves it
 * into a separate per-image graph, and gives the rewritten decoder that graph's results as inputs
 * (`hoisted.{i}`, one row per image). The engine runs the per-image graph once per image and feeds
 * its results to every step, with each row's image (`ROW_IMAGE`): a Gather before a result's first
 * reader gives each beam its image's row, so per-beam copies live in ORT's arena only while their
 * layer runs (copies of every layer's keys and values per beam, made in JavaScript, held 15 rows x
 * 14.5 MB on a vit-gpt2-sized fp32 model).
 *
 * Only row-wise operators move (matrix products with weights, elementwise arithmetic, casts,
 * (de)quantization, and the layout steps that keep rows apart: `LAYOUT`), so each result's rows are
 * the images' rows and a beam's rows are its image's. Integer shape arithmetic is copied, not moved
 * (`COPIED`): the per-image graph computes its own (weights are assumed to broadcast along the
 * trailing dimensions, as a projection's do). `DynamicQuantizeLinear`'s scale spans its whole
 * input, which is exact only over one image's rows (the per-image graph runs one image at a time,
 * where the image's beams are copies of the same row): a scale never leaves the per-image graph. Nodes
 * that compute the same thing in both branches (the same operator and attributes over the same
 * inputs) become one. Weights used only by moved nodes move with them (no copy in both files).
 */
import { createHash } from 'node:crypto';
import { companion, derivedFile, type Rewrite } from './derived.ts';
import { type OnnxTypes, onnx } from './proto.ts';
import {
  addRowImageInput,
  batchOf,
  COPIED,
  elemOf,
  type Kind,
  keepsRows,
  LAYOUT,
  type Moved,
  ROW_IMAGE,
  ROW_WISE,
  reads,
  subgraphs,
  type Value,
} from './rows.ts';

/** Bump when the rewrite's output changes: derived files are keyed by it. */
export const HOIST_REWRITE_VERSION = 3;
/** The per-image graph's file, beside the rewritten decoder (`{stem}.{PER_IMAGE}.onnx`). */
export const PER_IMAGE = 'per-image';
export const HOISTED = /^hoisted\.\d+$/;
const STATE = 'encoder_hidden_states';

type Graph = OnnxTypes.IGraphProto;
type Node = OnnxTypes.INodeProto;
const T = onnx.TensorProto.DataType;

interface Scope {
  g: Graph;
  moved: Moved[];
  /** nodes computing weights from weights: left in place, dropped when nothing reads them */
  weights: Node[];
  /** names made by moved nodes -> their values */
  made: Map<string, Value>;
  /** names this scope's kept nodes (and its subgraphs' kept nodes) take from moved ones */
  used: Set<string>;
  children: Scope[];
}

const hash = (parts: (string | Uint8Array)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('base64').slice(0, 24);
};

const attrBytes = (n: Node) =>
  (n.attribute ?? []).map((a) => onnx.AttributeProto.encode(a).finish() as Uint8Array);

/** Which nodes of `g` (and its subgraphs) move, given the values known from outer scopes. */
function plan(g: Graph, outer: Map<string, Value>, blocked: Set<Node>): Scope {
  const known = new Map(outer);
  for (const t of g.initializer ?? [])
    known.set(t.name!, { key: `init:${t.name}`, kind: 'const', elem: t.dataType ?? T.FLOAT, init: t });
  const scope: Scope = { g, moved: [], weights: [], made: new Map(), used: new Set(), children: [] };
  const movedSet = new Set<Node>();
  for (const n of g.node ?? []) {
    const ins = (n.input ?? []).filter(Boolean);
    if (n.opType === 'Constant' && !ins.length && !n.domain) {
      const v = n.attribute?.find((a) => a.name === 'value')?.t;
      if (v)
        known.set(n.output![0], {
          key: `const:${hash(attrBytes(n))}`,
          kind: 'const',
          elem: v.dataType!,
          constant: n,
        });
      continue;
    }
    const op = n.opType ?? '';
    const inputs = (n.input ?? []).map((i) => (i ? (known.get(i) ?? null) : null));
    const allKnown = ins.every((i) => known.has(i)) && !n.domain && !blocked.has(n);
    const key = hash([op, ...attrBytes(n), ...inputs.map((v) => v?.key ?? '')]);
    if (allKnown && COPIED.has(op) && inputs.every((v) => !v || v.kind === 'const' || v.copied)) {
      const present = inputs.filter((x): x is Value => !!x);
      const outputs = (n.output ?? []).map((o, i): Value | null => {
        if (!o) return null;
        const v: Value = { key: `${key}:${i}`, kind: 'whole', elem: elemOf(n, i, present), copied: true };
        v.batch = batchOf(n, inputs);
        return v;
      });
      if (outputs.every((v) => !v || v.elem === T.INT64)) {
        (n.output ?? []).forEach((o, i) => {
          if (o && outputs[i]) known.set(o, outputs[i]);
        });
        scope.moved.push({ node: n, inputs, outputs, copy: true });
        continue;
      }
    }
    const movable = allKnown && (ROW_WISE.has(op) || (LAYOUT.has(op) && keepsRows(n, inputs)));
    if (!movable) {
      for (const s of subgraphs(n)) scope.children.push(plan(s, known, blocked));
      continue;
    }
    const rows = inputs.some((v) => v?.kind === 'rows');
    const weight = inputs.every((v) => !v || v.kind === 'const');
    const present = inputs.filter((x): x is Value => !!x);
    const m: Moved = { node: n, inputs, outputs: [] };
    m.outputs = (n.output ?? []).map((o, i): Value | null => {
      if (!o) return null;
      const dq = n.opType === 'DynamicQuantizeLinear';
      const kind: Kind = weight ? 'const' : dq ? (i === 0 ? 'rows' : 'whole') : rows ? 'rows' : 'whole';
      const v: Value = {
        key: `${key}:${i}`,
        kind,
        elem: elemOf(n, i, present),
        producer: weight ? m : undefined,
      };
      known.set(o, v);
      if (!weight) scope.made.set(o, v);
      return v;
    });
    if (weight) {
      scope.weights.push(n);
      continue;
    }
    scope.moved.push(m);
    movedSet.add(n);
  }
  // what kept nodes read of the moved ones' results (a subgraph's reads count: its nodes read outer names)
  for (const n of g.node ?? []) {
    if (movedSet.has(n)) continue;
    for (const i of n.input ?? []) if (scope.made.has(i)) scope.used.add(i);
    for (const s of subgraphs(n)) for (const r of reads(s)) if (scope.made.has(r)) scope.used.add(r);
  }
  for (const o of g.output ?? []) if (scope.made.has(o.name!)) scope.used.add(o.name!);
  return scope;
}

/** Nodes whose results leave the per-image graph although they may not: a scale, a graph output. */
function misfits(s: Scope, out: Set<Node>): Set<Node> {
  const outputs = new Set((s.g.output ?? []).map((o) => o.name));
  for (const { node: n } of s.moved)
    if ((n.output ?? []).some((o) => s.used.has(o) && (s.made.get(o)!.kind !== 'rows' || outputs.has(o))))
      out.add(n);
  for (const c of s.children) misfits(c, out);
  return out;
}

const all = (s: Scope): Scope[] => [s, ...s.children.flatMap(all)];

function valueInfo(name: string, elem: number): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType: elem } } };
}

/** In `g` and its subgraphs: each hoisted input, where read, gathered to the rows' images first. */
function gatherToRows(g: Graph, hoisted: Set<string>, count = { n: 0 }): void {
  const nodes: Node[] = [];
  const rows = new Map<string, string>();
  for (const n of g.node ?? []) {
    for (const s of subgraphs(n)) gatherToRows(s, hoisted, count);
    for (const i of n.input ?? []) {
      if (!hoisted.has(i) || rows.has(i)) continue;
      const out = `${i}/rows.${count.n++}`;
      rows.set(i, out);
      nodes.push({
        opType: 'Gather',
        name: out,
        input: [i, ROW_IMAGE],
        output: [out],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
      });
    }
    n.input = (n.input ?? []).map((i) => rows.get(i) ?? i);
    nodes.push(n);
  }
  g.node = nodes;
}

function rename(g: Graph, map: Map<string, string>): void {
  for (const n of g.node ?? []) {
    n.input = (n.input ?? []).map((i) => map.get(i) ?? i);
    for (const s of subgraphs(n)) rename(s, map);
  }
}

/**
 * Rewrites `model` (a decoder) in place; returns the per-image graph, or null when nothing of the
 * decoder depends on the encoder's states alone (a decoder with an encoder cache computes its
 * cross-attention keys and values once already).
 */
export function hoistPerImage(model: OnnxTypes.IModelProto): OnnxTypes.IModelProto | null {
  const g = model.graph;
  const state = g?.input?.find((i) => i.name === STATE);
  if (!g || !state) return null;
  if ((g.input ?? []).some((i) => /^past_key_values\.\d+\.encoder\./.test(i.name ?? ''))) return null;
  const stateElem = state.type?.tensorType?.elemType ?? T.FLOAT;
  const outer = new Map<string, Value>([
    [STATE, { key: 'state', kind: 'rows', elem: stateElem, copied: true }],
  ]);
  const blocked = new Set<Node>();
  let root = plan(g, outer, blocked);
  for (;;) {
    const bad = misfits(root, new Set());
    if (![...bad].some((n) => !blocked.has(n))) break;
    for (const n of bad) blocked.add(n);
    root = plan(g, outer, blocked);
  }
  const scopes = all(root);
  if (!scopes.some((s) => s.moved.some((m) => /^MatMul/.test(m.node.opType ?? '')))) return null;

  // names in the per-image graph: by value (one name for the same computation in both branches)
  const names = new Map<string, string>([['state', STATE]]);
  const outputs: OnnxTypes.IValueInfoProto[] = [];
  for (const s of scopes)
    for (const name of s.used) {
      const v = s.made.get(name)!;
      if (names.has(v.key)) continue;
      const out = `hoisted.${outputs.length}`;
      names.set(v.key, out);
      outputs.push(valueInfo(out, v.elem));
    }
  const nameOf = (v: Value) => {
    if (!names.has(v.key)) names.set(v.key, `h/${names.size}`);
    return names.get(v.key)!;
  };
  const nodes: Node[] = [];
  const inits: OnnxTypes.ITensorProto[] = [];
  const emitted = new Set<string>();
  const weight = (v: Value) => {
    if (emitted.has(v.key)) return;
    emitted.add(v.key);
    if (v.init) inits.push({ ...v.init, name: nameOf(v) });
    else if (v.constant) nodes.push({ ...v.constant, input: [], output: [nameOf(v)] });
    else if (v.producer) {
      const { node, inputs, outputs } = v.producer;
      for (const i of inputs) if (i) weight(i);
      for (const o of outputs) if (o) emitted.add(o.key);
      nodes.push({
        ...node,
        name: `per-image/${nodes.length}`,
        input: inputs.map((i) => (i ? nameOf(i) : '')),
        output: outputs.map((o) => (o ? nameOf(o) : '')),
      });
    }
  };
  for (const s of scopes)
    for (const { node: n, inputs: ins, outputs: outs } of s.moved) {
      const first = outs.find((v) => v);
      if (!first || emitted.has(first.key)) continue;
      for (const v of outs) if (v) emitted.add(v.key);
      for (const v of ins) if (v?.kind === 'const') weight(v);
      nodes.push({
        ...n,
        name: `per-image/${nodes.length}`,
        input: ins.map((v) => (v ? nameOf(v) : '')),
        output: outs.map((v) => (v ? nameOf(v) : '')),
      });
    }

  // the decoder: moved nodes gone, their used results read from the new inputs
  for (const s of scopes) {
    const moved = new Set(s.moved.flatMap((m) => (m.copy ? [] : [m.node])));
    s.g.node = (s.g.node ?? []).filter((n) => !moved.has(n));
    const map = new Map([...s.used].map((u) => [u, names.get(s.made.get(u)!.key)!]));
    rename(s.g, map);
    const gone = new Set(s.made.keys());
    s.g.valueInfo = (s.g.valueInfo ?? []).filter((v) => !gone.has(v.name!));
  }
  // weights computed for moved nodes only are computed by the per-image graph alone
  for (let dropped = true; dropped; ) {
    const read = reads(g);
    dropped = false;
    for (const s of scopes) {
      // and constants nothing reads any more (a moved Split's sizes)
      const constants = (s.g.node ?? []).filter((n) => n.opType === 'Constant' && !n.domain);
      const dead = new Set(
        [...s.weights, ...constants].filter((n) => !(n.output ?? []).some((o) => read.has(o))),
      );
      if (!dead.size) continue;
      dropped = true;
      s.weights = s.weights.filter((n) => !dead.has(n));
      s.g.node = (s.g.node ?? []).filter((n) => !dead.has(n));
    }
  }
  const read = reads(g);
  for (const s of scopes) s.g.initializer = (s.g.initializer ?? []).filter((t) => read.has(t.name!));
  g.input = [...(g.input ?? []).filter((i) => i.name !== STATE || read.has(STATE)), ...outputs];
  addRowImageInput(g);
  gatherToRows(g, new Set(outputs.map((o) => o.name!)));

  // copied shape arithmetic that no moved node reads
  const needed = new Set(outputs.map((o) => o.name!));
  const live: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!(n.output ?? []).some((o) => needed.has(o))) continue;
    for (const input of n.input ?? []) needed.add(input);
    live.unshift(n);
  }
  const liveInits = inits.filter((t) => needed.has(t.name!));
  return {
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    producerName: 'caption-studio hoist',
    graph: { name: 'per-image', node: live, initializer: liveInits, input: [state], output: outputs },
  };
}

/** The rewrite as `derivedFile` runs it. */
export const hoistRewrite: Rewrite = {
  name: 'hoist',
  version: HOIST_REWRITE_VERSION,
  apply(model) {
    const perImage = hoistPerImage(model);
    return perImage ? { [PER_IMAGE]: perImage } : false;
  },
};

/**
 * The decoder to open and its per-image graph: the derived pair in `dataDir` (made once, then
 * reused), or `file` itself with no per-image graph when nothing moves.
 */
export async function hoistedDecoder(
  dataDir: string,
  file: string,
): Promise<{ file: string; perImage: string | null }> {
  const d = await derivedFile(dataDir, file, hoistRewrite);
  return d.file === file
    ? { file, perImage: null }
    : { file: d.file, perImage: companion(d.file, PER_IMAGE) };
}
