/**
 * Captioners known to work in the studio, offered in the Models view and the README, with what
 * they describe. Any other Hugging Face repository in the same ONNX layout can be pulled by id.
 */
import type { Dtype } from './contract.ts';

export interface CatalogEntry {
  repo: string;
  title: string;
  architecture: string;
  /** what it describes well */
  domain: string;
  /** approximate download per variant (the files one variant needs), in MB */
  sizes: Partial<Record<Dtype, number>>;
  licence: string;
}

export const CATALOG: CatalogEntry[] = [
  {
    repo: 'Xenova/vit-gpt2-image-captioning',
    title: 'ViT-GPT2 image captioning (nlpconnect)',
    architecture: 'vit+gpt2',
    domain: 'everyday photos (trained on COCO): one short sentence',
    sizes: { fp32: 1000, q8: 250 }, // about: the ONNX files of one variant, encoder + merged decoder
    licence: 'Apache-2.0',
  },
];

/** The one-line warning shown wherever a model that only knows synthetic scenes is about to caption. */
export const SYNTHETIC_DOMAIN = 'synthetic-scenes';
export const syntheticWarning = (pullCommand = `caption-studio models pull ${CATALOG[0].repo}`) =>
  `the built-in model only describes synthetic test scenes; for photos run: ${pullCommand}`;
