/**
 * Model bundles in the Hugging Face ONNX layout: the sessions the bundle's family opens
 * (`families/`; `encoder_model.onnx` for VisionEncoderDecoder models), then the decoder:
 * `decoder_model_merged.onnx` (with `use_cache_branch`), or `decoder_model.onnx` +
 * `decoder_with_past_model.onnx`, or a lone `decoder_model.onnx`; in any of the export variants
 * (`_fp16`, `_quantized`, `_int8`, ... see `runtime/variants.ts`), at the top of the folder or in
 * `onnx/`; beside them `config.json`, `generation_config.json`, `preprocessor_config.json`,
 * `tokenizer.json`. Tensor names, types and cache shapes come from the sessions' metadata, never
 * from per-model-family string tables.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type * as ort from 'onnxruntime-node';
import { DTYPE_SUFFIX, type Dtype } from '../api/contract.ts';
import type { Task } from '../api/decoding.ts';
import { num, type SpecialTokens, specialTokens } from './decoding/special-tokens.ts';
import { BundleError } from './errors.ts';
import { requireFamily } from './families/index.ts';
import type { Family, FamilyModel, Json } from './family.ts';
import { attentionDecoder } from './graph/attention.ts';
import { hoistedDecoder } from './graph/hoist.ts';
import { scaledDecoder } from './graph/quant.ts';
import { PreprocessorConfig } from './preprocess.ts';
import { candidateProviders, type Provider, type ProviderChoice, withProvider } from './runtime/providers.ts';
import { createSession, type Runs, type SessionSettings } from './runtime/sessions.ts';
import { inputMeta, outputMeta } from './runtime/tensors.ts';
import { chooseDtype, decoderLayout, onnxVariants } from './runtime/variants.ts';

export { BundleError };

export interface DecoderSessions {
  /** first step (no past); also every step when there is no cache at all */
  first: ort.InferenceSession;
  /** later steps, when the bundle has a separate with-past decoder */
  withPast: ort.InferenceSession | null;
  /** the first session takes past_key_values.* (merged or past-accepting decoder) */
  firstTakesPast: boolean;
  /** the per-image graph hoisted out of the per-step decoder (graph/hoist.ts), when there is one */
  perImage: ort.InferenceSession | null;
  /** the family's files (encoders) as found, then the decoder's */
  files: string[];
  /** the files of the sessions run at every step (the decoder's, a family's embedding) as opened: derived files where rewritten */
  opened: string[];
}

export interface Bundle {
  /** the family's key (config.json's model_type) */
  arch: string;
  family: Family;
  /** the family's state over its sessions: encoding, text, attention geometry */
  model: FamilyModel;
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
  config: Json;
  generation: Json;
  preprocessor: PreprocessorConfig;
  tokenizer: Tokenizer;
  special: SpecialTokens;
  /** the caption tasks the model takes, with their prompts (none for models without task prompts) */
  prompts: Map<Task, string>;
  decoder: DecoderSessions;
  /** from config.json; only for a cache input whose metadata gives no shape */
  heads: number;
  headDim: number;
  provider: ProviderChoice;
  dispose(): Promise<void>;
}

export interface LoadOptions extends SessionSettings {
  provider?: Provider;
  /**
   * Which decoder files to use when a bundle has both: 'merged' (decoder_model_merged with
   * use_cache_branch, the default: one copy of the weights) or 'split' (decoder_model +
   * decoder_with_past_model); see `decoderLayout`.
   */
  decoder?: 'split' | 'merged';
  /** the export variant; default: fp32 where present, else the smallest variant present */
  dtype?: Dtype;
  /**
   * Heat-maps are asked for: a decoder without `cross_attentions.*` outputs is opened from its
   * derived file (made once in `dataDir`, see graph/) that adds them. Off: the original files.
   */
  attention?: { dataDir: string };
  /**
   * Where derived model files are made (graph/derived.ts). With it, a decoder that recomputes
   * per-image work at every step is opened from its hoisted rewrite (graph/hoist.ts); without it,
   * as it is.
   */
  derivedDir?: string;
  /** the model's name for people (default: the folder's name) and where it came from (default: the folder) */
  label?: string;
  source?: string;
}

function readJson(file: string, required: boolean): Json | null {
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

/** sha256 over the files' paths (relative to `dir`) and bytes, in path order: a model's identity. */
export async function hashFiles(dir: string, files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of [...files].sort()) {
    h.update(`${relative(dir, f)}\0`);
    for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

const takesPast = (s: ort.InferenceSession) => s.inputNames.some((n) => n.startsWith('past_key_values.'));

function checkShapes(b: Omit<Bundle, 'dispose'>, imageFile: string, encFile: string, decFile: string): void {
  const { imageSession, encoder } = b.model;
  const px = inputMeta(imageSession, 'pixel_values');
  if (!px)
    throw new BundleError(
      `${imageFile}: no 'pixel_values' input (inputs: ${imageSession.inputNames.join(', ')})`,
    );
  const { height, width } = b.preprocessor.size;
  const [, , h, w] = px.shape;
  if ((typeof h === 'number' && h !== height) || (typeof w === 'number' && w !== width)) {
    throw new BundleError(
      `${imageFile}: expects ${h}x${w} images but preprocessor_config.json resizes to ${height}x${width}`,
    );
  }
  const encOut = encoder.outputNames.includes('last_hidden_state')
    ? 'last_hidden_state'
    : encoder.outputNames[0];
  const e1 = outputMeta(encoder, encOut)?.shape.at(-1);
  // a hoisted decoder's states go to its per-image graph (graph/hoist.ts)
  const takesStates = b.decoder.perImage ?? b.decoder.first;
  const e2 = inputMeta(takesStates, 'encoder_hidden_states')?.shape.at(-1);
  if (!takesStates.inputNames.includes('encoder_hidden_states')) {
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

/** The JSON files and tokenizer of a bundle, checked. */
function readFiles(dir: string) {
  const config = readJson(join(dir, 'config.json'), true)!;
  const family = requireFamily(config, join(dir, 'config.json'));
  const generation = family.generation(config, readJson(join(dir, 'generation_config.json'), false) ?? {});
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
  return { family, config, generation, preJson, preprocessor: parsedPre.data, tokenizer };
}

/** The ONNX files of the variant to load: the family's sessions, then the decoder's. */
function chooseFiles(dir: string, family: Family, opts: LoadOptions) {
  const variants = onnxVariants(dir);
  const dtypes = [...variants.keys()];
  const needs = family.sessions.map((s) => s.name);
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
  const mergedFile = onnx.get('decoder_model_merged') ?? null;
  const useMerged = decoderLayout(onnx, opts.decoder) === 'merged';
  if (opts.decoder === 'merged' && !mergedFile) {
    throw new BundleError(
      `${join(dir, 'decoder_model_merged.onnx')}: missing (decoder 'merged' was asked for)`,
    );
  }
  return {
    dtype,
    dtypes,
    familyFiles: family.sessions.map((s) => ({ ...s, file: onnx.get(s.name)! })),
    firstFile: (useMerged ? mergedFile : onnx.get('decoder_model'))!,
    withPastFile: useMerged ? null : (onnx.get('decoder_with_past_model') ?? null),
  };
}

export async function loadBundle(dirArg: string, opts: LoadOptions = {}): Promise<Bundle> {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new BundleError(`${dir}: model bundle folder not found`);
  const { family, config, generation, preJson, preprocessor, tokenizer } = readFiles(dir);
  const { dtype, dtypes, familyFiles, firstFile, withPastFile } = chooseFiles(dir, family, opts);

  // the first session decides the execution provider; the others use the same
  const [head, ...tail] = familyFiles;
  const { value: opened, choice } = await withProvider(
    candidateProviders(process.platform, opts.provider),
    (p) => createSession(head.file, p, opts, head.runs),
  );
  const providers = choice.provider === 'cpu' ? ['cpu'] : [choice.provider, 'cpu'];
  const open = (f: string, runs: Runs = 'per-step') => createSession(f, providers, opts, runs);
  const sessions = new Map([[head.name, opened]]);
  const withAttention = async (f: string) => {
    if (!opts.attention || !family.can.attention) return f;
    const d = await attentionDecoder(opts.attention.dataDir, f);
    if (d.reason) choice.notes.push(`no heat-maps: ${d.reason}`);
    return d.file;
  };
  // the per-step decoder: the with-past one of a split pair, else the one decoder file
  const hoisted = async (f: string, perStep: boolean) => {
    if (!opts.derivedDir || !perStep) return { file: f, perImage: null };
    try {
      return await hoistedDecoder(opts.derivedDir, f);
    } catch (err) {
      choice.notes.push(`per-image work left in each decoder step: ${f}: ${(err as Error).message}`);
      return { file: f, perImage: null };
    }
  };
  // a dynamically quantized decoder with one scale per image batches images (graph/quant.ts)
  const scaled = async (f: string) => {
    if (!opts.derivedDir) return f;
    try {
      return await scaledDecoder(opts.derivedDir, f);
    } catch (err) {
      choice.notes.push(`one image per decoder pass: ${f}: ${(err as Error).message}`);
      return f;
    }
  };
  // the family's sessions run at every step (an embedding) batch images as the decoder does
  const stepFiles: string[] = [];
  for (const s of tail) {
    const f = s.runs === 'per-step' ? await scaled(s.file) : s.file;
    if (s.runs === 'per-step') stepFiles.push(f);
    sessions.set(s.name, await open(f, s.runs));
  }
  const firstH = await hoisted(await withAttention(firstFile), !withPastFile);
  const pastH = withPastFile ? await hoisted(await withAttention(withPastFile), true) : null;
  const decoderFiles = [await scaled(firstH.file), ...(pastH ? [await scaled(pastH.file)] : [])];
  const first = await open(decoderFiles[0]);
  const withPast = pastH ? await open(decoderFiles[1]) : null;
  const perImageFile = firstH.perImage ?? pastH?.perImage;
  const perImage = perImageFile ? await open(perImageFile, 'per-batch') : null;
  const all = [...sessions.values(), first, withPast, perImage];
  const files = [...familyFiles.map((f) => f.file), firstFile, withPastFile].filter(
    (f): f is string => f !== null,
  );
  const bundleFiles = { dir, config, preprocessor: preJson, tokenizer };
  const dec = family.decoderConfig(config);
  const hidden = num(dec.n_embd) ?? num(dec.hidden_size) ?? num(dec.d_model);
  const heads = num(dec.n_head) ?? num(dec.num_attention_heads) ?? num(dec.decoder_attention_heads);
  const bundle: Omit<Bundle, 'dispose'> = {
    arch: family.modelType,
    family,
    model: family.open(sessions, bundleFiles),
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
    preprocessor,
    tokenizer,
    special: specialTokens(config, generation, dec, dir),
    prompts: family.prompts(preJson),
    decoder: {
      first,
      withPast,
      firstTakesPast: takesPast(first),
      perImage,
      files,
      opened: [...stepFiles, ...decoderFiles],
    },
    heads: heads ?? 0,
    headDim: hidden && heads ? hidden / heads : 0,
    provider: choice,
  };
  const encFile = familyFiles.find((f) => sessions.get(f.name) === bundle.model.encoder)?.file ?? head.file;
  checkShapes(bundle, head.file, encFile, firstFile);
  return {
    ...bundle,
    async dispose() {
      await Promise.all(all.map((s) => s?.release()));
    },
  };
}
