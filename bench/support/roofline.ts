/**
 * The roofline of a vit-gpt2-sized captioner on this machine: the model's FLOPs per image (encoder)
 * and per decoding step and row (decoder, with the cross-attention keys and values computed once
 * per image, as the hoisted decoder does) divided by ONNX Runtime's measured GEMM peak, fp32
 * (MatMul) and int8 (MatMulInteger), with the engine's session options (all cores, no spinning).
 * The peak: a [256 x 768] x [768 x 3072] product repeated, the best of 20 runs.
 */
import * as ort from 'onnxruntime-node';
import { onnx } from '../../electron/core/inference/graph/proto.ts';

const T = onnx.TensorProto.DataType;
const [M, K, N] = [256, 768, 3072];

/** A one-node graph: `a` [M, K] times a random weight [K, N]. */
function gemmModel(int8: boolean): Uint8Array {
  const weight = int8
    ? { dataType: T.INT8, rawData: Uint8Array.from({ length: K * N }, () => (Math.random() * 255) | 0) }
    : {
        dataType: T.FLOAT,
        rawData: new Uint8Array(Float32Array.from({ length: K * N }, () => Math.random() - 0.5).buffer),
      };
  const io = (name: string, elemType: number, dims: number[]) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'gemm',
      node: [{ opType: int8 ? 'MatMulInteger' : 'MatMul', input: ['a', 'w'], output: ['y'] }],
      initializer: [{ name: 'w', dims: [K, N], ...weight }],
      input: [io('a', int8 ? T.UINT8 : T.FLOAT, [M, K])],
      output: [io('y', int8 ? T.INT32 : T.FLOAT, [M, N])],
    },
  }).finish();
}

/** ORT's GEMM peak on this machine, in GFLOP/s (a multiply-add counted as 2). */
export async function gemmPeak(int8: boolean): Promise<number> {
  const s = await ort.InferenceSession.create(gemmModel(int8), {
    intraOpNumThreads: 0,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const a = int8
    ? new ort.Tensor(
        'uint8',
        Uint8Array.from({ length: M * K }, () => (Math.random() * 255) | 0),
        [M, K],
      )
    : new ort.Tensor(
        'float32',
        Float32Array.from({ length: M * K }, () => Math.random()),
        [M, K],
      );
  let best = Infinity;
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await s.run({ a });
    best = Math.min(best, performance.now() - t);
  }
  await s.release();
  return (2 * M * K * N) / (best / 1000) / 1e9;
}

/** vit-gpt2-image-captioning's shape: ViT-B/16 at 224 (197 tokens), 12-layer GPT-2 with cross-attention. */
const VIT = { tokens: 197, width: 768, layers: 12, inner: 3072 };
const GPT = { width: 768, layers: 12, inner: 3072, vocab: 50257 };

/** FLOPs of one image through the encoder: its projections and attention. */
export function encoderFlops(): number {
  const { tokens: S, width: E, layers: L, inner: I } = VIT;
  const perToken = 2 * (4 * E * E + 2 * E * I);
  return L * (S * perToken + 2 * 2 * S * S * E) + 2 * S * 3 * 16 * 16 * E;
}

/**
 * FLOPs of one decoding step for one row at past length `past`: self-attention and MLP projections,
 * the cross-attention query and output projections and its attention over the encoder's tokens, the
 * language-model head (the cross-attention keys and values are per image, not per step).
 */
export function decoderStepFlops(past: number): number {
  const { width: E, layers: L, inner: I, vocab: V } = GPT;
  const perLayer = 2 * (4 * E * E + 2 * E * E + 2 * E * I) + 2 * 2 * E * (past + 1 + VIT.tokens);
  return L * perLayer + 2 * E * V;
}

/** The roofline lines for one dtype: each part's floor at the measured peak. */
export async function roofline(int8: boolean): Promise<string> {
  const peak = await gemmPeak(int8);
  const ms = (flops: number) => (flops / (peak * 1e9)) * 1000;
  return (
    `roofline ${int8 ? 'int8' : 'fp32'}: ORT GEMM peak ${peak.toFixed(0)} GFLOP/s; encoder ${(encoderFlops() / 1e9).toFixed(1)} GFLOP/image ` +
    `>= ${ms(encoderFlops()).toFixed(1)} ms; decoder step ${(decoderStepFlops(10) / 1e9).toFixed(2)} GFLOP/row ` +
    `>= ${ms(decoderStepFlops(10)).toFixed(2)} ms (at past 10; weights streamed once per step whatever the rows)`
  );
}
