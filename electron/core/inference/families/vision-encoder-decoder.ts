/**
 * Hugging Face VisionEncoderDecoder models (vit-gpt2, TrOCR, Donut, our own captioner): an image
 * encoder (`encoder_model`: pixels -> states) and a text decoder attending to its states. Heat-maps:
 * a ViT at 224 with 16-pixel patches gives CLS + 14x14 positions; the grid's cells are the last
 * rows x cols positions (after CLS, and distillation tokens where a model has them).
 */
import type * as ort from 'onnxruntime-node';
import type { Family, FamilyModel, Json } from '../family.ts';
import { outputName } from '../runtime/sessions.ts';

const part = (config: Json, key: string) => (config[key] ?? {}) as Json;
const first = (v: unknown) => (Array.isArray(v) ? v[0] : v);

export const visionEncoderDecoder: Family = {
  modelType: 'vision-encoder-decoder',
  can: { tasks: [], attention: true, nBest: true },
  sessions: [{ name: 'encoder_model', runs: 'per-batch' }],

  architecture: (config) =>
    `${part(config, 'encoder').model_type ?? '?'}+${part(config, 'decoder').model_type ?? '?'}`,
  decoderConfig: (config) => part(config, 'decoder'),
  generation: (_config, generation) => generation,
  prompts: () => new Map(),

  open(sessions, { config, tokenizer }): FamilyModel {
    const encoder = sessions.get('encoder_model')!;
    const enc = part(config, 'encoder');
    const size = first(enc.image_size);
    const patch = first(enc.patch_size);
    const side = typeof size === 'number' && typeof patch === 'number' ? Math.floor(size / patch) : 0;
    const grid = side ? { rows: side, cols: side } : null;
    const states = outputName(encoder, 'last_hidden_state');
    return {
      imageSession: encoder,
      encoder,
      grid,
      cells: (positions) =>
        grid && side * side <= positions ? { offset: positions - side * side, ...grid } : null,
      async encode(pixels) {
        return (await encoder.run({ pixel_values: pixels }))[states] as ort.Tensor;
      },
      text: (tokens) => tokenizer.decode(tokens, { skip_special_tokens: true }).trim(),
    };
  },
};
