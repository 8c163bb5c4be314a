/**
 * A throwaway family for tests (not registered in production): a VisionEncoderDecoder model under
 * its own `model_type`, with its own text mapping (upper case) and no attention geometry, so a test
 * can tell its hooks ran. It proves a family is one file plus one registration.
 */
import type { Family } from '../family.ts';
import { visionEncoderDecoder } from './vision-encoder-decoder.ts';

export const toy: Family = {
  ...visionEncoderDecoder,
  modelType: 'toy-captioner',
  can: { tasks: [], attention: false, nBest: true },
  architecture: () => 'toy',
  open(sessions, files) {
    const inner = visionEncoderDecoder.open(sessions, files);
    return { ...inner, grid: null, cells: () => null, text: (tokens) => inner.text(tokens).toUpperCase() };
  },
};
