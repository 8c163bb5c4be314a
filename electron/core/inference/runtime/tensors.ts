/**
 * Tensors as a session declares them: float data fed as float32 or float16 per the input's type,
 * outputs read back as float32, and empty first-step caches shaped from the input's metadata
 * (numbers kept, the batch dimension set, every other symbolic dimension 0), as transformers.js does.
 */
import * as ort from 'onnxruntime-node';
import { fromHalf, toHalf } from './half.ts';

type Meta = ort.InferenceSession.ValueMetadata & { isTensor: true };

export function inputMeta(s: ort.InferenceSession, name: string): Meta | null {
  const m = s.inputMetadata.find((x) => x.name === name);
  return m?.isTensor ? (m as Meta) : null;
}

export function outputMeta(s: ort.InferenceSession, name: string): Meta | null {
  const m = s.outputMetadata.find((x) => x.name === name);
  return m?.isTensor ? (m as Meta) : null;
}

/** Float data as the input `name` of `s` takes it. */
export function floatInput(
  s: ort.InferenceSession,
  name: string,
  data: Float32Array,
  dims: number[],
): ort.Tensor {
  return inputMeta(s, name)?.type === 'float16'
    ? new ort.Tensor('float16', toHalf(data), dims)
    : new ort.Tensor('float32', data, dims);
}

/** A float tensor converted, when needed, to the type input `name` of `s` declares. */
export function asInput(s: ort.InferenceSession, name: string, t: ort.Tensor): ort.Tensor {
  const want = inputMeta(s, name)?.type ?? t.type;
  if (want === t.type) return t;
  return floatInput(s, name, readFloats(t), t.dims as number[]);
}

/** Any float output as float32. */
export function readFloats(t: ort.Tensor): Float32Array {
  if (t.type === 'float16') return fromHalf(t.data as Uint16Array);
  if (t.type === 'float32') return t.data as Float32Array;
  throw new Error(`expected a float tensor, got ${t.type}`);
}

/**
 * The zero-length past for input `name`: its declared dims with the batch dimension `rows` and
 * every other symbolic dimension 0; `fallback` fills dims the metadata does not give.
 */
export function emptyInput(
  s: ort.InferenceSession,
  name: string,
  rows: number,
  fallback: number[],
): ort.Tensor {
  const meta = inputMeta(s, name);
  const shape = meta?.shape?.length ? meta.shape : fallback;
  const dims = shape.map((d, i) => (i === 0 ? rows : typeof d === 'number' && d >= 0 ? d : 0));
  if (dims.every((d) => d > 0)) throw new Error(`${name}: no dimension of its declared shape can be empty`);
  return meta?.type === 'float16'
    ? new ort.Tensor('float16', new Uint16Array(0), dims)
    : new ort.Tensor('float32', new Float32Array(0), dims);
}

/** Rows (dim 0) of a row-major buffer, gathered in this order (rows may repeat). */
export function gatherRows<T extends Float32Array | Uint16Array>(
  data: T,
  rowSize: number,
  rows: readonly number[],
): T {
  const out = new (data.constructor as new (n: number) => T)(rows.length * rowSize);
  rows.forEach((r, i) => {
    out.set(data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  });
  return out;
}

/** Float tensors of one type and trailing shape, stacked along dim 0. */
export function concatRows(parts: ort.Tensor[]): ort.Tensor {
  if (parts.length === 1) return parts[0];
  const [first] = parts;
  const data = first.data as Float32Array | Uint16Array;
  const out = new (data.constructor as new (n: number) => Float32Array | Uint16Array)(
    parts.reduce((n, p) => n + p.size, 0),
  );
  let at = 0;
  for (const p of parts) {
    out.set(p.data as Float32Array | Uint16Array, at);
    at += p.size;
  }
  const rows = parts.reduce((n, p) => n + Number(p.dims[0]), 0);
  return new ort.Tensor(first.type as 'float32', out as Float32Array, [rows, ...first.dims.slice(1)]);
}
