/**
 * Dynamic quantization in a graph: `DynamicQuantizeLinear` computes its activation scale and zero
 * point over the whole input tensor, so every row of a call (each image of an encoder batch, each
 * beam of a decoder pass) shares one scale. A graph with it gives a row a result that depends on
 * the rows beside it; the engine then batches only what the reference implementations batch.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { derivedFile, type Rewrite } from './derived.ts';
import { type OnnxTypes, onnx } from './proto.ts';
import { addRowImageInput, ROW_IMAGE, reads, subgraphs } from './rows.ts';

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
  for (const f of files) if (await quantizes(f)) return true;
  return false;
}

/**
 * Scans already made, by path, size and modification time: a load asks of the same files more than
 * once (the decoder for its rewrite, then the engine for its batching), and reloads ask again.
 */
const scans = new Map<string, Promise<boolean>>();

async function quantizes(file: string): Promise<boolean> {
  const { size, mtimeMs } = await stat(file);
  const key = `${file}\0${size}\0${mtimeMs}`;
  let scan = scans.get(key);
  if (!scan) {
    scan = scanFor(file, DYNAMIC_QUANT_OPS);
    scans.set(key, scan);
    scan.catch(() => scans.delete(key));
  }
  return scan;
}

/** Whether the file names any of the operators, read as a stream (never held whole). */
async function scanFor(file: string, ops: Set<string>): Promise<boolean> {
  const names = [...ops].map((op) => Buffer.from(op));
  const overlap = Math.max(...names.map((n) => n.length)) - 1;
  let tail = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) {
    const window = Buffer.concat([tail, chunk as Buffer]);
    if (names.some((n) => window.includes(n))) return true;
    tail = window.subarray(Math.max(0, window.length - overlap));
  }
  return false;
}

/**
 * The rewrite that lets a dynamically quantized decoder batch images and stay batch-independent
 * (issue #27): each `DynamicQuantizeLinear` feeding `MatMulInteger`s gets one scale and zero point
 * per image instead of one per call. The scale of a slice of dimension 0 (a row, or a row's token
 * when the export flattens to [rows x tokens, width]) is computed over every slice of its image's
 * rows (`ROW_IMAGE` gives each row's image: one image's beams share a scale, as when the reference
 * runs that image alone), with ONNX Runtime's arithmetic (qmath.h `GetQuantizationParameter`, MLAS
 * `QuantizeLinear`): range widened to include 0; scale (max - min) / 255, or 1 when max = min;
 * zero point round-half-even(clamp(-min / scale, 0, 255)); q = clamp(round(x / scale) + zp, 0, 255).
 * `MatMulInteger` cannot take a zero point per row, so it runs with none and subtracts
 * zp x (the weight's column sums less its zero point) after: the same integers exactly. The rescale
 * (`Mul` by the scale) is the graph's own, now by one scale per slice. A quantization node whose
 * results go anywhere else is left as it is (the engine then runs the decoder one image per pass).
 */
export const SCALES_REWRITE_VERSION = 1;

const T = onnx.TensorProto.DataType;

/** An int8/uint8 initializer's values, or null when they are not in the graph itself. */
function int8Values(t: OnnxTypes.ITensorProto): ArrayLike<number> | null {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return null;
  const raw = t.rawData;
  if (raw?.length) {
    if (t.dataType === T.INT8) return new Int8Array(raw.buffer, raw.byteOffset, raw.length);
    if (t.dataType === T.UINT8) return raw;
    return null;
  }
  return t.int32Data?.length ? t.int32Data : null;
}

/** Column sums of W - zero point (W [K, F], zero point scalar or [F]), as int32; null when unreadable. */
function columnSums(w: OnnxTypes.ITensorProto, zp: OnnxTypes.ITensorProto | null): Int32Array | null {
  const dims = (w.dims ?? []).map(Number);
  const values = int8Values(w);
  const zps = zp ? int8Values(zp) : [0];
  if (dims.length !== 2 || !values || !zps) return null;
  const [K, F] = dims;
  if (values.length !== K * F || (zps.length !== 1 && zps.length !== F)) return null;
  const sums = new Int32Array(F);
  for (let k = 0; k < K; k++) for (let f = 0; f < F; f++) sums[f] += values[k * F + f];
  for (let f = 0; f < F; f++) sums[f] -= K * Number(zps.length === 1 ? zps[0] : zps[f]);
  return sums;
}

/** Rewrites `model` in place; true when any quantization node got per-image scales. */
export function scalesPerImage(model: OnnxTypes.IModelProto): boolean {
  const g = model.graph;
  const opset = Number(model.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  if (!g || opset < 11) return false;
  let count = 0;
  const name = (what: string) => `per-image-scale/${count}/${what}`;
  const consts = new Map<string, string>();
  /** a constant in the main graph (subgraphs see it), made once per value */
  const constant = (type: number, values: number[], dims: number[]): string => {
    const key = `${type}:${dims}:${values}`;
    if (!consts.has(key)) {
      const n = `per-image-scale/const/${consts.size}`;
      const t: OnnxTypes.ITensorProto = { name: n, dataType: type, dims };
      if (type === T.FLOAT) t.floatData = values;
      else if (type === T.INT64) t.int64Data = values;
      else t.int32Data = values;
      g.initializer = [...(g.initializer ?? []), t];
      consts.set(key, n);
    }
    return consts.get(key)!;
  };
  const i64 = (v: number[], dims = [v.length]) => constant(T.INT64, v, dims);
  const f32 = (v: number) => constant(T.FLOAT, [v], []);
  const node = (opType: string, input: string[], what: string, attrs: OnnxTypes.IAttributeProto[] = []) => ({
    opType,
    input,
    output: [name(what)],
    name: name(what),
    attribute: attrs,
  });
  const int = (n: string, i: number): OnnxTypes.IAttributeProto => ({
    name: n,
    type: onnx.AttributeProto.AttributeType.INT,
    i,
  });
  // ReduceMax/Min over axis 1, no kept dims: axes an attribute before opset 18, an input since
  const reduce = (op: string, x: string, what: string) =>
    opset >= 18
      ? node(op, [x, i64([1])], what, [int('keepdims', 0)])
      : node(op, [x], what, [
          int('keepdims', 0),
          { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
        ]);

  const visit = (graph: OnnxTypes.IGraphProto, outer: Map<string, OnnxTypes.ITensorProto>) => {
    const inits = new Map(outer);
    for (const t of graph.initializer ?? []) inits.set(t.name!, t);
    const readers = new Map<string, OnnxTypes.INodeProto[]>();
    const elsewhere = new Set<string>(); // read by a subgraph or a graph output
    for (const n of graph.node ?? []) {
      for (const i of n.input ?? []) {
        if (!readers.has(i)) readers.set(i, []);
        readers.get(i)!.push(n);
      }
      for (const s of subgraphs(n)) {
        visit(s, inits);
        for (const r of reads(s)) elsewhere.add(r);
      }
    }
    for (const o of graph.output ?? []) elsewhere.add(o.name!);
    const replace = new Map<OnnxTypes.INodeProto, OnnxTypes.INodeProto[]>();
    for (const n of graph.node ?? []) {
      if (n.opType !== 'DynamicQuantizeLinear' || n.domain) continue;
      const [x] = n.input ?? [];
      const [y, ys, yzp] = n.output ?? [];
      const mms = readers.get(y) ?? [];
      const sums = mms.map((m) =>
        m.opType === 'MatMulInteger' && m.input?.[0] === y && m.input[2] === yzp && inits.has(m.input[1])
          ? columnSums(inits.get(m.input[1])!, m.input[3] ? (inits.get(m.input[3]) ?? null) : null)
          : null,
      );
      if (
        !mms.length ||
        sums.some((s) => !s) ||
        [y, ys, yzp].some((o) => elsewhere.has(o)) ||
        (readers.get(yzp) ?? []).some((r) => !mms.includes(r)) ||
        (readers.get(ys) ?? []).some((r) => r.opType !== 'Mul')
      )
        continue;
      count++;
      const nodes: OnnxTypes.INodeProto[] = [];
      const add = (n: OnnxTypes.INodeProto) => {
        nodes.push(n);
        return n.output![0];
      };
      // per slice of dimension 0: min and max
      const x2 = add(node('Reshape', [x, i64([0, -1])], 'x2'));
      const max = add(reduce('ReduceMax', x2, 'max'));
      const min = add(reduce('ReduceMin', x2, 'min'));
      // each slice's image: slice i is row i / (slices / rows)
      const shape = add(node('Shape', [x2], 'shape'));
      const slices = add(node('Gather', [shape, i64([0], [])], 'slices'));
      const slicesV = add(node('Gather', [shape, i64([0])], 'slices-v'));
      const per = add(node('Div', [slicesV, add(node('Shape', [ROW_IMAGE], 'rows'))], 'per'));
      const range = add(node('Range', [i64([0], []), slices, i64([1], [])], 'range'));
      const image = add(node('Gather', [ROW_IMAGE, add(node('Div', [range, per], 'row'))], 'image'));
      const same = add(
        node(
          'Equal',
          [
            add(node('Reshape', [image, i64([-1, 1])], 'col')),
            add(node('Reshape', [image, i64([1, -1])], 'line')),
          ],
          'same',
        ),
      );
      // over the image's slices, with 0 in the range
      const over = (v: string, op: string, fill: number, bound: string, what: string) =>
        add(
          node(
            bound,
            [
              add(
                reduce(
                  op,
                  add(
                    node(
                      'Where',
                      [same, add(node('Reshape', [v, i64([1, -1])], `${what}-line`)), f32(fill)],
                      `${what}-w`,
                    ),
                  ),
                  `${what}-image`,
                ),
              ),
              f32(0),
            ],
            what,
          ),
        );
      const hi = over(max, 'ReduceMax', -Infinity, 'Max', 'hi');
      const lo = over(min, 'ReduceMin', Infinity, 'Min', 'lo');
      const scale = add(
        node(
          'Where',
          [
            add(node('Equal', [hi, lo], 'flat')),
            f32(1),
            add(node('Div', [add(node('Sub', [hi, lo], 'span')), f32(255)], 'scale0')),
          ],
          'scale',
        ),
      );
      const clamp = (v: string, what: string) =>
        add(node('Max', [add(node('Min', [v, f32(255)], `${what}-min`)), f32(0)], what));
      const zp = add(
        node('Round', [clamp(add(node('Neg', [add(node('Div', [lo, scale], 'lo-s'))], 'zp0')), 'zp1')], 'zp'),
      );
      // as x's rank: [slices, 1, ..., 1]
      const rank = add(node('Shape', [add(node('Shape', [x], 'x-shape'))], 'rank'));
      const ones = add(
        node('ConstantOfShape', [add(node('Sub', [rank, i64([1])], 'rank-1'))], 'ones', [
          {
            name: 'value',
            type: onnx.AttributeProto.AttributeType.TENSOR,
            t: { dataType: T.INT64, dims: [1], int64Data: [1] },
          },
        ]),
      );
      const bshape = add(node('Concat', [slicesV, ones], 'bshape', [int('axis', 0)]));
      nodes.push({ ...node('Reshape', [scale, bshape], 'scale-b'), output: [ys] });
      const zpB = add(node('Reshape', [zp, bshape], 'zp-b'));
      const q = add(node('Add', [add(node('Round', [add(node('Div', [x, ys], 'x-s'))], 'x-r')), zpB], 'q0'));
      nodes.push({ ...node('Cast', [clamp(q, 'q1')], 'q', [int('to', T.UINT8)]), output: [y] });
      const zpI = add(node('Cast', [zpB], 'zp-i', [int('to', T.INT32)]));
      replace.set(n, nodes);
      mms.forEach((m, k) => {
        const [, w, , wzp] = m.input!;
        const acc = name(`acc/${k}`);
        const corr = node('Mul', [zpI, constant(T.INT32, [...sums[k]!], [sums[k]!.length])], `corr/${k}`);
        replace.set(m, [
          { ...m, input: wzp ? [y, w, '', wzp] : [y, w], output: [acc] },
          corr,
          { ...node('Sub', [acc, corr.output[0]], `sub/${k}`), output: m.output },
        ]);
      });
    }
    if (replace.size) graph.node = (graph.node ?? []).flatMap((n) => replace.get(n) ?? [n]);
  };
  visit(g, new Map());
  if (!count) return false;
  addRowImageInput(g);
  return true;
}

/** The rewrite as `derivedFile` runs it. */
export const scalesRewrite: Rewrite = {
  name: 'scales',
  version: SCALES_REWRITE_VERSION,
  apply: scalesPerImage,
};

/**
 * The decoder file to open so that images can share its passes: `file` itself when it does not
 * quantize dynamically, else its derived file with per-image scales (made once in `dataDir`).
 */
export async function scaledDecoder(dataDir: string, file: string): Promise<string> {
  if (!(await dynamicallyQuantized([file]))) return file;
  return (await derivedFile(dataDir, file, scalesRewrite)).file;
}
