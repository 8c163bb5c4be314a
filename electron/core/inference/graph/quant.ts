/**
 * Dynamic quantization in a graph: `DynamicQuantizeLinear` computes its activation scale and zero
 * point over the whole input tensor, so every row of a call (each image of an encoder batch, each
 * beam of a decoder pass) shares one scale. A graph with it gives a row a result that depends on
 * the rows beside it; the engine then batches only what the reference implementations batch.
 */
import { createReadStream } from 'node:fs';

export const DYNAMIC_QUANT_OPS = new Set(['DynamicQuantizeLinear', 'DynamicQuantizeMatMul']);

/**
 * Whether any of the ONNX files quantizes dynamically: whether it names one of the operators (an op
 * type is stored as its plain UTF-8 name), read as a stream. Neither the file nor its decoded graph
 * is ever held whole: a public fp32 decoder read at once raised the worker's peak RSS by its size
 * (700 MB for a vit-gpt2-sized one), above transformers.js's on the same files. A file that names
 * the operator elsewhere only (a node name, a doc string) counts as quantizing: then its images are
 * batched as the reference batches them, which is slower, never wrong.
 */
export async function dynamicallyQuantized(files: Iterable<string>): Promise<boolean> {
  const names = [...DYNAMIC_QUANT_OPS].map((op) => Buffer.from(op));
  const overlap = Math.max(...names.map((n) => n.length)) - 1;
  for (const f of files) {
    let tail = Buffer.alloc(0);
    for await (const chunk of createReadStream(f, { highWaterMark: 1 << 22 })) {
      const window = Buffer.concat([tail, chunk as Buffer]);
      if (names.some((n) => window.includes(n))) return true;
      tail = window.subarray(Math.max(0, window.length - overlap));
    }
  }
  return false;
}
