/**
 * FAMILIES: the one list of model families the studio runs, keyed by config.json's `model_type`.
 * The bundle loader, the engine, `models list`, the catalogue and the Models view all read it;
 * adding a family is one file in this folder and one line here.
 */
import { BundleError } from '../errors.ts';
import type { Family, Json } from '../family.ts';
import { florence2 } from './florence2.ts';
import { visionEncoderDecoder } from './vision-encoder-decoder.ts';

export const FAMILIES = new Map<string, Family>(
  [visionEncoderDecoder, florence2].map((f) => [f.modelType, f]),
);

/** Adds a family (a test's throwaway family, say); a model_type already known is an error. */
export function registerFamily(family: Family): void {
  if (FAMILIES.has(family.modelType)) throw new Error(`family '${family.modelType}' is registered already`);
  FAMILIES.set(family.modelType, family);
}

/** The family of a bundle's config.json, or null when the studio runs none for it. */
export function familyOf(config: Json | null): Family | null {
  return (config && FAMILIES.get(String(config.model_type))) ?? null;
}

/** The family of `file` (a config.json); an unknown model_type is an error naming it and the families known. */
export function requireFamily(config: Json, file: string): Family {
  const family = familyOf(config);
  if (!family) {
    throw new BundleError(
      `${file}: model_type '${String(config.model_type)}' is not a family the studio runs` +
        ` (known: ${[...FAMILIES.keys()].join(', ')})`,
    );
  }
  return family;
}
