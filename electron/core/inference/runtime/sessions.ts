/**
 * SESSION_OPTIONS: how every ONNX Runtime session is opened, and why (measured on 2 cores).
 * - Spin-waiting off (`allow_spinning = 0`, intra- and inter-op): with it on, each session's idle
 *   threads burned a core between calls (16.7% of all CPU samples in the spin loop); off, inference
 *   alone ran 2.2x faster and a caption job 1.4x.
 * - Intra-op threads: every core (ORT's 0) unless asked; inter-op 1, the graphs being sequential.
 * - Graph optimisation: all.
 * - CPU memory arena: on for the sessions run at every decoding step, whose shapes change each step
 *   (off, a vit-gpt2-sized int8 model captioned greedily ~20% slower); off for the image encoders,
 *   run once per batch (a vit-gpt2-sized fp32 model peaked 130-150 MB lower on 16 photos, at the same
 *   speed, 3 interleaved runs each).
 */
import * as ort from 'onnxruntime-node';
import { BundleError } from '../errors.ts';

/** How often a session runs while a batch is captioned. */
export type Runs = 'per-batch' | 'per-step';

/** The thread and memory settings a caller may change (see SESSION_OPTIONS above). */
export interface SessionSettings {
  intraOpThreads?: number;
  interOpThreads?: number;
  /** ORT's thread-pool spin-waiting (default off) */
  spinning?: boolean;
  /** ORT's CPU memory arena for the sessions run at every decoding step (default on) */
  memArena?: boolean;
}

export async function createSession(
  file: string,
  providers: string[],
  opts: SessionSettings,
  runs: Runs,
): Promise<ort.InferenceSession> {
  const spin = opts.spinning ? '1' : '0';
  try {
    return await ort.InferenceSession.create(file, {
      executionProviders: providers,
      intraOpNumThreads: opts.intraOpThreads ?? 0,
      interOpNumThreads: opts.interOpThreads ?? 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
      enableCpuMemArena: runs === 'per-step' && (opts.memArena ?? true),
    });
  } catch (err) {
    throw new BundleError(`${file}: cannot load ONNX model (${(err as Error).message.split('\n')[0]})`);
  }
}

/** The session's first output, or the named one when it has it. */
export const outputName = (s: ort.InferenceSession, preferred: string) =>
  s.outputNames.includes(preferred) ? preferred : s.outputNames[0];
