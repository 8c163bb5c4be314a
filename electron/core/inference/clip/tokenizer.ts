/**
 * CLIP's byte-level BPE tokenizer, built from the merge list as openai/CLIP's `simple_tokenizer.py`
 * builds it (the Hugging Face `vocab.json`/`merges.txt` of the CLIP repositories hold the same ids).
 *
 * - Vocabulary, in id order: the 256 byte characters of GPT-2's byte-to-unicode table (in that
 *   table's order), the same 256 with `</w>`, each merge joined, then `<|startoftext|>` (49406) and
 *   `<|endoftext|>` (49407).
 * - Cleanup: the reference runs ftfy's `fix_text`, `html.unescape` twice, collapses whitespace and
 *   lower-cases. We apply NFC (ftfy's own normalisation), collapse whitespace (`\s+` -> one space,
 *   trimmed) and lower-case; no ftfy repairs (mojibake, curly quotes, full-width forms) and no HTML
 *   unescaping — exactly what the Hugging Face fast tokenizer (`tokenizer.json`, which transformers.js
 *   and the ONNX copies use) does. Captions with such text may tokenise differently from openai/CLIP.
 * - Pre-tokenizer: CLIP's regex; each word's bytes go through the byte table, its last symbol carries
 *   `</w>`, and merges apply lowest rank first. The two special strings are recognised in text, as the
 *   reference does.
 * - Sequences are `[49406, ..., 49407]` of at most 77 ids; longer text keeps its first 75 ids and the
 *   end token (openai/CLIP's `truncate=True`; the text embedding is read at the end token, so dropping
 *   it, as transformers.js does on truncation, would read an arbitrary word instead).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const START_TOKEN = 49406;
export const END_TOKEN = 49407;
export const CONTEXT_LENGTH = 77;
/** merges in CLIP's list: vocabulary 49408 minus 256 bytes, 256 `</w>` bytes and 2 specials */
export const MERGE_COUNT = 49152 - 256 - 2;

const SPECIALS = ['<|startoftext|>', '<|endoftext|>'] as const;
const PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;
const EOW = '</w>';
// words seen are cached; the cache is emptied when it grows past this many entries (memory bounded)
const CACHE_LIMIT = 50_000;

/** GPT-2's byte-to-unicode table: byte value -> printable character, in the table's insertion order. */
export function byteTable(): [number, string][] {
  const printable: number[] = [];
  const range = (a: number, b: number) => {
    for (let c = a; c <= b; c++) printable.push(c);
  };
  range(0x21, 0x7e);
  range(0xa1, 0xac);
  range(0xae, 0xff);
  const table: [number, string][] = printable.map((b) => [b, String.fromCodePoint(b)]);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) table.push([b, String.fromCodePoint(256 + n++)]);
  }
  return table;
}

/** The cleanup before splitting: NFC, whitespace collapsed and trimmed, lower-cased (see the header). */
export function cleanText(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

export class ClipTokenizer {
  private readonly encoder = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly byteChar: string[] = new Array(256);
  private readonly cache = new Map<string, string[]>();

  /** `merges`: the pairs "a b" in rank order (exactly MERGE_COUNT of them). */
  constructor(merges: readonly string[]) {
    if (merges.length !== MERGE_COUNT) {
      throw new Error(`CLIP merge list: expected ${MERGE_COUNT} merges, got ${merges.length}`);
    }
    const table = byteTable();
    const vocab = table.map(([, c]) => c);
    for (const [b, c] of table) this.byteChar[b] = c;
    vocab.push(...vocab.map((c) => c + EOW));
    merges.forEach((m, rank) => {
      const parts = m.split(' ');
      if (parts.length !== 2) throw new Error(`CLIP merge list: line ${rank + 1} is not a pair: ${m}`);
      this.ranks.set(m, rank);
      vocab.push(parts[0] + parts[1]);
    });
    vocab.push(...SPECIALS);
    vocab.forEach((v, id) => {
      this.encoder.set(v, id);
    });
  }

  /** From a merge file's text: line 0 is a header (`#version: 0.2`), then the merges. */
  static fromMergesText(text: string): ClipTokenizer {
    const lines = text.split('\n');
    return new ClipTokenizer(lines.slice(1, 1 + MERGE_COUNT));
  }

  /** openai/CLIP's `bpe_simple_vocab_16e6.txt.gz` or a Hugging Face `merges.txt`. */
  static fromMergesFile(path: string): ClipTokenizer {
    const raw = readFileSync(path);
    const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    return ClipTokenizer.fromMergesText(text);
  }

  get vocabSize(): number {
    return this.encoder.size;
  }

  /** The BPE symbols of one pre-tokenized word (already byte-mapped). */
  private bpe(word: string): string[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    if ((SPECIALS as readonly string[]).includes(word)) return [word];
    const chars = Array.from(word);
    let symbols = [...chars.slice(0, -1), chars[chars.length - 1] + EOW];
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i < symbols.length - 1; i++) {
        const r = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const first = symbols[best];
      const second = symbols[best + 1];
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; ) {
        if (i < symbols.length - 1 && symbols[i] === first && symbols[i + 1] === second) {
          merged.push(first + second);
          i += 2;
        } else {
          merged.push(symbols[i]);
          i += 1;
        }
      }
      symbols = merged;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }

  /** The token ids of `text` without start/end tokens and without truncation. */
  encodeWords(text: string): number[] {
    const ids: number[] = [];
    const utf8 = new TextEncoder();
    for (const [piece] of cleanText(text).matchAll(PATTERN)) {
      let word = '';
      for (const b of utf8.encode(piece)) word += this.byteChar[b];
      for (const s of this.bpe(word)) {
        const id = this.encoder.get(s);
        if (id === undefined)
          throw new Error(`CLIP tokenizer: symbol ${JSON.stringify(s)} not in the vocabulary`);
        ids.push(id);
      }
    }
    return ids;
  }

  /** `[49406, ...ids, 49407]`, at most `length` ids: longer text keeps its first ids and the end token. */
  encode(text: string, length = CONTEXT_LENGTH): number[] {
    const words = this.encodeWords(text).slice(0, length - 2);
    return [START_TOKEN, ...words, END_TOKEN];
  }

  /** A batch as the text tower takes it: (n, longest) int64, padded with the end token (HF's pad for CLIP). */
  batch(texts: readonly string[]): { ids: BigInt64Array; dims: [number, number] } {
    const rows = texts.map((t) => this.encode(t));
    const width = Math.max(...rows.map((r) => r.length));
    const ids = new BigInt64Array(rows.length * width).fill(BigInt(END_TOKEN));
    rows.forEach((r, i) => {
      r.forEach((id, j) => {
        ids[i * width + j] = BigInt(id);
      });
    });
    return { ids, dims: [rows.length, width] };
  }
}
