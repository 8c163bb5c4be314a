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

/** `ORG/NAME` or `ORG/NAME@REVISION`: the shape of a reference, before `checkRepoId`/`checkRevision`. */
export const REPO_ID = /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/;

/**
 * The Hub's rules for a repository id (as huggingface_hub's `validate_repo_id` states them), with a
 * namespace required: `ORG/NAME`, each part ASCII letters, digits, `-`, `_`, `.`, not starting or
 * ending with `-` or `.`, the name 1-96 characters, no `--` or `..` anywhere (the cache folder is
 * `models--ORG--NAME`, so `--` would make two ids one folder), not ending in `.git`.
 */
export function checkRepoId(repo: string): void {
  const part = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
  const [org, name, ...more] = repo.split('/');
  const why =
    more.length || name === undefined
      ? 'it must be ORG/NAME'
      : !part.test(org) || !part.test(name)
        ? "each part is letters, digits, '-', '_' or '.', not starting or ending with '-' or '.'"
        : name.length > 96
          ? 'the name is over 96 characters'
          : repo.includes('--') || repo.includes('..')
            ? "it cannot contain '--' or '..'"
            : repo.endsWith('.git')
              ? "it cannot end in '.git'"
              : undefined;
  if (why) throw invalid(`'${repo}' is not a Hugging Face repository id: ${why}`);
}

const hasControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** Whether `repo` passes `checkRepoId` (for listings, which pass over what does not). */
export function isRepoId(repo: string): boolean {
  try {
    checkRepoId(repo);
    return true;
  } catch {
    return false;
  }
}

/** A full commit hash, the only revision used as a snapshot folder's name as it is. */
export const COMMIT = /^[0-9a-f]{40}$/;

/**
 * A revision is a commit hash or a git ref name (a branch, a tag, `refs/pr/N`), with git's rules for
 * ref names (git check-ref-format): no `..`, no part that starts with `.` or ends with `.lock`, no
 * empty part or leading/trailing `/`, no control characters, spaces or `~ ^ : ? * [ \`, no `@{`, not
 * `@`; and at most 255 characters. It names a file under `refs/`, so nothing here can leave it.
 */
export function checkRevision(revision: string): void {
  const parts = revision.split('/');
  const why =
    revision.length === 0 || revision.length > 255
      ? 'it must be 1 to 255 characters'
      : hasControl(revision) || /[ ~^:?*[\\]/.test(revision)
        ? 'it cannot contain spaces, control characters or any of ~ ^ : ? * [ \\'
        : revision.includes('..') || revision.includes('@{') || revision === '@'
          ? "it cannot contain '..' or '@{', or be '@'"
          : parts.some((p) => p === '' || p.startsWith('.') || p.endsWith('.lock'))
            ? "no part of it can be empty, start with '.' or end in '.lock'"
            : undefined;
  if (why) throw invalid(`'${revision}' is not a valid revision: ${why}`);
}

export function parseRepoRef(ref: string): { repo: string; revision: string } {
  const at = ref.indexOf('@');
  const repo = at < 0 ? ref : ref.slice(0, at);
  const revision = at < 0 ? 'main' : ref.slice(at + 1);
  checkRepoId(repo);
  checkRevision(revision);
  return { repo, revision };
}

/**
 * A file the Hub lists, before it names anything in the cache: its path relative, '/'-separated,
 * no empty, `.` or `..` part, no backslash or control character; its hash (the blob's file name)
 * a sha256 (LFS) or git sha1 in hex.
 */
function checkListed(repo: string, f: PlannedFile): void {
  const parts = f.path.split('/');
  const badPath =
    hasControl(f.path) || f.path.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..');
  if (badPath || !(f.lfs ? /^[0-9a-f]{64}$/ : COMMIT).test(f.etag))
    throw new ApiError(
      422,
      `${repo}: the Hub listed a file that cannot be stored safely: ${JSON.stringify(f.path)} (${JSON.stringify(f.etag)})`,
    );
}

export const repoFolder = (env: HubEnv, repo: string) =>
  join(env.cacheDir, getRepoFolderName({ name: repo, type: 'model' }));

/** The cached snapshot of `repo` at `revision` (a ref such as main, or a commit), offline; null if none. */
export async function cachedSnapshot(env: HubEnv, repo: string, revision: string): Promise<string | null> {
  checkRepoId(repo);
  checkRevision(revision);
  const folder = repoFolder(env, repo);
  let commit = revision;
  if (!COMMIT.test(revision)) {
    try {
      commit = (await readFile(join(folder, 'refs', revision), 'utf8')).trim();
    } catch {
      return null;
    }
    if (!COMMIT.test(commit)) return null; // a ref file that does not hold a commit
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
  if (err instanceof ApiError) return err; // ours, already clear
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

// the top-level JSON files, and a BPE tokenizer's merge list (CLIP's tokenizer is built from it)
const TOP_FILES = /^(?:[^/]+\.json|merges\.txt)$/;

/**
 * Which files one export variant needs: the top-level JSON files (and `merges.txt`) and the variant's ONNX files (and
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
      ...files.filter((f) => TOP_FILES.test(f.path)),
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
  checkRepoId(repo);
  checkRevision(revision);
  if (env.offline) throw conflict(`HF_HUB_OFFLINE is set: not downloading ${repo}`);
  const creds = { hubUrl: env.endpoint, accessToken: env.token };
  let commit: string;
  const all: PlannedFile[] = [];
  try {
    const info = await modelInfo({ name: repo, revision, additionalFields: ['sha'], ...creds });
    commit = (info as { sha?: string }).sha ?? '';
    if (!COMMIT.test(commit)) throw new Error(`no commit sha for ${revision}`);
    for await (const f of listFiles({ repo, revision: commit, recursive: true, ...creds })) {
      if (f.type !== 'file') continue;
      const listed = {
        path: f.path,
        size: f.lfs?.size ?? f.size,
        etag: f.lfs?.oid ?? f.oid ?? '',
        lfs: Boolean(f.lfs),
      };
      checkListed(repo, listed);
      all.push(listed);
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
  checkRepoId(plan.repo);
  checkRevision(plan.revision);
  if (!COMMIT.test(plan.commit)) throw invalid(`'${plan.commit}' is not a commit hash`);
  for (const f of plan.files) checkListed(plan.repo, f);
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
