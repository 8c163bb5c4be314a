/**
 * The models the studio can caption with: the shipped default, every captioner in the Hugging Face
 * cache, and the folders the owner added. A model is named by a reference: 'default', a repository
 * id (ORG/NAME[@REVISION], resolved from the cache, offline), or an added folder's path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { modelFolders } from '../../../db/queries/models.ts';
import { CATALOG, type CatalogEntry, type FamilyFacts } from '../api/catalog.ts';
import type { Decoding } from '../api/decoding.ts';
import { ApiError, notFound } from '../api/dispatch.ts';
import type { ModelEntry } from '../api/types.ts';
import { clipVariants, isClipScorer } from '../inference/clip/layout.ts';
import { modelDefaults } from '../inference/decoding/settings.ts';
import { FAMILIES, familyOf } from '../inference/families/index.ts';
import type { Family } from '../inference/family.ts';
import { decoderLayout, onnxVariants } from '../inference/runtime/variants.ts';
import { cachedSnapshot, type HubEnv, isRepoId, parseRepoRef, REPO_ID } from './hub.ts';

export interface ResolvedModel {
  ref: string;
  kind: ModelEntry['kind'];
  dir: string;
  /** for people: 'default', the repository id, or the folder's name */
  label: string;
  source: string;
}

const readJson = (file: string): Record<string, unknown> | null => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
};
const readConfig = (dir: string) => readJson(join(dir, 'config.json'));

/** What the studio calls the model's architecture ('vit+gpt2', 'captioner-v1'): ours, else its family's name for it. */
export function architectureOf(config: Record<string, unknown> | null): string | null {
  if (!config) return null;
  const ours = (config.caption_studio as { architecture?: string } | undefined)?.architecture;
  if (ours) return ours;
  const family = familyOf(config);
  if (family) return family.architecture(config);
  return typeof config.model_type === 'string' ? config.model_type : null;
}

/** What a family can do, as the API reports it. */
const factsOf = (f: Family | null | undefined): FamilyFacts | null =>
  f ? { family: f.modelType, tasks: [...f.can.tasks], attention: f.can.attention, nBest: f.can.nBest } : null;

/** The catalogue with what each row's family can do (from FAMILIES). */
export const catalogue = (): CatalogEntry[] =>
  CATALOG.map((row) => ({ ...row, can: factsOf(FAMILIES.get(row.family)) }));

function sizeOnDisk(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const st = statSync(p); // follows the cache's symlinks to the blobs
    n += st.isDirectory() ? sizeOnDisk(p) : st.size;
  }
  return n;
}

/** The decoding defaults a bundle's generation_config.json gives; none when it is missing or invalid. */
function generationDefaults(dir: string): Partial<Decoding> {
  try {
    return modelDefaults(readJson(join(dir, 'generation_config.json')) ?? {});
  } catch {
    return {};
  }
}

export function describe(r: ResolvedModel): ModelEntry {
  const config = readConfig(r.dir);
  if (isClipScorer(r.dir)) return describeScorer(r, config);
  const family = familyOf(config);
  const pre = family ? readJson(join(r.dir, 'preprocessor_config.json')) : null;
  const variants = onnxVariants(r.dir);
  const preferred = variants.get(variants.has('fp32') ? 'fp32' : [...variants.keys()][0]);
  return {
    ref: r.ref,
    name: r.label,
    kind: r.kind,
    role: 'captioner',
    architecture: architectureOf(config),
    dtypes: [...variants.keys()],
    decoder: preferred ? decoderLayout(preferred) : null,
    bytes: sizeOnDisk(r.dir),
    path: r.dir,
    domain: (config?.caption_studio as { domain?: string } | undefined)?.domain ?? null,
    tasks: family && pre ? [...family.prompts(pre).keys()] : [],
    can: factsOf(family),
    defaults: generationDefaults(r.dir),
  };
}

/** A CLIP scorer: its variants are those with both towers; it decodes nothing and takes no task. */
function describeScorer(r: ResolvedModel, config: Record<string, unknown> | null): ModelEntry {
  return {
    ref: r.ref,
    name: r.label,
    kind: r.kind,
    role: 'scorer',
    architecture: typeof config?.model_type === 'string' ? config.model_type : 'clip',
    dtypes: clipVariants(r.dir),
    decoder: null,
    bytes: sizeOnDisk(r.dir),
    path: r.dir,
    domain: null,
    tasks: [],
    can: null,
    defaults: {},
  };
}

/**
 * Models in the Hugging Face cache: repositories with an ONNX export and a captioner's config, and
 * CLIP scorers (clip/layout.ts).
 */
async function cachedModels(env: HubEnv): Promise<ResolvedModel[]> {
  if (!existsSync(env.cacheDir)) return [];
  const out: ResolvedModel[] = [];
  for (const folder of readdirSync(env.cacheDir)
    .filter((f) => f.startsWith('models--'))
    .sort()) {
    const repo = folder.slice('models--'.length).replace('--', '/');
    if (!isRepoId(repo)) continue; // a folder no valid id makes (models--a--b--c)
    const snap = await cachedSnapshot(env, repo, 'main');
    const snaps = join(env.cacheDir, folder, 'snapshots');
    const dir = snap ?? (existsSync(snaps) ? readdirSync(snaps).map((s) => join(snaps, s))[0] : undefined);
    if (!dir) continue;
    const config = readConfig(dir);
    if (!(familyOf(config) && onnxVariants(dir).size) && !isClipScorer(dir)) continue;
    out.push({ ref: repo, kind: 'hub', dir, label: repo, source: `hf:${repo}@${basename(dir)}` });
  }
  return out;
}

export async function installedModels(
  db: DB,
  env: HubEnv,
  defaultModel: ResolvedModel,
): Promise<ResolvedModel[]> {
  const folders = modelFolders(db).map(
    (path): ResolvedModel => ({ ref: path, kind: 'folder', dir: path, label: basename(path), source: path }),
  );
  return [defaultModel, ...(await cachedModels(env)), ...folders];
}

/**
 * What a reference names. A repository id resolves from the cache only (offline): a model that is
 * not there is an error naming the command that downloads it. `allowFolders` lets the owner's own
 * command line name any folder; requests from the UI may name only listed ones.
 */
export async function resolveModelRef(
  ref: string,
  listed: () => Promise<ResolvedModel[]>,
  env: HubEnv,
  allowFolders: boolean,
): Promise<ResolvedModel> {
  const known = (await listed()).find((m) => m.ref === ref);
  if (known) return known;
  const path = resolve(ref);
  if (allowFolders && existsSync(path) && statSync(path).isDirectory()) {
    return { ref: path, kind: 'folder', dir: path, label: basename(path), source: path };
  }
  if (REPO_ID.test(ref)) {
    const { repo, revision } = parseRepoRef(ref);
    const dir = await cachedSnapshot(env, repo, revision);
    if (!dir)
      throw notFound(
        `${ref} is not in the Hugging Face cache (${env.cacheDir}); download it with: caption-studio models pull ${ref}`,
      );
    const commit = basename(dir);
    return { ref, kind: 'hub', dir, label: repo, source: `hf:${repo}@${commit}` };
  }
  if (allowFolders) throw notFound(`${path}: model bundle folder not found`);
  throw new ApiError(
    404,
    `no model '${ref}' in the studio's list (add a folder with models.add first)`,
    'model',
  );
}
