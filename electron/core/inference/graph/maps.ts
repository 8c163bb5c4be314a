/**
 * Per-word attention maps of every candidate of one image (the CLI's `attention` command): each
 * generated token's step is its cross-attention over the image cells (last layer, mean of heads,
 * renormalised over the image cells so it sums to 1); a word's map is the mean of its pieces' steps.
 * Each step and word also gives the share of that attention (last layer, mean of heads, over every
 * encoder position) that went to positions that are not image cells: `lead` before the grid (ViT's
 * CLS, Florence-2's pooled token) and `prompt` after it (Florence-2's task-prompt tokens).
 * With `raw`, each step also carries every layer's every head over EVERY encoder position, exactly
 * as the graph computed them while the candidate's tokens were fed back one step at a time.
 */
import type * as ort from 'onnxruntime-node';
import type { Task } from '../../api/decoding.ts';
import { OrtDecoder } from '../decoding/decoder.ts';
import type { ResolvedDecoding } from '../decoding/settings.ts';
import type { CaptionEngine, GeneratedCaption } from '../engine.ts';
import { readFloats } from '../runtime/tensors.ts';

export interface Share {
  lead: number;
  prompt: number;
}

export interface StepMap {
  token: number;
  piece: string;
  cells: number[];
  share: Share;
  /** with raw: [layer][head][encoder position] */
  layers?: number[][][];
}

export interface WordMap {
  text: string;
  steps: number[];
  cells: number[];
  share: Share;
}

export interface CandidateMaps {
  text: string;
  tokens: number[];
  steps: StepMap[];
  words: WordMap[];
}

export interface AttentionReport {
  grid: [number, number];
  candidates: CandidateMaps[];
}

const normalised = (a: ArrayLike<number>): number[] => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i];
  return Array.from(a, (v) => (sum > 0 ? v / sum : 0));
};

/**
 * Pieces into words: a piece whose decoded text adds whitespace before itself starts a word;
 * special tokens (empty pieces) belong to none.
 */
export function wordsOf(tokens: number[], pieces: string[], decode: (ids: number[]) => string): number[][] {
  const words: number[][] = [];
  let before = '';
  tokens.forEach((_, i) => {
    const text = decode(tokens.slice(0, i + 1));
    const added = text.startsWith(before) ? text.slice(before.length) : text;
    before = text;
    if (!pieces[i]) return;
    if (!words.length || /^\s/.test(added)) words.push([i]);
    else words[words.length - 1].push(i);
  });
  return words;
}

/** The mean over heads' share of positions before `start` and from `end` on. */
function shareOf(heads: number[][], start: number, end: number): Share {
  const part = (from: number, to: number) =>
    heads.reduce((a, p) => a + p.slice(from, to).reduce((x, v) => x + v, 0), 0) / heads.length;
  return { lead: part(0, start), prompt: part(end, heads[0].length) };
}

/** Every layer's every head, per step, fed the candidate's own tokens: [step][layer][head][position]. */
async function rawSteps(engine: CaptionEngine, enc: ort.Tensor, tokens: number[]): Promise<number[][][][]> {
  const decoder = new OrtDecoder(engine.bundle, enc, -1);
  const layers = engine.bundle.decoder.first.outputNames.filter((n) => /^cross_attentions\.\d+$/.test(n));
  layers.sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const steps: number[][][][] = [];
  decoder.onOutputs = (out) => {
    steps.push(
      layers.map((name) => {
        const t = out[name] as ort.Tensor;
        const [, H, T, S] = t.dims as number[];
        const data = readFloats(t);
        return Array.from({ length: H }, (_, h) =>
          Array.from(data.subarray((h * T + T - 1) * S, (h * T + T) * S)),
        );
      }),
    );
  };
  const fed = [engine.bundle.special.start, ...tokens.slice(0, -1)];
  for (const t of fed) await decoder.step([t]);
  return steps;
}

/** Which layer and head a map shows: an index, the mean, or (layers) the last. */
export interface LayerPick {
  layer: number | 'mean' | 'last';
  head: number | 'mean';
}

/** A candidate's maps for a chosen layer and head, per step, over the image cells; with the shares. */
export interface LayerMaps {
  shape: [number, number, number];
  data: number[];
  layers: number;
  heads: number;
  share: Share[];
}

/** The encoder's states for one image and where the grid's cells sit among them. */
async function geometry(engine: CaptionEngine, pixels: Float32Array, task: Task | undefined) {
  const info = engine.info;
  if (!info.hasAttention)
    throw new Error(
      `${info.dir}: this model gives no attention maps${info.providerNotes.length ? ` (${info.providerNotes.join('; ')})` : ''}`,
    );
  const enc = await engine.encode([pixels], task);
  const cells = engine.bundle.model.cells(Number(enc.dims[1]));
  if (!cells) throw new Error(`${info.dir}: the model's encoder positions do not tile the image`);
  return { enc, cells, end: cells.offset + cells.rows * cells.cols };
}

/** Per step: the mean over `pick`'s layers and heads, over the image cells (summing to 1), and its shares. */
function picked(
  steps: number[][][][],
  pick: LayerPick,
  offset: number,
  end: number,
): { cells: number[]; share: Share }[] {
  const L = steps[0]?.length ?? 0;
  const H = steps[0]?.[0]?.length ?? 0;
  const check = (v: number | string, n: number, what: string) => {
    if (typeof v === 'number' && v >= n)
      throw new RangeError(`${what} ${v}: the model has ${n} (0 to ${n - 1})`);
  };
  check(pick.layer, L, 'layer');
  check(pick.head, H, 'head');
  const layerIdx =
    pick.layer === 'mean' ? [...Array(L).keys()] : [pick.layer === 'last' ? L - 1 : pick.layer];
  const headIdx = pick.head === 'mean' ? [...Array(H).keys()] : [pick.head];
  return steps.map((s) => {
    const mean = new Float64Array(s[0][0].length);
    for (const l of layerIdx)
      for (const h of headIdx) {
        const p = s[l][h];
        for (let k = 0; k < p.length; k++) mean[k] += p[k];
      }
    const p = Array.from(mean, (v) => v / (layerIdx.length * headIdx.length));
    return { cells: normalised(p.slice(offset, end)), share: shareOf([p], offset, end) };
  });
}

export const DEFAULT_PICK: LayerPick = { layer: 'last', head: 'mean' };

export async function attentionMaps(
  engine: CaptionEngine,
  pixels: Float32Array,
  d: ResolvedDecoding,
  raw: boolean,
  pick: LayerPick = DEFAULT_PICK,
): Promise<AttentionReport> {
  const { enc, cells, end } = await geometry(engine, pixels, d.config.task);
  const [captions] = await engine.captionPixels([pixels], d);
  const decode = (ids: number[]) => engine.bundle.tokenizer.decode(ids, { skip_special_tokens: true });
  const candidates: CandidateMaps[] = [];
  for (const c of captions as GeneratedCaption[]) {
    const layers = await rawSteps(engine, enc, c.tokens);
    const maps = picked(layers, pick, cells.offset, end);
    const steps: StepMap[] = c.tokens.map((token, i) => ({
      token,
      piece: c.tokenTexts[i],
      ...maps[i],
      ...(raw ? { layers: layers[i] } : {}),
    }));
    const mean = (idx: number[], f: (s: StepMap) => number) =>
      idx.reduce((a, i) => a + f(steps[i]), 0) / idx.length;
    const words = wordsOf(c.tokens, c.tokenTexts, decode).map((idx) => ({
      text: decode(idx.map((i) => c.tokens[i])).trim(),
      steps: idx,
      cells: steps[idx[0]].cells.map((_, k) => mean(idx, (s) => s.cells[k])),
      share: { lead: mean(idx, (s) => s.share.lead), prompt: mean(idx, (s) => s.share.prompt) },
    }));
    candidates.push({ text: c.text, tokens: c.tokens, steps, words });
  }
  return { grid: [cells.rows, cells.cols], candidates };
}

/** The maps of a candidate's `tokens` (as generated) for `pick`, fed back one step at a time. */
export async function candidateLayers(
  engine: CaptionEngine,
  pixels: Float32Array,
  task: Task | undefined,
  tokens: number[],
  pick: LayerPick,
): Promise<LayerMaps> {
  const { enc, cells, end } = await geometry(engine, pixels, task);
  const steps = await rawSteps(engine, enc, tokens);
  const maps = picked(steps, pick, cells.offset, end);
  return {
    shape: [steps.length, cells.rows, cells.cols],
    data: maps.flatMap((m) => m.cells),
    layers: steps[0]?.length ?? 0,
    heads: steps[0]?.[0]?.length ?? 0,
    share: maps.map((m) => m.share),
  };
}
