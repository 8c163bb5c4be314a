/**
 * Florence-2 (Microsoft; the onnx-community export) as a family: its sessions (`vision_encoder`,
 * `embed_tokens`, `encoder_model`, then the decoder, merged or split), its inputs (image features
 * followed by the task prompt's embeddings, through the encoder), its generation defaults
 * (text_config, then generation_config.json, as transformers.js merges them), its processor's
 * post-processing of caption text, and its attention geometry: the vision encoder gives a pooled
 * token then the 24x24 grid at 768 pixels (`num_image_tokens` 577), the prompt's tokens follow.
 * The decoder embeds each new token with `embed_tokens` (`FamilyModel.embed`).
 */
import * as ort from 'onnxruntime-node';
import { TASKS, type Task } from '../../api/decoding.ts';
import type { Family, FamilyModel, Json } from '../family.ts';
import { ROW_IMAGE } from '../graph/rows.ts';
import { floatInput, readFloats } from '../runtime/tensors.ts';

/** Our task names -> Florence-2's task tokens (the caption tasks; detection and OCR are not captions). */
export const TASK_TOKENS: Record<Task, string> = {
  caption: '<CAPTION>',
  detailed: '<DETAILED_CAPTION>',
  'more-detailed': '<MORE_DETAILED_CAPTION>',
};

const textConfig = (config: Json) => (config.text_config ?? {}) as Json;

/**
 * `embed_tokens` over rows of token ids -> (rows, T, width), as the session gives it; with each
 * row's image when the session takes it (per-image scales, graph/quant.ts; default: a row per image).
 */
async function embedTokens(
  embed: ort.InferenceSession,
  ids: BigInt64Array,
  rows: number,
  rowImage?: readonly number[],
): Promise<ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [rows, ids.length / rows]),
  };
  if (embed.inputNames.includes(ROW_IMAGE)) {
    const images = rowImage ?? Array.from({ length: rows }, (_, i) => i);
    feeds[ROW_IMAGE] = new ort.Tensor('int64', BigInt64Array.from(images, BigInt), [rows]);
  }
  const out = await embed.run(feeds);
  return out[embed.outputNames[0]] as ort.Tensor;
}

/** Image features (B, Si, W) then the prompt's embeddings (B, L, W), per image: (B, Si + L, W). */
function joinRows(image: ort.Tensor, text: ort.Tensor): { data: Float32Array; dims: number[] } {
  const [B, Si, W] = image.dims as number[];
  const L = Number(text.dims[1]);
  const a = readFloats(image);
  const b = readFloats(text);
  const joined = new Float32Array(B * (Si + L) * W);
  for (let n = 0; n < B; n++) {
    joined.set(a.subarray(n * Si * W, (n + 1) * Si * W), n * (Si + L) * W);
    joined.set(b.subarray(n * L * W, (n + 1) * L * W), (n * (Si + L) + Si) * W);
  }
  return { data: joined, dims: [B, Si + L, W] };
}

export const florence2: Family = {
  modelType: 'florence2',
  can: { tasks: Object.keys(TASK_TOKENS) as Task[], attention: true, nBest: true },
  sessions: [
    { name: 'vision_encoder', runs: 'per-batch' },
    { name: 'embed_tokens', runs: 'per-step' },
    { name: 'encoder_model', runs: 'per-batch' },
  ],

  architecture: () => 'florence2',
  decoderConfig: textConfig,
  /** the text model's settings, overridden by generation_config.json */
  generation: (config, generation) => ({ ...textConfig(config), ...generation }),

  /** The prompt of each caption task, from the processor's `task_prompts_without_inputs`. */
  prompts(preprocessor) {
    const table = (preprocessor.task_prompts_without_inputs ?? {}) as Record<string, string>;
    return new Map(
      TASKS.flatMap((t) => (typeof table[TASK_TOKENS[t]] === 'string' ? [[t, table[TASK_TOKENS[t]]]] : [])),
    );
  },

  open(sessions, files): FamilyModel {
    const vision = sessions.get('vision_encoder')!;
    const embed = sessions.get('embed_tokens')!;
    const encoder = sessions.get('encoder_model')!;
    const prompts = florence2.prompts(files.preprocessor);
    const { tokenizer } = files;
    // a pooled token, then a square grid
    const imageTokens = Number(files.config.num_image_tokens ?? 577);
    const side = Math.round(Math.sqrt(imageTokens - 1));
    const grid = side * side === imageTokens - 1 ? { rows: side, cols: side } : null;
    return {
      imageSession: vision,
      encoder,
      grid,
      cells: (positions) => (grid && 1 + side * side <= positions ? { offset: 1, ...grid } : null),
      /** The encoder's states: image features then the task prompt's embeddings, all attended to. */
      async encode(pixels, task) {
        const prompt = task && prompts.get(task);
        if (!prompt) throw new Error(`this model has no prompt for the task '${task}'`);
        const B = Number(pixels.dims[0]);
        const ids = tokenizer.encode(prompt).ids.map(BigInt);
        const image = (await vision.run({ pixel_values: pixels }))[vision.outputNames[0]] as ort.Tensor;
        const repeated = BigInt64Array.from({ length: B * ids.length }, (_, i) => ids[i % ids.length]);
        const { data, dims } = joinRows(image, await embedTokens(embed, repeated, B));
        const S = dims[1];
        const out = await encoder.run({
          inputs_embeds: floatInput(encoder, 'inputs_embeds', data, dims),
          attention_mask: new ort.Tensor('int64', new BigInt64Array(B * S).fill(1n), [B, S]),
        });
        return out.last_hidden_state as ort.Tensor;
      },
      embed: (ids, rows, rowImage) => embedTokens(embed, ids, rows, rowImage),
      /** The processor's `pure_text` post-processing: decoded with special tokens, then every <s> and </s> removed. */
      text: (tokens) =>
        tokenizer.decode(tokens, { skip_special_tokens: false }).replaceAll('</s>', '').replaceAll('<s>', ''),
    };
  },
};
