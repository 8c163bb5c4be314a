/**
 * Dynamic quantization in a graph: `DynamicQuantizeLinear` computes its activation scale and zero
 * point over the whole input tensor, so every row of a call (each image of an encoder batch, each
 * beam of a decoder pass) shares one scale. A graph with it gives a row a result that depends on
 * the rows beside it; the engine then batches only what the reference implementations batch.
 */
import { readFile } from 'node:fs/promises';
import { type OnnxTypes, onnx } from './proto.ts';

export const DYNAMIC_QUANT_OPS = new Set(['DynamicQuantizeLinear', 'DynamicQuantizeMatMul']);

/** True when the graph, or a subgraph of its nodes (`If` branches, loops), quantizes dynamically. */
export function hasDynamicQuantization(g: OnnxTypes.IGraphProto | null | undefined): boolean {
  for (const n of g?.node ?? []) {
    if (DYNAMIC_QUANT_OPS.has(n.opType ?? '')) return true;
    for (const a of n.attribute ?? []) {
      if (hasDynamicQuantization(a.g)) return true;
      if ((a.graphs ?? []).some(hasDynamicQuantization)) return true;
    }
  }
  return false;
}

/** Whether any of the ONNX files quantizes dynamically (each file decoded in turn, then dropped). */
export async function dynamicallyQuantized(files: Iterable<string>): Promise<boolean> {
  for (const f of files) {
    const bytes = await readFile(f);
    // cheap rejection: the op type is stored as its plain UTF-8 name
    if (![...DYNAMIC_QUANT_OPS].some((op) => bytes.includes(op))) continue;
    if (hasDynamicQuantization(onnx.ModelProto.decode(bytes).graph)) return true;
  }
  return false;
}
