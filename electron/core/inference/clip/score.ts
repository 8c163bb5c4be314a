/**
 * CLIPScore and RefCLIPScore as the authors' reference code (jmhessel/clipscore) computes them
 * (Hessel et al., EMNLP 2021):
 * - every caption and every reference is prefixed "A photo depicts " before tokenising;
 * - CLIPScore = 2.5 * max(cos(image, caption), 0);
 * - RefCLIPScore = the harmonic mean of CLIPScore and the caption's largest cosine with its references.
 *   The paper clips that reference side at 0 (`max(max_r cos, 0)`); the code does not, and we follow
 *   the code. Where the harmonic mean's denominator is 0 (both terms 0, or opposite terms that
 *   cancel) the code yields NaN or infinity; we return 0 there.
 */

export const CAPTION_PREFIX = 'A photo depicts ';
export const CLIP_SCORE_WEIGHT = 2.5;

/** The vector scaled to unit length (a zero vector stays zero). */
export function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  return v.map((x) => x * inv);
}

/** Dot product of two unit vectors: their cosine. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** CLIPScore of a caption for an image, from their unit embeddings. */
export function clipScore(image: Float32Array, caption: Float32Array, w = CLIP_SCORE_WEIGHT): number {
  return w * Math.max(cosine(image, caption), 0);
}

/** The reference side: the largest cosine between the caption and its references (not clipped). */
export function referenceSimilarity(caption: Float32Array, references: readonly Float32Array[]): number {
  if (references.length === 0) throw new Error('RefCLIPScore needs at least one reference');
  return Math.max(...references.map((r) => cosine(caption, r)));
}

/** The harmonic mean of CLIPScore and the reference side; 0 where its denominator is 0. */
export function refClipScore(clip: number, reference: number): number {
  const d = clip + reference;
  return d === 0 ? 0 : (2 * clip * reference) / d;
}
