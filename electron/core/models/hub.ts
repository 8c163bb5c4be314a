/**
 * Models from the Hugging Face Hub, in the standard cache so that Python's `huggingface_hub` and
 * transformers.js share the downloads: `$HF_HUB_CACHE` (else `$HF_HOME/hub`, else
 * `~/.cache/huggingface/hub`) / `models--ORG--NAME/{blobs,snapshots,refs}`. The Hub's API (model
 * info, file tree, file resolution) is `@huggingface/hub`'s; `HF_ENDPOINT`, `HF_TOKEN` and
 * `HF_HUB_OFFLINE=1` are honoured. A pull fetches only the files one export variant needs, resumes a
 * partial file (`blobs/<etag>.incomplete`, a Range request), checks every file against its hash
 * (sha256 for LFS files, the git blob sha1 for the rest) and only then moves it into place, so a
 * complete-looking file is always complete.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import {
  downloadFile,
  getHFHubCachePath,
  getRepoFolderName,
  HubApiError,
  listFiles,
  modelInfo,
} from '@huggingface/hub';
import { DTYPES, type Dtype } from '../api/contract.ts';
import { ApiError, conflict, invalid, notFound } from '../api/dispatch.ts';
import { parseOnnxName } from '../inference/runtime/variants.ts';

export interface HubEnv {
  endpoint: string;
  token?: string;
  offline: boolean;
  cacheDir: string;
}

export function hubEnv(env = process.env): HubEnv {
  return {
    endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    token: env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN,
    offline: ['1', 'true', 'yes', 'on'].includes((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
    cacheDir: getHFHubCachePath(),
  };
}

/** `ORG/NAME` or `ORG/NAME@REVISION`. */
export const REPO_ID = /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/;

export function parseRepoRef(ref: string): { repo: string; revision: string } {
  if (!REPO_ID.test(ref)) throw invalid(`'${ref}' is not a model repository id (ORG/NAME[@REVISION])`);
  const [repo, revision = 'main'] = ref.split('@');
  return { repo, revision };
}

export const repoFolder = (env: HubEnv, repo: string) =>
  join(env.cacheDir, getRepoFolderName({ name: repo, type: 'model' }));

/** The cached snapshot of `repo` at `revision` (a ref such as main, or a commit), offline; null if none. */
export async function cachedSnapshot(env: HubEnv, repo: string, revision: string): Promise<string | null> {
  const folder = repoFolder(env, repo);
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    try {
      commit = (await readFile(join(folder, 'refs', revision), 'utf8')).trim();
    } catch {
      return null;
    }
  }
  const snap = join(folder, 'snapshots', commit);
  return existsSync(snap) ? snap : null;
}

export interface PlannedFile {
  path: string;
  size: number;
  /** sha256 for LFS files, the git blob sha1 otherwise: the blob's name in the cache */
  etag: string;
  lfs: boolean;
}

export interface PullPlan {
  repo: string;
  revision: string;
  commit: string;
  dtype: Dtype;
  files: PlannedFile[];
  /** bytes still to download (files not in the cache, less what a resumed file already has) */
  toDownload: number;
}

function hubError(err: unknown, env: HubEnv, repo: string): Error {
  if (err instanceof HubApiError) {
    if (err.statusCode === 401 || err.statusCode === 403) {
      return new ApiError(
        403,
        env.token
          ? `${repo}: your HF_TOKEN has no access to this repository; request access on ${env.endpoint}/${repo}`
          : `${repo} is gated or private: set HF_TOKEN to a token with access (${env.endpoint}/${repo})`,
      );
    }
    if (err.statusCode === 404)
      return notFound(`${repo}: no such model repository (or revision) on ${env.endpoint}`);
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ApiError(
    422,
    `${repo}: the Hub at ${env.endpoint} could not be reached or answered badly (${msg})`,
  );
}

const JSON_FILE = /^[^/]+\.json$/;

/**
 * Which files one export variant needs: the top-level JSON files and the variant's ONNX files (and
 * their external data); a merged decoder makes the split pair unnecessary. The variant: the one
 * asked for, else fp32 where present, else the smallest present.
 */
export function selectFiles(files: PlannedFile[], asked?: Dtype): { dtype: Dtype; files: PlannedFile[] } {
  const onnx = files.flatMap((f) => {
    const p = parseOnnxName(f.path.split('/').pop()!);
    return p ? [{ f, ...p }] : [];
  });
  const present = DTYPES.filter((d) => onnx.some((o) => o.dtype === d));
  const bytes = (d: Dtype) => onnx.filter((o) => o.dtype === d).reduce((n, o) => n + o.f.size, 0);
  const dtype =
    asked ?? (present.includes('fp32') ? 'fp32' : [...present].sort((a, b) => bytes(a) - bytes(b))[0]);
  if (!dtype || !present.includes(dtype)) {
    const variants = present.length ? ` (variants: ${present.join(', ')})` : '';
    throw invalid(`no ${asked ? `${asked} ` : ''}ONNX files in this repository${variants}`, 'dtype');
  }
  const mine = onnx.filter((o) => o.dtype === dtype);
  const merged = mine.some((o) => o.base === 'decoder_model_merged');
  const chosen = mine.filter(
    (o) => !(merged && (o.base === 'decoder_model' || o.base === 'decoder_with_past_model')),
  );
  const data = new Set(chosen.map((o) => `${o.f.path}_data`));
  return {
    dtype,
    files: [
      ...files.filter((f) => JSON_FILE.test(f.path)),
      ...chosen.map((o) => o.f),
      ...files.filter((f) => data.has(f.path)),
    ],
  };
}

const blobPath = (env: HubEnv, repo: string, etag: string) => join(repoFolder(env, repo), 'blobs', etag);

async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => null))?.size ?? 0;
}

/** Asks the Hub what `repo@revision` is and which files the variant needs; downloads nothing. */
export async function planPull(
  env: HubEnv,
  repo: string,
  revision: string,
  dtype?: Dtype,
): Promise<PullPlan> {
  if (env.offline) throw conflict(`HF_HUB_OFFLINE is set: not downloading ${repo}`);
  const creds = { hubUrl: env.endpoint, accessToken: env.token };
  let commit: string;
  const all: PlannedFile[] = [];
  try {
    const info = await modelInfo({ name: repo, revision, additionalFields: ['sha'], ...creds });
    commit = (info as { sha?: string }).sha ?? '';
    if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`no commit sha for ${revision}`);
    for await (const f of listFiles({ repo, revision: commit, recursive: true, ...creds })) {
      if (f.type !== 'file') continue;
      all.push({
        path: f.path,
        size: f.lfs?.size ?? f.size,
        etag: f.lfs?.oid ?? f.oid ?? '',
        lfs: Boolean(f.lfs),
      });
    }
  } catch (err) {
    throw hubError(err, env, repo);
  }
  const chosen = selectFiles(all, dtype);
  let toDownload = 0;
  for (const f of chosen.files) {
    if (existsSync(blobPath(env, repo, f.etag))) continue;
    toDownload += f.size - (await sizeOf(`${blobPath(env, repo, f.etag)}.incomplete`));
  }
  return { repo, revision, commit, dtype: chosen.dtype, files: chosen.files, toDownload };
}

/** The hash a file must have: sha256 of the bytes (LFS), or git's blob sha1. */
function hasher(f: PlannedFile) {
  const h = createHash(f.lfs ? 'sha256' : 'sha1');
  if (!f.lfs) h.update(`blob ${f.size}\0`);
  return h;
}

async function linkOrCopy(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  await rm(pointer, { force: true });
  try {
    await symlink(relative(dirname(pointer), blob), pointer);
  } catch {
    await copyFile(blob, pointer); // no symlinks (Windows without developer mode): a copy, as huggingface_hub does
  }
}

export interface PullProgress {
  file: string;
  /** bytes received in this pull so far */
  bytes: number;
}

/**
 * Downloads what the plan lists into the cache, resuming partial files, checking each file's hash,
 * then points `snapshots/<commit>/` at the blobs and `refs/<revision>` at the commit. Returns the
 * snapshot folder. Cancelling (the signal) keeps partial files for the next pull.
 */
export async function pull(
  env: HubEnv,
  plan: PullPlan,
  onProgress: (p: PullProgress) => void,
  signal?: AbortSignal,
): Promise<string> {
  const folder = repoFolder(env, plan.repo);
  const snapshot = join(folder, 'snapshots', plan.commit);
  const fetchWithSignal: typeof fetch = (url, init) => fetch(url, { ...init, signal });
  let bytes = 0;
  for (const f of plan.files) {
    const blob = blobPath(env, plan.repo, f.etag);
    if (!existsSync(blob)) {
      await mkdir(dirname(blob), { recursive: true });
      const partial = `${blob}.incomplete`;
      const h = hasher(f);
      let have = await sizeOf(partial);
      if (have > f.size) {
        await rm(partial);
        have = 0;
      }
      if (have > 0) for await (const chunk of createReadStream(partial)) h.update(chunk as Buffer);
      if (have < f.size) {
        const remote = await downloadFile({
          repo: plan.repo,
          path: f.path,
          revision: plan.commit,
          hubUrl: env.endpoint,
          accessToken: env.token,
          fetch: fetchWithSignal,
          xet: false,
        }).catch((err) => {
          throw hubError(err, env, plan.repo);
        });
        if (!remote) throw notFound(`${plan.repo}: ${f.path} is not in revision ${plan.commit}`);
        const out = await open(partial, 'a');
        try {
          const reader = remote.slice(have).stream().getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            h.update(value);
            await out.write(value);
            bytes += value.byteLength;
            onProgress({ file: f.path, bytes });
          }
        } catch (err) {
          if (signal?.aborted) throw conflict(`pull of ${plan.repo} cancelled (partial files kept)`);
          throw hubError(err, env, plan.repo);
        } finally {
          await out.close();
        }
      }
      const got = h.digest('hex');
      if (got !== f.etag || (await sizeOf(partial)) !== f.size) {
        await rm(partial, { force: true });
        throw new ApiError(
          422,
          `${plan.repo}: ${f.path} failed its ${f.lfs ? 'sha256' : 'git sha1'} check (expected ${f.etag}, got ${got}); the damaged download was removed, pull again`,
        );
      }
      await rename(partial, blob);
    }
    await linkOrCopy(blob, join(snapshot, f.path));
  }
  if (plan.revision !== plan.commit) {
    await mkdir(join(folder, 'refs'), { recursive: true });
    await writeFile(join(folder, 'refs', plan.revision), plan.commit);
  }
  return snapshot;
}
