/**
 * What keeps a decoder's rows apart, for the rewrites that batch images (graph/hoist.ts,
 * graph/quant.ts): which operators compute each row from that row alone, which copy shape
 * arithmetic, and the input that gives each row's image.
 */
import { type OnnxTypes, onnx } from './proto.ts';

type Graph = OnnxTypes.IGraphProto;
type Node = OnnxTypes.INodeProto;
const T = onnx.TensorProto.DataType;

/**
 * The rewritten decoder's input giving each row's image (int64 [rows]). The hoisted decoder's
 * `hoisted.*` inputs have one row per image, and a Gather before their first reader picks each
 * row's (a beam's keys and values live only while the step's layer needs them, in ORT's arena,
 * never as per-beam copies); per-image quantization scales (graph/quant.ts) group rows by it.
 */
export const ROW_IMAGE = 'hoisted.row_image';

/** Declares `ROW_IMAGE` as an input of `g` unless it is one already. */
export function addRowImageInput(g: Graph): void {
  if ((g.input ?? []).some((i) => i.name === ROW_IMAGE)) return;
  g.input = [
    ...(g.input ?? []),
    { name: ROW_IMAGE, type: { tensorType: { elemType: T.INT64, shape: { dim: [{ dimParam: 'rows' }] } } } },
  ];
}

/** Operators whose results keep their inputs' rows (dimension 0) apart. */
export const ROW_WISE = new Set([
  'MatMul',
  'MatMulInteger',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Cast',
  'Identity',
  'DequantizeLinear',
  'QuantizeLinear',
  'DynamicQuantizeLinear',
]);

/**
 * Integer shape arithmetic (`Shape` of the encoder's states, the head split's target shapes): copied
 * into the per-image graph, where it gives the image's shapes, and left in the decoder for its own
 * readers. With it, the layout steps of the hoisted keys and values (`LAYOUT`) move too, so a step
 * reads each layer's keys and values in the layout its attention takes, with no per-row copy but
 * the row gather.
 */
export const COPIED = new Set([
  'Shape',
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Concat',
  'Slice',
  'Cast',
  'Identity',
]);
/** Layout operators that keep rows apart under the conditions `keepsRows` checks. */
export const LAYOUT = new Set(['Transpose', 'Split', 'Reshape']);

/** const: weights and constants; rows: one row per image; whole: computed over all rows (a scale) */
export type Kind = 'const' | 'rows' | 'whole';
export interface Value {
  key: string;
  kind: Kind;
  elem: number;
  /** how the per-image graph gets it when it is a weight: an initializer or a Constant node */
  init?: OnnxTypes.ITensorProto;
  constant?: Node;
  /** a weight computed from weights (a Cast of float16 weights to float32) */
  producer?: Moved;
  /** shape arithmetic the decoder computes too (`COPIED`): each graph has its own value */
  copied?: boolean;
  /** a shape whose first element is the rows' count ('vector'), or that count itself ('scalar') */
  batch?: 'vector' | 'scalar';
}

export interface Moved {
  node: Node;
  inputs: (Value | null)[];
  outputs: (Value | null)[];
  /** computed in both graphs (shape arithmetic): left in the decoder */
  copy?: boolean;
}

export function elemOf(n: Node, i: number, inputs: Value[]): number {
  const a = (name: string) => n.attribute?.find((x) => x.name === name);
  switch (n.opType) {
    case 'Cast':
      return Number(a('to')?.i ?? T.FLOAT);
    case 'MatMulInteger':
      return T.INT32;
    case 'Shape':
      return T.INT64;
    case 'DynamicQuantizeLinear':
      return i === 1 ? T.FLOAT : T.UINT8;
    case 'DequantizeLinear':
      return inputs[1]?.elem ?? T.FLOAT;
    case 'QuantizeLinear':
      return inputs[2]?.elem ?? T.UINT8;
    default:
      return inputs[0]?.elem ?? T.FLOAT;
  }
}

/** The tensor of a constant value: an initializer, or a Constant node's `value`. */
const tensorOf = (v: Value | null | undefined) =>
  v?.init ?? v?.constant?.attribute?.find((a) => a.name === 'value')?.t ?? null;

/** The integers of a constant value, or null. */
function ints(v: Value | null | undefined): number[] | null {
  const t = tensorOf(v);
  if (!t) return null;
  if (t.int64Data?.length) return t.int64Data.map(Number);
  if (t.int32Data?.length) return [...t.int32Data];
  const raw = t.rawData;
  if (raw?.length && t.dataType === T.INT64)
    return [...new BigInt64Array(Uint8Array.from(raw).buffer)].map(Number);
  return null;
}

const attrInt = (n: Node, name: string) => n.attribute?.find((a) => a.name === name)?.i;
const attrInts = (n: Node, name: string) => n.attribute?.find((a) => a.name === name)?.ints?.map(Number);

/** What a copied shape node's result says of the rows' count (see `Value.batch`). */
export function batchOf(n: Node, inputs: (Value | null)[]): Value['batch'] {
  const [a, b] = inputs;
  switch (n.opType) {
    case 'Shape':
      return a?.kind === 'rows' && !Number(attrInt(n, 'start') ?? 0) ? 'vector' : undefined;
    case 'Gather': {
      const at = ints(b);
      if (a?.batch !== 'vector' || Number(attrInt(n, 'axis') ?? 0) !== 0 || !at || at[0] !== 0)
        return undefined;
      return tensorOf(b)?.dims?.length ? 'vector' : 'scalar';
    }
    case 'Unsqueeze':
      return a?.batch === 'scalar' ? 'vector' : undefined;
    case 'Concat':
      return a?.batch === 'vector' && Number(attrInt(n, 'axis') ?? 0) === 0 ? 'vector' : undefined;
    case 'Cast':
    case 'Identity':
      return a?.batch;
    default:
      return undefined;
  }
}

/** Whether a layout node over a rows value gives each row's elements in its own row. */
export function keepsRows(n: Node, inputs: (Value | null)[]): boolean {
  const [data, shape] = inputs;
  if (data?.kind !== 'rows' || inputs.slice(1).some((v) => v && v.kind !== 'const' && !v.copied))
    return false;
  switch (n.opType) {
    case 'Transpose':
      return attrInts(n, 'perm')?.[0] === 0;
    case 'Split': {
      const axis = Number(attrInt(n, 'axis') ?? 0);
      return axis > 0 || axis === -1;
    }
    case 'Reshape':
      return !Number(attrInt(n, 'allowzero') ?? 0) && (shape?.batch === 'vector' || ints(shape)?.[0] === 0);
    default:
      return false;
  }
}

export const subgraphs = (n: Node): Graph[] =>
  (n.attribute ?? []).flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);

/** Names a graph's nodes (and their subgraphs') read. */
export function reads(g: Graph, into = new Set<string>()): Set<string> {
  for (const n of g.node ?? []) {
    for (const i of n.input ?? []) if (i) into.add(i);
    for (const s of subgraphs(n)) reads(s, into);
  }
  for (const o of g.output ?? []) if (o.name) into.add(o.name);
  return into;
}
