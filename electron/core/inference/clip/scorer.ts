/**
 * A CLIP scorer from a Hugging Face repository laid out as the transformers.js copies are
 * (Xenova/clip-vit-base-patch32): `onnx/text_model{S}.onnx` (`input_ids` [, `attention_mask`] ->
 * `text_embeds`), `onnx/vision_model{S}.onnx` (`pixel_values` -> `image_embeds`), `merges.txt`
 * (CLIP's BPE merges) and `preprocessor_config.json` (CLIPImageProcessor's: read by the captioners'
 * PreprocessorConfig and applied by preprocessImage, PIL-exact). Embeddings come back unit length.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { BundleError } from '../errors.ts';
import { inputSize, PreprocessorConfig, preprocessImage } from '../preprocess.ts';
import { createSession } from '../runtime/sessions.ts';
import { floatInput, readFloats } from '../runtime/tensors.ts';
import { CAPTION_PREFIX, clipScore, refClipScore, referenceSimilarity, unit } from './score.ts';
import { ClipTokenizer, END_TOKEN } from './tokenizer.ts';

// texts per text-tower run: bounds the (batch, 77, width) activations
const TEXT_BATCH = 32;

export class ClipScorer {
  private constructor(
    private readonly text: ort.InferenceSession,
    private readonly vision: ort.InferenceSession,
    readonly tokenizer: ClipTokenizer,
    readonly image: PreprocessorConfig,
  ) {}

  /** `suffix`: the variant's file-name suffix ('' for fp32, '_quantized', '_fp16', ...). */
  static async open(dir: string, suffix = ''): Promise<ClipScorer> {
    const file = (name: string) => {
      const p = join(dir, name);
      if (!existsSync(p)) throw new BundleError(`${p}: missing (a CLIP scorer needs it)`);
      return p;
    };
    const tokenizer = ClipTokenizer.fromMergesFile(file('merges.txt'));
    const parsed = PreprocessorConfig.safeParse(
      JSON.parse(readFileSync(file('preprocessor_config.json'), 'utf8')),
    );
    if (!parsed.success) {
      throw new BundleError(`${join(dir, 'preprocessor_config.json')}: ${parsed.error.issues[0]?.message}`);
    }
    const [text, vision] = await Promise.all(
      ['text_model', 'vision_model'].map((m) =>
        createSession(file(`onnx/${m}${suffix}.onnx`), ['cpu'], {}, 'per-batch'),
      ),
    );
    for (const [s, input, output] of [
      [text, 'input_ids', 'text_embeds'],
      [vision, 'pixel_values', 'image_embeds'],
    ] as const) {
      if (!s.inputNames.includes(input) || !s.outputNames.includes(output)) {
        throw new BundleError(`${dir}: a CLIP tower lacks input ${input} or output ${output}`);
      }
    }
    return new ClipScorer(text, vision, tokenizer, parsed.data);
  }

  /** Unit text embeddings of `texts` as written (no prefix). */
  async embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += TEXT_BATCH) {
      const { ids, dims } = this.tokenizer.batch(texts.slice(i, i + TEXT_BATCH));
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, dims) };
      if (this.text.inputNames.includes('attention_mask')) {
        // the end token's first position ends each row; what follows it is padding
        const mask = new BigInt64Array(ids.length);
        for (let r = 0; r < dims[0]; r++) {
          for (let j = 0; j < dims[1]; j++) {
            mask[r * dims[1] + j] = 1n;
            if (ids[r * dims[1] + j] === BigInt(END_TOKEN)) break;
          }
        }
        feeds.attention_mask = new ort.Tensor('int64', mask, dims);
      }
      const res = await this.text.run(feeds, ['text_embeds']);
      out.push(...rows(readFloats(res.text_embeds), dims[0]));
    }
    return out;
  }

  /** Unit text embeddings of captions or references, each prefixed as CLIPScore's reference code does. */
  embedCaptions(captions: readonly string[]): Promise<Float32Array[]> {
    return this.embedTexts(captions.map((c) => CAPTION_PREFIX + c));
  }

  /** Unit image embeddings of preprocessed `(3, H, W)` pixel arrays. */
  async embedPixels(pixels: readonly Float32Array[]): Promise<Float32Array[]> {
    if (pixels.length === 0) return [];
    const { height: H, width: W } = inputSize(this.image);
    const batch = new Float32Array(pixels.length * 3 * H * W);
    pixels.forEach((p, i) => {
      if (p.length !== 3 * H * W)
        throw new Error(`pixel array ${i}: ${p.length} values, expected ${3 * H * W}`);
      batch.set(p, i * 3 * H * W);
    });
    const input = floatInput(this.vision, 'pixel_values', batch, [pixels.length, 3, H, W]);
    const res = await this.vision.run({ pixel_values: input }, ['image_embeds']);
    return rows(readFloats(res.image_embeds), pixels.length);
  }

  /** Unit embedding of one image file's bytes. */
  async embedImage(file: string, bytes: Uint8Array): Promise<Float32Array> {
    const [e] = await this.embedPixels([(await preprocessImage(file, bytes, this.image)).pixels]);
    return e;
  }

  /** CLIPScore of each caption for the image, and RefCLIPScore where references are given. */
  async score(
    image: Float32Array,
    captions: readonly string[],
    references: readonly string[] = [],
  ): Promise<{ clipScore: number; refClipScore: number | null }[]> {
    const caps = await this.embedCaptions(captions);
    const refs = references.length > 0 ? await this.embedCaptions(references) : [];
    return caps.map((c) => {
      const s = clipScore(image, c);
      return {
        clipScore: s,
        refClipScore: refs.length > 0 ? refClipScore(s, referenceSimilarity(c, refs)) : null,
      };
    });
  }

  async release(): Promise<void> {
    await Promise.all([this.text.release(), this.vision.release()]);
  }
}

function rows(flat: Float32Array, n: number): Float32Array[] {
  const d = flat.length / n;
  return Array.from({ length: n }, (_, i) => unit(flat.slice(i * d, (i + 1) * d)));
}
