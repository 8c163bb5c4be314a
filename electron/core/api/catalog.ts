/**
 * Captioners known to work in the studio, offered in the Models view and the README, with what
 * they describe. Any other Hugging Face repository in the same ONNX layout can be pulled by id.
 * Each row names its model family (config.json's `model_type`); what a family can do comes from
 * inference's one list of families (`inference/families/index.ts`), joined in by `models.list`.
 */
import type { Task } from './decoding.ts';
import type { Dtype } from './options.ts';

/** What a model family can do, as the API reports it. */
export interface FamilyFacts {
  /** its key: config.json's `model_type` */
  family: string;
  /** the caption tasks it takes a prompt for; none for families that only caption */
  tasks: Task[];
  /** heat-maps: its attention maps onto image cells (when the export gives attention) */
  attention: boolean;
  /** n-best lists from beam search */
  nBest: boolean;
}

export interface CatalogRow {
  repo: string;
  title: string;
  architecture: string;
  family: string;
  /** what it describes well */
  domain: string;
  /** approximate download per variant (the files one variant needs), in MB */
  sizes: Partial<Record<Dtype, number>>;
  licence: string;
}

/** A row as `models.list` gives it: with what its family can do (null: a family the studio does not run). */
export interface CatalogEntry extends CatalogRow {
  can: FamilyFacts | null;
}

export const CATALOG: CatalogRow[] = [
  {
    repo: 'Xenova/vit-gpt2-image-captioning',
    title: 'ViT-GPT2 image captioning (nlpconnect)',
    architecture: 'vit+gpt2',
    family: 'vision-encoder-decoder',
    domain: 'everyday photos (trained on COCO): one short sentence',
    sizes: { fp32: 1000, q8: 250 }, // about: the ONNX files of one variant, encoder + merged decoder
    licence: 'Apache-2.0',
  },
  // Florence-2 (Microsoft): 0.23 B (base) and 0.77 B (large) parameters; sizes are about 4 bytes
  // (fp32), 2 (fp16) and 1 (q8) per parameter. The -ft models are fine-tuned on the tasks.
  ...(
    [
      ['onnx-community/Florence-2-base-ft', 'Florence-2 base, fine-tuned', { fp32: 930, fp16: 470, q8: 240 }],
      ['onnx-community/Florence-2-base', 'Florence-2 base', { fp32: 930, fp16: 470, q8: 240 }],
      [
        'onnx-community/Florence-2-large-ft',
        'Florence-2 large, fine-tuned',
        { fp32: 3100, fp16: 1550, q8: 780 },
      ],
      ['onnx-community/Florence-2-large', 'Florence-2 large', { fp32: 3100, fp16: 1550, q8: 780 }],
    ] as const
  ).map(
    ([repo, title, sizes]): CatalogRow => ({
      repo,
      title,
      architecture: 'florence2',
      family: 'florence2',
      domain: 'photos: a caption, a detailed caption, or a paragraph (3-beam search)',
      sizes,
      licence: 'MIT',
    }),
  ),
];

/** The one-line warning shown wherever a model that only knows synthetic scenes is about to caption. */
export const SYNTHETIC_DOMAIN = 'synthetic-scenes';
export const syntheticWarning = (pullCommand = `caption-studio models pull ${CATALOG[0].repo}`) =>
  `the built-in model only describes synthetic test scenes; for photos run: ${pullCommand}`;
