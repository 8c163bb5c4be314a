/**
 * Model bundles in the Hugging Face ONNX layout for VisionEncoderDecoder models:
 * `encoder_model.onnx` plus `decoder_model_merged.onnx` (with `use_cache_branch`), or
 * `decoder_model.onnx` + `decoder_with_past_model.onnx`, or a lone `decoder_model.onnx`; in any of
 * the export variants (`_fp16`, `_quantized`, `_int8`, ... see `variants.ts`), at the top of the
 * folder or in `onnx/`; beside them `config.json`, `generation_config.json`,
 * `preprocessor_config.json`, `tokenizer.json`. Tensor names, types and cache shapes come from the
 * sessions' metadata, never from per-model-family string tables.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { DTYPE_SUFFIX, type Dtype } from '../api/contract.ts';
import type { Task } from '../api/decoding.ts';
import { FLORENCE_SESSIONS, florenceGeneration, taskPrompts } from './florence.ts';
import type { SpecialTokens } from './generate.ts';
import { PreprocessorConfig } from './preprocess.ts';
import { candidateProviders, type Provider, type ProviderChoice, withProvider } from './providers.ts';
import { inputMeta, outputMeta } from './tensors.ts';
import { chooseDtype, decoderLayout, onnxVariants } from './variants.ts';

export class BundleError extends Error {}

export interface DecoderSessions {
  /** first step (no past); also every step when there is no cache at all */
  first: ort.InferenceSession;
  /** later steps, when the bundle has a separate with-past decoder */
  withPast: ort.InferenceSession | null;
  /** the first session takes past_key_values.* (merged or past-accepting decoder) */
  firstTakesPast: boolean;
  files: string[];
}

/** The architectures the engine runs: ViT/... + GPT-2/BART-style decoders, and Florence-2 (`florence.ts`). */
export type Arch = 'vision-encoder-decoder' | 'florence2';

export interface Bundle {
  arch: Arch;
  dir: string;
  name: string;
  /** where it came from: 'hf:ORG/NAME@COMMIT', or the folder */
  source: string;
  /** what it was trained to describe, from config.json's `caption_studio.domain`; null when unknown */
  domain: string | null;
  hash: string;
  /** the export variant loaded, and every variant the folder holds */
  dtype: Dtype;
  dtypes: Dtype[];
  config: Record<string, unknown>;
  generation: Record<string, unknown>;
  preprocessor: PreprocessorConfig;
  tokenizer: Tokenizer;
  special: SpecialTokens;
  /** the encoder (`encoder_model`): over the image (VisionEncoderDecoder), or image features + prompt (Florence-2) */
  encoder: ort.InferenceSession;
  /** Florence-2's `vision_encoder` and `embed_tokens`; null for other architectures */
  vision: ort.InferenceSession | null;
  embed: ort.InferenceSession | null;
  /** the caption tasks the model takes, with their prompts (none for models without task prompts) */
  prompts: Map<Task, string>;
  decoder: DecoderSessions;
  /** patch grid of the encoder (rows, cols), for heat-maps; null when unknown */
  grid: { rows: number; cols: number } | null;
  /** from config.json; only for a cache input whose metadata gives no shape */
  heads: number;
  headDim: number;
  provider: ProviderChoice;
  dispose(): Promise<void>;
}

export interface LoadOptions {
  provider?: Provider;
  /**
   * Which decoder files to use when a bundle has both: 'merged' (decoder_model_merged with
   * use_cache_branch, the default: one copy of the weights) or 'split' (decoder_model +
   * decoder_with_past_model); see `decoderLayout`.
   */
  decoder?: 'split' | 'merged';
  /** the export variant; default: fp32 where present, else the smallest variant present */
  dtype?: Dtype;
  /** the model's name for people (default: the folder's name) and where it came from (default: the folder) */
  label?: string;
  source?: string;
  intraOpThreads?: number;
  interOpThreads?: number;
  /** ORT's thread-pool spin-waiting (default off: see SESSION_OPTIONS) */
  spinning?: boolean;
  /** ORT's CPU memory arena for the sessions run at every decoding step (default on: see SESSION_OPTIONS) */
  memArena?: boolean;
}

function readJson(file: string, required: boolean): Record<string, unknown> | null {
  if (!existsSync(file)) {
    if (required) throw new BundleError(`${file}: missing (a model bundle needs it)`);
    return null;
  }
  try {
    const v = JSON.parse(readFileSync(file, 'utf8'));
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v;
  } catch (err) {
    throw new BundleError(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

async function hashFiles(dir: string, files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of [...files].sort()) {
    h.update(`${relative(dir, f)}\0`);
    for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return undefined;
}

function specialTokens(
  config: Record<string, unknown>,
  gen: Record<string, unknown>,
  dir: string,
): SpecialTokens {
  const dec = (config.decoder ?? {}) as Record<string, unknown>;
  const start =
    num(gen.decoder_start_token_id) ??
    num(config.decoder_start_token_id) ??
    num(dec.decoder_start_token_id) ??
    num(gen.bos_token_id) ??
    num(dec.bos_token_id);
  const eos = num(gen.eos_token_id) ?? num(config.eos_token_id) ?? num(dec.eos_token_id);
  const pad = num(gen.pad_token_id) ?? num(config.pad_token_id) ?? num(dec.pad_token_id) ?? eos;
  if (start === undefined)
    throw new BundleError(`${join(dir, 'generation_config.json')}: no decoder_start_token_id`);
  if (eos === undefined) throw new BundleError(`${join(dir, 'generation_config.json')}: no eos_token_id`);
  return {
    start,
    eos,
    pad: pad ?? eos,
    forcedBos: num(gen.forced_bos_token_id),
    forcedEos: num(gen.forced_eos_token_id),
  };
}

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
/** How often a session runs while a batch is captioned. */
type Runs = 'per-batch' | 'per-step';

async function createSession(
  file: string,
  providers: string[],
  opts: LoadOptions,
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

const takesPast = (s: ort.InferenceSession) => s.inputNames.some((n) => n.startsWith('past_key_values.'));

function checkShapes(b: Omit<Bundle, 'dispose'>, encFile: string, decFile: string): void {
  const imageSession = b.vision ?? b.encoder;
  const px = inputMeta(imageSession, 'pixel_values');
  if (!px)
    throw new BundleError(
      `${encFile}: no 'pixel_values' input (inputs: ${imageSession.inputNames.join(', ')})`,
    );
  const { height, width } = b.preprocessor.size;
  const [, , h, w] = px.shape;
  if ((typeof h === 'number' && h !== height) || (typeof w === 'number' && w !== width)) {
    throw new BundleError(
      `${encFile}: expects ${h}x${w} images but preprocessor_config.json resizes to ${height}x${width}`,
    );
  }
  const encOut = b.encoder.outputNames.includes('last_hidden_state')
    ? 'last_hidden_state'
    : b.encoder.outputNames[0];
  const e1 = outputMeta(b.encoder, encOut)?.shape.at(-1);
  const e2 = inputMeta(b.decoder.first, 'encoder_hidden_states')?.shape.at(-1);
  if (!b.decoder.first.inputNames.includes('encoder_hidden_states')) {
    throw new BundleError(`${decFile}: no 'encoder_hidden_states' input`);
  }
  if (typeof e1 === 'number' && typeof e2 === 'number' && e1 !== e2) {
    throw new BundleError(
      `${decFile}: takes encoder states of width ${e2} but ${basename(encFile)} gives ${e1}`,
    );
  }
  const vocab = outputMeta(b.decoder.first, 'logits')?.shape.at(-1);
  const tokVocab = (b.tokenizer as unknown as { model: { vocab: unknown[] } }).model?.vocab?.length;
  if (typeof vocab === 'number' && tokVocab && tokVocab > vocab) {
    throw new BundleError(`${decFile}: logits over ${vocab} tokens but tokenizer.json has ${tokVocab}`);
  }
}

export async function loadBundle(dirArg: string, opts: LoadOptions = {}): Promise<Bundle> {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new BundleError(`${dir}: model bundle folder not found`);
  const config = readJson(join(dir, 'config.json'), true)!;
  const arch: Arch = config.model_type === 'florence2' ? 'florence2' : 'vision-encoder-decoder';
  const generationJson = readJson(join(dir, 'generation_config.json'), false) ?? {};
  const generation = arch === 'florence2' ? florenceGeneration(config, generationJson) : generationJson;
  const preJson = readJson(join(dir, 'preprocessor_config.json'), true)!;
  const parsedPre = PreprocessorConfig.safeParse(preJson);
  if (!parsedPre.success) {
    const issue = parsedPre.error.issues[0];
    throw new BundleError(
      `${join(dir, 'preprocessor_config.json')}: field '${issue.path.join('.')}': ${issue.message}`,
    );
  }
  const tokJson = readJson(join(dir, 'tokenizer.json'), true)!;
  const tokConfig = readJson(join(dir, 'tokenizer_config.json'), false) ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokJson, tokConfig);
  } catch (err) {
    throw new BundleError(
      `${join(dir, 'tokenizer.json')}: cannot load tokenizer (${(err as Error).message})`,
    );
  }

  const variants = onnxVariants(dir);
  const dtypes = [...variants.keys()];
  const needs = arch === 'florence2' ? FLORENCE_SESSIONS : ['encoder_model'];
  const complete = (f: Map<string, string>) =>
    needs.every((b) => f.has(b)) && (f.has('decoder_model_merged') || f.has('decoder_model'));
  const dtype = chooseDtype(variants, complete, opts.dtype);
  if (!dtype) {
    // name the first file missing from the variant asked for (else fp32, else any found)
    const want = opts.dtype ?? (variants.has('fp32') || !dtypes.length ? 'fp32' : dtypes[0]);
    const have = variants.get(want) ?? new Map<string, string>();
    const missing = needs.find((b) => !have.has(b)) ?? 'decoder_model';
    const others = dtypes.filter((d) => d !== want);
    throw new BundleError(
      `${join(dir, `${missing}${DTYPE_SUFFIX[want]}.onnx`)}: missing (${missing === 'decoder_model' ? 'nor decoder_model_merged, ' : ''}also looked in onnx/` +
        `${others.length ? `; other variants here: ${others.join(', ')}` : ''})`,
    );
  }
  const onnx = variants.get(dtype)!;
  const encFile = onnx.get('encoder_model')!;
  const plain = onnx.get('decoder_model') ?? null;
  const pastFile = onnx.get('decoder_with_past_model') ?? null;
  const mergedFile = onnx.get('decoder_model_merged') ?? null;
  const useMerged = decoderLayout(onnx, opts.decoder) === 'merged';
  if (opts.decoder === 'merged' && !mergedFile) {
    throw new BundleError(
      `${join(dir, 'decoder_model_merged.onnx')}: missing (decoder 'merged' was asked for)`,
    );
  }
  const withPastFile = useMerged ? null : pastFile;
  const firstFile = (useMerged ? mergedFile : plain)!;

  // the first session decides the execution provider; the others use the same
  const visionFile = onnx.get('vision_encoder') ?? null;
  const { value: opened, choice } = await withProvider(
    candidateProviders(process.platform, opts.provider),
    (p) => createSession(visionFile ?? encFile, p, opts, 'per-batch'),
  );
  const providers = choice.provider === 'cpu' ? ['cpu'] : [choice.provider, 'cpu'];
  const open = (f: string | null, runs: Runs = 'per-step') =>
    f ? createSession(f, providers, opts, runs) : Promise.resolve(null);
  const vision = visionFile ? opened : null;
  const encoder = visionFile ? (await open(encFile, 'per-batch'))! : opened;
  const embedFile = arch === 'florence2' ? onnx.get('embed_tokens')! : null;
  const embed = await open(embedFile);
  const first = (await open(firstFile))!;
  const withPast = await open(withPastFile);
  const files = [visionFile, embedFile, encFile, firstFile, withPastFile].filter(
    (f): f is string => f !== null,
  );
  const enc = (config.encoder ?? {}) as Record<string, unknown>;
  const dec = (config.decoder ?? config.text_config ?? {}) as Record<string, unknown>;
  const imageSize = num(enc.image_size);
  const patch = num(enc.patch_size);
  const hidden = num(dec.n_embd) ?? num(dec.hidden_size) ?? num(dec.d_model);
  const heads = num(dec.n_head) ?? num(dec.num_attention_heads) ?? num(dec.decoder_attention_heads);
  const bundle: Omit<Bundle, 'dispose'> = {
    arch,
    dir,
    name: opts.label ?? basename(dir),
    source: opts.source ?? dir,
    domain: ((config.caption_studio ?? {}) as { domain?: string }).domain ?? null,
    dtype,
    dtypes,
    hash: await hashFiles(dir, [
      ...files,
      ...['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json']
        .map((f) => join(dir, f))
        .filter(existsSync),
    ]),
    config,
    generation,
    preprocessor: parsedPre.data,
    tokenizer,
    special: specialTokens(config, generation, dir),
    encoder,
    vision,
    embed,
    prompts: arch === 'florence2' ? taskPrompts(preJson) : new Map(),
    decoder: { first, withPast, firstTakesPast: takesPast(first), files },
    grid:
      imageSize && patch
        ? { rows: Math.floor(imageSize / patch), cols: Math.floor(imageSize / patch) }
        : null,
    heads: heads ?? 0,
    headDim: hidden && heads ? hidden / heads : 0,
    provider: choice,
  };
  checkShapes(bundle, encFile, firstFile);
  return {
    ...bundle,
    async dispose() {
      await Promise.all([vision, embed, encoder, first, withPast].map((s) => s?.release()));
    },
  };
}
