/**
 * Florence-2 (onnx-community export) as an architecture of the engine: which sessions it opens
 * (`vision_encoder`, `embed_tokens`, `encoder_model`, and the decoder, merged or split), how its
 * inputs are prepared (image features followed by the task prompt's embeddings, through the
 * encoder), its generation defaults (text_config, then generation_config.json, as transformers.js
 * merges them) and its processor's post-processing of caption text. The decoding loop, logits
 * processors, KV cache and storage are the shared ones; the decoder embeds each new token with
 * `embed_tokens` (see decoder.ts).
 */
import type { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { TASKS, type Task } from '../api/decoding.ts';
import { floatInput, readFloats } from './tensors.ts';

export const FLORENCE_SESSIONS = ['vision_encoder', 'embed_tokens', 'encoder_model'];

/** Our task names -> Florence-2's task tokens (the caption tasks; detection and OCR are not captions). */
export const TASK_TOKENS: Record<Task, string> = {
  caption: '<CAPTION>',
  detailed: '<DETAILED_CAPTION>',
  'more-detailed': '<MORE_DETAILED_CAPTION>',
};

/** The prompt of each caption task, from the processor's `task_prompts_without_inputs`. */
export function taskPrompts(preprocessor: Record<string, unknown>): Map<Task, string> {
  const table = (preprocessor.task_prompts_without_inputs ?? {}) as Record<string, string>;
  return new Map(
    TASKS.flatMap((t) => (typeof table[TASK_TOKENS[t]] === 'string' ? [[t, table[TASK_TOKENS[t]]]] : [])),
  );
}

/** Generation defaults: the text model's settings, overridden by generation_config.json. */
export function florenceGeneration(
  config: Record<string, unknown>,
  generation: Record<string, unknown>,
): Record<string, unknown> {
  return { ...((config.text_config ?? {}) as Record<string, unknown>), ...generation };
}

export interface FlorenceSessions {
  vision: ort.InferenceSession;
  embed: ort.InferenceSession;
  encoder: ort.InferenceSession;
  tokenizer: Tokenizer;
  prompts: Map<Task, string>;
}

/** `embed_tokens` over rows of token ids -> (rows, T, width), as the session gives it. */
export async function embedTokens(
  embed: ort.InferenceSession,
  ids: BigInt64Array,
  rows: number,
): Promise<ort.Tensor> {
  const out = await embed.run({ input_ids: new ort.Tensor('int64', ids, [rows, ids.length / rows]) });
  return out[embed.outputNames[0]] as ort.Tensor;
}

/**
 * The encoder's states for a batch: image features (a pooled token, then the grid), then the
 * task prompt's embeddings; all positions attended to.
 */
export async function encodeFlorence(
  s: FlorenceSessions,
  pixels: ort.Tensor,
  task: Task,
): Promise<ort.Tensor> {
  const B = Number(pixels.dims[0]);
  const prompt = s.prompts.get(task);
  if (!prompt) throw new Error(`this model has no prompt for the task '${task}'`);
  const ids = s.tokenizer.encode(prompt).ids.map(BigInt);
  const image = (await s.vision.run({ pixel_values: pixels }))[s.vision.outputNames[0]] as ort.Tensor;
  const text = await embedTokens(
    s.embed,
    BigInt64Array.from({ length: B * ids.length }, (_, i) => ids[i % ids.length]),
    B,
  );
  const [, Si, W] = image.dims as number[];
  const L = ids.length;
  const a = readFloats(image);
  const b = readFloats(text);
  const joined = new Float32Array(B * (Si + L) * W);
  for (let n = 0; n < B; n++) {
    joined.set(a.subarray(n * Si * W, (n + 1) * Si * W), n * (Si + L) * W);
    joined.set(b.subarray(n * L * W, (n + 1) * L * W), (n * (Si + L) + Si) * W);
  }
  const S = Si + L;
  const out = await s.encoder.run({
    inputs_embeds: floatInput(s.encoder, 'inputs_embeds', joined, [B, S, W]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(B * S).fill(1n), [B, S]),
  });
  return out.last_hidden_state as ort.Tensor;
}

/** The processor's `pure_text` post-processing: decoded with special tokens, then every <s> and </s> removed. */
export function florenceText(tokenizer: Tokenizer, tokens: number[]): string {
  return tokenizer
    .decode(tokens, { skip_special_tokens: false })
    .replaceAll('</s>', '')
    .replaceAll('<s>', '');
}
