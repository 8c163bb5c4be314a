/**
 * BLEU-1..4, CIDEr-D and ROUGE-L with the definitions of coco-caption (pycocoevalcap), so scores
 * are comparable with published ones:
 *  - BLEU: corpus-level from summed clipped n-gram counts, brevity penalty against the reference
 *    length closest to each hypothesis (ties: the shorter); per-image values as coco-caption's
 *    sentence scores (smoothed by its 1e-15 / 1e-9 constants).
 *  - CIDEr-D: n = 1..4 TF-IDF vectors with idf from the reference corpus, clipped hypothesis
 *    counts, Gaussian length penalty sigma = 6 on the difference in bigram counts (coco-caption's
 *    `length`), mean over references, x 10.
 *  - ROUGE-L: LCS-based F-measure with beta = 1.2, max precision and recall over references.
 * Inputs are caption strings; they are tokenised with `ptbTokenize` unless `pretokenized`.
 */
import { ptbTokenize } from './tokenize.ts';

export interface MetricItem {
  references: string[];
  hypothesis: string;
}

export interface PerImage {
  bleu: [number, number, number, number];
  cider_d: number;
  rouge_l: number;
}

export interface CorpusScores {
  bleu: [number, number, number, number];
  cider_d: number;
  rouge_l: number;
}

const N = 4;
const TINY = 1e-15;
const SMALL = 1e-9;

type Counts = Map<string, number>;

function ngramCounts(words: readonly string[], n = N): Counts {
  const c: Counts = new Map();
  for (let k = 1; k <= n; k++) {
    for (let i = 0; i + k <= words.length; i++) {
      const g = words.slice(i, i + k).join(' ');
      c.set(g, (c.get(g) ?? 0) + 1);
    }
  }
  return c;
}

const order = (g: string) => g.split(' ').length;

interface Tokenised {
  refs: string[][];
  hyp: string[];
}

function tokenise(items: readonly MetricItem[], pretokenized: boolean): Tokenised[] {
  const split = (s: string) => (pretokenized ? s.split(' ').filter(Boolean) : ptbTokenize(s));
  return items.map((it, i) => {
    if (!it.references.length) throw new Error(`items[${i}].references: needs at least one reference`);
    return { refs: it.references.map(split), hyp: split(it.hypothesis) };
  });
}

// ---- BLEU ---------------------------------------------------------------------------------------

interface BleuStats {
  testlen: number;
  reflen: number;
  guess: number[];
  correct: number[];
}

function bleuStats(t: Tokenised): BleuStats {
  const maxRef: Counts = new Map();
  for (const r of t.refs) {
    for (const [g, c] of ngramCounts(r)) maxRef.set(g, Math.max(maxRef.get(g) ?? 0, c));
  }
  const testlen = t.hyp.length;
  const guess = Array.from({ length: N }, (_, k) => Math.max(0, testlen - k));
  const correct = Array<number>(N).fill(0);
  for (const [g, c] of ngramCounts(t.hyp)) correct[order(g) - 1] += Math.min(maxRef.get(g) ?? 0, c);
  // closest reference length; ties go to the shorter
  let reflen = t.refs[0].length;
  for (const r of t.refs) {
    const d = Math.abs(r.length - testlen);
    const best = Math.abs(reflen - testlen);
    if (d < best || (d === best && r.length < reflen)) reflen = r.length;
  }
  return { testlen, reflen, guess, correct };
}

function bleuFrom(s: BleuStats): [number, number, number, number] {
  const out: number[] = [];
  let b = 1;
  for (let k = 0; k < N; k++) {
    b *= (s.correct[k] + TINY) / (s.guess[k] + SMALL);
    out.push(b ** (1 / (k + 1)));
  }
  const ratio = (s.testlen + TINY) / (s.reflen + SMALL);
  if (ratio < 1) for (let k = 0; k < N; k++) out[k] *= Math.exp(1 - 1 / ratio);
  return out as [number, number, number, number];
}

// ---- CIDEr-D ------------------------------------------------------------------------------------

export const CIDER_SIGMA = 6;

export interface DocumentFrequencies {
  /** number of images whose references contain each n-gram */
  df: Map<string, number>;
  /** number of images the frequencies were counted over */
  images: number;
}

export function documentFrequencies(refsPerImage: readonly (readonly string[][])[]): DocumentFrequencies {
  const df = new Map<string, number>();
  for (const refs of refsPerImage) {
    const seen = new Set<string>();
    for (const r of refs) for (const g of ngramCounts(r).keys()) seen.add(g);
    for (const g of seen) df.set(g, (df.get(g) ?? 0) + 1);
  }
  return { df, images: refsPerImage.length };
}

interface TfIdf {
  vec: Map<string, number>[];
  norm: number[];
  length: number;
}

function tfidf(words: readonly string[], d: DocumentFrequencies, logImages: number): TfIdf {
  const vec = Array.from({ length: N }, () => new Map<string, number>());
  const norm = Array<number>(N).fill(0);
  let length = 0;
  for (const [g, tf] of ngramCounts(words)) {
    const n = order(g) - 1;
    const v = tf * (logImages - Math.log(Math.max(1, d.df.get(g) ?? 0)));
    vec[n].set(g, v);
    norm[n] += v * v;
    if (n === 1) length += tf; // coco-caption's "length" counts bigrams: kept for parity
  }
  return { vec, norm: norm.map(Math.sqrt), length };
}

function ciderSim(h: TfIdf, r: TfIdf): number[] {
  const delta = h.length - r.length;
  const penalty = Math.exp(-(delta * delta) / (2 * CIDER_SIGMA * CIDER_SIGMA));
  return h.vec.map((hv, n) => {
    let val = 0;
    for (const [g, v] of hv) {
      const rv = r.vec[n].get(g) ?? 0;
      val += Math.min(v, rv) * rv; // CIDEr-D clipping
    }
    if (h.norm[n] !== 0 && r.norm[n] !== 0) val /= h.norm[n] * r.norm[n];
    return val * penalty;
  });
}

function ciderD(t: Tokenised, d: DocumentFrequencies): number {
  const logImages = Math.log(d.images);
  const h = tfidf(t.hyp, d, logImages);
  const sum = Array<number>(N).fill(0);
  for (const ref of t.refs) {
    ciderSim(h, tfidf(ref, d, logImages)).forEach((v, n) => {
      sum[n] += v;
    });
  }
  const mean = sum.reduce((a, b) => a + b, 0) / N;
  return (mean / t.refs.length) * 10;
}

// ---- ROUGE-L ------------------------------------------------------------------------------------

const ROUGE_BETA = 1.2;

export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const prev = new Array<number>(b.length + 1).fill(0);
  const cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    for (let j = 0; j <= b.length; j++) prev[j] = cur[j];
  }
  return prev[b.length];
}

function rougeL(t: Tokenised): number {
  let pMax = 0;
  let rMax = 0;
  for (const ref of t.refs) {
    const l = lcsLength(ref, t.hyp);
    pMax = Math.max(pMax, t.hyp.length ? l / t.hyp.length : 0);
    rMax = Math.max(rMax, ref.length ? l / ref.length : 0);
  }
  if (pMax === 0 || rMax === 0) return 0;
  return ((1 + ROUGE_BETA ** 2) * pMax * rMax) / (rMax + ROUGE_BETA ** 2 * pMax);
}

// ---- together -----------------------------------------------------------------------------------

export interface ScoreOptions {
  pretokenized?: boolean;
  /** document frequencies from a larger reference corpus (CIDEr-D idf); default: these references */
  documentFrequencies?: DocumentFrequencies;
  /** called with a warning when the corpus is too small for a stable idf */
  warn?: (message: string) => void;
}

/** Below this many images CIDEr-D's idf is noisy (coco-caption evaluates on thousands). */
export const MIN_STABLE_IDF_IMAGES = 100;

export function scoreCaptions(
  items: readonly MetricItem[],
  opts: ScoreOptions = {},
): { corpus: CorpusScores; perImage: PerImage[] } {
  if (!items.length) throw new Error('no items to score');
  const tok = tokenise(items, opts.pretokenized ?? false);
  const df = opts.documentFrequencies ?? documentFrequencies(tok.map((t) => t.refs));
  if (!opts.documentFrequencies && tok.length < MIN_STABLE_IDF_IMAGES) {
    opts.warn?.(
      `CIDEr-D: idf from only ${tok.length} images is unstable (${MIN_STABLE_IDF_IMAGES}+ recommended); ` +
        'load document frequencies from a larger reference corpus',
    );
  }
  const total: BleuStats = { testlen: 0, reflen: 0, guess: Array(N).fill(0), correct: Array(N).fill(0) };
  const perImage = tok.map((t) => {
    const s = bleuStats(t);
    total.testlen += s.testlen;
    total.reflen += s.reflen;
    for (let k = 0; k < N; k++) {
      total.guess[k] += s.guess[k];
      total.correct[k] += s.correct[k];
    }
    return { bleu: bleuFrom(s), cider_d: ciderD(t, df), rouge_l: rougeL(t) };
  });
  const mean = (f: (p: PerImage) => number) => perImage.reduce((a, p) => a + f(p), 0) / perImage.length;
  return {
    corpus: { bleu: bleuFrom(total), cider_d: mean((p) => p.cider_d), rouge_l: mean((p) => p.rouge_l) },
    perImage,
  };
}

/** Document frequencies as JSON: `{"images": N, "df": {"a dog": 12, ...}}`. */
export function parseDocumentFrequencies(json: unknown, file: string): DocumentFrequencies {
  const o = json as { images?: unknown; df?: unknown };
  if (typeof o?.images !== 'number' || o.images < 1)
    throw new Error(`${file}: field 'images' must be a positive number`);
  if (!o.df || typeof o.df !== 'object')
    throw new Error(`${file}: field 'df' must be an object of n-gram counts`);
  return { images: o.images, df: new Map(Object.entries(o.df as Record<string, number>)) };
}
