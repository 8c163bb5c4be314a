/**
 * Cross-attention probabilities as graph outputs: finds, in a decoder graph, each layer's
 * cross-attention Softmax (the one over the query x key product whose key side comes from the
 * encoder's states, not from the decoder's own tokens) and adds it as the output
 * `cross_attentions.{layer}` (float32: a Cast follows the Softmax, a no-op for float32 ones).
 * Merged decoders: the outputs are added inside both `If` branches and on the `If` node.
 * Identified structurally; node names (`cross`, `encoder_attn`, `crossattention`) only cross-check.
 */
import { derivedFile, type Rewrite } from './derived.ts';
import { type OnnxTypes, onnx } from './proto.ts';

/** Bump when the rewrite's output changes: derived files are keyed by it. */
export const ATTENTION_REWRITE_VERSION = 1;

export const ATTENTION_OUTPUT = /^cross_attentions\.\d+$/;

export class GraphRewriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphRewriteError';
  }
}

type Graph = OnnxTypes.IGraphProto;
type Node = OnnxTypes.INodeProto;

/** Where a graph's key side may come from: the encoder's states, or the cross-attention cache. */
const ENCODER_SOURCE = /^(encoder_hidden_states|past_key_values\.\d+\.encoder\.(key|value))$/;
/** The decoder's own tokens and self-attention cache: a key side from these is self-attention. */
const DECODER_SOURCE =
  /^(input_ids|inputs_embeds|position_ids|attention_mask|past_key_values\.\d+\.(key|value|decoder\.(key|value)))$/;
const CROSS_NAME = /cross|encoder_attn/i;
/** Ops between the query x key product and the Softmax (scaling, masking, bias). */
const PRODUCT_OPS = new Set(['MatMul', 'MatMulInteger', 'QLinearMatMul', 'Einsum']);

function producers(g: Graph): Map<string, Node> {
  const by = new Map<string, Node>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) by.set(o, n);
  return by;
}

/** The query x key product feeding `name` through elementwise ops, or null. */
function product(name: string, by: Map<string, Node>): Node | null {
  const queue = [name];
  const seen = new Set<string>();
  while (queue.length) {
    const n = by.get(queue.shift()!);
    if (!n || seen.has(n.output![0])) continue;
    seen.add(n.output![0]);
    if (PRODUCT_OPS.has(n.opType ?? '')) return n;
    queue.push(...(n.input ?? []).filter(Boolean));
  }
  return null;
}

/** The key operand of a product node (B of MatMul, of MatMulInteger; b of QLinearMatMul). */
const keyInput = (n: Node) => (n.opType === 'QLinearMatMul' ? n.input![3] : n.input![1]);

/** Names with no producer in this graph (its inputs, initializers, names of an outer scope) that `name` depends on. */
function sources(name: string, by: Map<string, Node>): Set<string> {
  const out = new Set<string>();
  const stack = [name];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const n = by.get(t);
    if (!n) out.add(t);
    else stack.push(...(n.input ?? []).filter(Boolean));
  }
  return out;
}

export interface FoundSoftmax {
  node: Node;
  /** the node's name agrees (names a cross-attention block) */
  named: boolean;
}

/** The cross-attention Softmax nodes of one graph (no subgraphs), in node order (= layer order). */
export function crossSoftmaxes(g: Graph): FoundSoftmax[] {
  const by = producers(g);
  const found: FoundSoftmax[] = [];
  let anyNamed = false;
  for (const n of g.node ?? []) {
    if (n.opType !== 'Softmax') continue;
    const named = CROSS_NAME.test(n.name ?? '') || CROSS_NAME.test(n.output?.[0] ?? '');
    anyNamed ||= named;
    const mm = product(n.input![0], by);
    if (!mm) continue;
    const src = [...sources(keyInput(mm), by)];
    if (src.some((s) => ENCODER_SOURCE.test(s)) && !src.some((s) => DECODER_SOURCE.test(s)))
      found.push({ node: n, named });
  }
  // where the exporter named its blocks, the structure must agree with the names
  if (anyNamed && found.some((f) => !f.named))
    throw new GraphRewriteError(
      `a Softmax over the encoder's keys sits outside a cross-attention block (${found.find((f) => !f.named)!.node.name})`,
    );
  return found;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** A rank-4 float output (batch, heads, decoder positions, encoder positions). */
function attentionInfo(name: string): OnnxTypes.IValueInfoProto {
  const dims = ['batch_size', 'num_heads', 'decoder_sequence_length', 'encoder_sequence_length'];
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((dimParam) => ({ dimParam })) } } },
  };
}

/** Adds a Cast of each cross-attention Softmax to `g`'s outputs; returns the new output names. */
function exposeIn(g: Graph, outName: (layer: number) => string): string[] {
  const found = crossSoftmaxes(g);
  const names: string[] = [];
  found.forEach(({ node }, layer) => {
    const name = outName(layer);
    g.node!.push({
      name: `${name}/Cast`,
      opType: 'Cast',
      input: [node.output![0]],
      output: [name],
      attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
    });
    g.output!.push(attentionInfo(name));
    names.push(name);
  });
  return names;
}

/** com.microsoft operators that compute attention inside one node */
const FUSED_OPS = new Set([
  'Attention',
  'MultiHeadAttention',
  'GroupQueryAttention',
  'DecoderMaskedMultiHeadAttention',
]);

function allNodes(g: Graph): Node[] {
  return (g.node ?? []).flatMap((n) => [
    n,
    ...(n.attribute ?? []).flatMap((a) => (a.g ? allNodes(a.g) : [])),
  ]);
}

const branch = (n: Node, which: string) => n.attribute?.find((a) => a.name === which)?.g ?? null;

/**
 * Rewrites `model` in place so that its main graph outputs `cross_attentions.{i}` for every
 * decoder layer: returns the number of layers, and whether it added them (false: the graph had them).
 * Throws GraphRewriteError when no cross-attention is found.
 */
export function exposeCrossAttention(model: OnnxTypes.IModelProto): { layers: number; added: boolean } {
  const g = model.graph;
  if (!g) throw new GraphRewriteError('no graph');
  if ((g.output ?? []).some((o) => ATTENTION_OUTPUT.test(o.name ?? ''))) {
    return { layers: g.output!.filter((o) => ATTENTION_OUTPUT.test(o.name ?? '')).length, added: false };
  }
  const direct = crossSoftmaxes(g).length;
  if (direct) return { layers: exposeIn(g, (i) => `cross_attentions.${i}`).length, added: true };
  // a merged decoder: the layers live in the branches of an If on use_cache_branch
  const ifs = (g.node ?? []).filter(
    (n) => n.opType === 'If' && branch(n, 'then_branch') && branch(n, 'else_branch'),
  );
  for (const node of ifs) {
    const [thenG, elseG] = [branch(node, 'then_branch')!, branch(node, 'else_branch')!];
    const counts = [crossSoftmaxes(thenG).length, crossSoftmaxes(elseG).length];
    if (!counts[0] && !counts[1]) continue;
    if (counts[0] !== counts[1])
      throw new GraphRewriteError(
        `${node.name}: its branches have ${counts[0]} and ${counts[1]} cross-attention layers`,
      );
    exposeIn(thenG, (i) => `then/cross_attentions.${i}`);
    exposeIn(elseG, (i) => `else/cross_attentions.${i}`);
    for (let i = 0; i < counts[0]; i++) {
      node.output!.push(`cross_attentions.${i}`);
      g.output!.push(attentionInfo(`cross_attentions.${i}`));
    }
    return { layers: counts[0], added: true };
  }
  const fused = allNodes(g).find((n) => FUSED_OPS.has(n.opType ?? ''));
  throw new GraphRewriteError(
    fused
      ? `its attention is fused (${fused.opType} ${fused.name}): the probabilities never leave the operator`
      : 'no cross-attention Softmax found (none whose key side comes from encoder_hidden_states or the encoder cache)',
  );
}

/** The rewrite as `derivedFile` runs it. */
export const crossAttentionRewrite: Rewrite = {
  name: 'cross-attention',
  version: ATTENTION_REWRITE_VERSION,
  apply: (model: OnnxTypes.IModelProto) => exposeCrossAttention(model).added,
};

/**
 * The file to open for a decoder whose cross-attention is wanted: its derived file in `dataDir`,
 * or `file` itself when it outputs `cross_attentions.*` already or cannot give attention (then the
 * model captions as it is, without heat-maps; `reason` says why).
 */
export async function attentionDecoder(
  dataDir: string,
  file: string,
): Promise<{ file: string; reason: string | null }> {
  try {
    return { file: (await derivedFile(dataDir, file, crossAttentionRewrite)).file, reason: null };
  } catch (err) {
    if (err instanceof GraphRewriteError) return { file, reason: `${file}: ${err.message}` };
    throw err;
  }
}
