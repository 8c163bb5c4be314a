/**
 * A model family: what one architecture of captioner needs beyond the generic machinery (bundle
 * files, ONNX sessions, the decoding loop, KV cache, beam search), which knows no family by name.
 * Each family is one file in `families/`, registered in `families/index.ts` under the
 * `config.json` `model_type` it runs.
 */
import type { Tokenizer } from '@huggingface/tokenizers';
import type * as ort from 'onnxruntime-node';
import type { Task } from '../api/decoding.ts';
import type { Runs } from './runtime/sessions.ts';

export type Json = Record<string, unknown>;

/** What a family can do; the studio's forms and lists show it (models.list). */
export interface Capabilities {
  /** the caption tasks it takes a prompt for; none for families that only caption */
  tasks: readonly Task[];
  /** its cross-attention maps onto image cells, so a heat-map can be drawn (when the export gives attention) */
  attention: boolean;
  /** beam search gives an n-best list */
  nBest: boolean;
}

/** A patch grid (rows x cols, raster order) at `offset` among the encoder's positions. */
export interface Cells {
  offset: number;
  rows: number;
  cols: number;
}

/** An ONNX file a family opens besides the decoder: its name without variant suffix, and how often it runs. */
export interface SessionFile {
  name: string;
  runs: Runs;
}

/** The bundle's parsed files, as a family reads them. */
export interface BundleFiles {
  dir: string;
  config: Json;
  /** preprocessor_config.json as written (a family may keep its own tables there) */
  preprocessor: Json;
  tokenizer: Tokenizer;
}

export interface Family {
  /** the `model_type` of config.json it runs: its key in FAMILIES */
  readonly modelType: string;
  readonly can: Capabilities;
  /** sessions it opens before the decoder, in order; the first takes `pixel_values` */
  readonly sessions: readonly SessionFile[];
  /** what the studio calls a bundle's architecture (e.g. 'vit+gpt2' for a ViT encoder and GPT-2 decoder) */
  architecture(config: Json): string;
  /** the decoder's part of config.json (token ids, heads, width) */
  decoderConfig(config: Json): Json;
  /** generation defaults from config.json and generation_config.json */
  generation(config: Json, generation: Json): Json;
  /** the caption tasks a bundle takes, with their prompts, from its preprocessor_config.json (empty: none) */
  prompts(preprocessor: Json): Map<Task, string>;
  /** the family's state over its opened sessions (keyed by `sessions` names) */
  open(sessions: ReadonlyMap<string, ort.InferenceSession>, files: BundleFiles): FamilyModel;
}

/** A family's loaded state: how pixels become encoder states and tokens become text. */
export interface FamilyModel {
  /** the session that takes `pixel_values` */
  readonly imageSession: ort.InferenceSession;
  /** the session whose states the decoder attends to */
  readonly encoder: ort.InferenceSession;
  /** the encoder's patch grid, for heat-maps; null when unknown */
  readonly grid: { rows: number; cols: number } | null;
  /** attention geometry: where the grid's cells sit among `positions` encoder positions; null when they do not */
  cells(positions: number): Cells | null;
  /** encoder states (images, positions, width) for a batch of pixels (images, 3, H, W) */
  encode(pixels: ort.Tensor, task: Task | undefined): Promise<ort.Tensor>;
  /** input embeddings of token ids, for decoders that take `inputs_embeds` (`rowImage`: each row's image) */
  embed?(ids: BigInt64Array, rows: number, rowImage: readonly number[]): Promise<ort.Tensor>;
  /** a generated sequence's text, as the model's processor post-processes it */
  text(tokens: number[]): string;
}
