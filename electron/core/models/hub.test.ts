/**
 * Pulling models from a Hub on loopback (test/fixtures/hub.ts) into a standard Hugging Face cache:
 * only the chosen variant's files, resumed after an interruption, a corrupted byte caught by the
 * hash check, offline resolution, a gated repository. Nothing here touches the internet.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures/bundles.ts';
import { startHub } from '../../../test/fixtures/hub.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { loadBundle } from '../inference/bundle.ts';
import { cachedSnapshot, type HubEnv, isRepoId, parseRepoRef, planPull, pull, repoFolder } from './hub.ts';

const REPO = 'Xenova/vit-gpt2-image-captioning';
let hub: Awaited<ReturnType<typeof startHub>> | null = null;
afterEach(async () => {
  await hub?.close();
  hub = null;
});

const envFor = (url: string, extra: Partial<HubEnv> = {}): HubEnv => ({
  endpoint: url,
  offline: false,
  cacheDir: tempDir('cs-hf-cache-'),
  ...extra,
});

describe('models pull', () => {
  it('downloads only the variant it needs into the standard cache layout, with progress', async () => {
    hub = await startHub({ [REPO]: { dir: join(FIXTURES, 'onnx-folder') } });
    const env = envFor(hub.url);
    const plan = await planPull(env, REPO, 'main', 'fp32');
    // the merged decoder makes the split pair unnecessary
    expect(plan.files.map((f) => f.path).filter((p) => p.endsWith('.onnx'))).toEqual([
      'onnx/decoder_model_merged.onnx',
      'onnx/encoder_model.onnx',
    ]);
    expect(plan.commit).toBe(hub.commitOf(REPO));
    expect(plan.toDownload).toBe(plan.files.reduce((n, f) => n + f.size, 0));
    const seen: number[] = [];
    const snapshot = await pull(env, plan, (p) => seen.push(p.bytes));
    expect(seen.at(-1)).toBe(plan.toDownload);
    const folder = repoFolder(env, REPO);
    expect(folder.endsWith('models--Xenova--vit-gpt2-image-captioning')).toBe(true);
    expect(readFileSync(join(folder, 'refs', 'main'), 'utf8')).toBe(plan.commit);
    expect(snapshot).toBe(join(folder, 'snapshots', plan.commit));
    const enc = join(snapshot, 'onnx', 'encoder_model.onnx');
    expect(lstatSync(enc).isSymbolicLink()).toBe(true);
    expect(readlinkSync(enc)).toMatch(/^\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
    expect(readdirSync(join(folder, 'blobs')).some((f) => f.endsWith('.incomplete'))).toBe(false);
    const bundle = await loadBundle(snapshot, { intraOpThreads: 1 });
    expect(bundle.dtype).toBe('fp32');
    await bundle.dispose();
    // pulling again downloads nothing
    expect((await planPull(env, REPO, 'main', 'fp32')).toDownload).toBe(0);
  });

  it('a Florence-2 pull brings exactly the four sessions of the variant asked for, and the JSON', async () => {
    hub = await startHub({ 'onnx-community/Florence-2-base-ft': { dir: join(FIXTURES, 'florence-repo') } });
    const plan = await planPull(envFor(hub.url), 'onnx-community/Florence-2-base-ft', 'main', 'q8');
    expect(plan.files.map((f) => f.path).sort()).toEqual([
      'added_tokens.json',
      'config.json',
      'generation_config.json',
      'onnx/decoder_model_merged_quantized.onnx',
      'onnx/embed_tokens_quantized.onnx',
      'onnx/encoder_model_quantized.onnx',
      'onnx/vision_encoder_quantized.onnx',
      'preprocessor_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    // no variant asked for: fp32, which is there
    expect((await planPull(envFor(hub.url), 'onnx-community/Florence-2-base-ft', 'main')).dtype).toBe('fp32');
  });

  it('resumes an interrupted download with a Range request and never leaves a half file in place', async () => {
    const path = 'onnx/decoder_model_merged_quantized.onnx';
    hub = await startHub(
      { [REPO]: { dir: join(FIXTURES, 'quantized-only') } },
      { interrupt: { path, afterBytes: 100_000 } },
    );
    const env = envFor(hub.url);
    const plan = await planPull(env, REPO, 'main');
    expect(plan.dtype).toBe('q8'); // fp32 is not there: the smallest variant present
    await expect(pull(env, plan, () => {})).rejects.toThrow(/could not be reached|answered badly/);
    const snapshotFile = join(repoFolder(env, REPO), 'snapshots', plan.commit, path);
    expect(existsSync(snapshotFile)).toBe(false);
    const again = await planPull(env, REPO, 'main');
    expect(again.toDownload).toBe(
      plan.toDownload -
        100_000 -
        again.files
          .filter((f) => existsSync(join(repoFolder(env, REPO), 'blobs', f.etag)))
          .reduce((n, f) => n + f.size, 0),
    );
    await pull(env, again, () => {});
    const ranges = hub.requests.filter((r) => r.path.endsWith(path) && r.range && r.range !== 'bytes=0-0');
    expect(ranges.map((r) => r.range)).toContainEqual(expect.stringMatching(/^bytes=100000-/));
    expect(existsSync(snapshotFile)).toBe(true);
    const bundle = await loadBundle(join(repoFolder(env, REPO), 'snapshots', plan.commit), {
      intraOpThreads: 1,
    });
    expect(bundle.dtype).toBe('q8');
    await bundle.dispose();
  });

  it('a corrupted byte fails the sha256 check, names the file, and leaves nothing behind', async () => {
    const path = 'onnx/encoder_model_quantized.onnx';
    hub = await startHub({ [REPO]: { dir: join(FIXTURES, 'quantized-only') } }, { corrupt: path });
    const env = envFor(hub.url);
    const plan = await planPull(env, REPO, 'main');
    await expect(pull(env, plan, () => {})).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/onnx\/encoder_model_quantized\.onnx failed its sha256 check/),
    });
    const blobs = readdirSync(join(repoFolder(env, REPO), 'blobs'));
    expect(blobs.some((b) => b.endsWith('.incomplete'))).toBe(false);
    expect(blobs).not.toContain(plan.files.find((f) => f.path === path)!.etag);
  });

  it('resolves a cached model offline, and refuses to download when offline', async () => {
    hub = await startHub({ [REPO]: { dir: join(FIXTURES, 'quantized-only') } });
    const env = envFor(hub.url);
    const plan = await planPull(env, REPO, 'main');
    await pull(env, plan, () => {});
    await hub.close();
    hub = null;
    const offline = { ...env, endpoint: 'http://127.0.0.1:9', offline: true };
    expect(await cachedSnapshot(offline, REPO, 'main')).toBe(
      join(repoFolder(env, REPO), 'snapshots', plan.commit),
    );
    expect(await cachedSnapshot(offline, REPO, plan.commit)).not.toBeNull();
    expect(await cachedSnapshot(offline, 'nobody/nothing', 'main')).toBeNull();
    await expect(planPull(offline, REPO, 'main')).rejects.toThrow(/HF_HUB_OFFLINE/);
  });

  it('a gated repository without a token is a clear error; with the token it downloads', async () => {
    hub = await startHub({ 'org/gated': { dir: join(FIXTURES, 'quantized-only'), gatedToken: 'hf_secret' } });
    await expect(planPull(envFor(hub.url), 'org/gated', 'main')).rejects.toMatchObject({
      status: 403,
      message: expect.stringMatching(/org\/gated is gated or private: set HF_TOKEN/),
    });
    await expect(planPull(envFor(hub.url, { token: 'hf_wrong' }), 'org/gated', 'main')).rejects.toThrow(
      /your HF_TOKEN has no access/,
    );
    const env = envFor(hub.url, { token: 'hf_secret' });
    await pull(env, await planPull(env, 'org/gated', 'main'), () => {});
    expect(await cachedSnapshot(env, 'org/gated', 'main')).not.toBeNull();
    await expect(planPull(envFor(hub.url), 'org/missing', 'main')).rejects.toMatchObject({ status: 404 });
    await expect(planPull(env, 'org/gated', 'main', 'fp16')).rejects.toMatchObject({
      status: 400,
      field: 'dtype',
    });
  });
});

describe('repository ids and revisions', () => {
  it("follow the Hub's rules before anything touches the cache: traversal, '--', '.git' refused", async () => {
    // nothing listens on port 9: any request would fail with a different (network) error
    const env = envFor('http://127.0.0.1:9');
    const outside = tempDir('cs-hf-outside-');
    const bad: [string, RegExp][] = [
      ['../..', /'\.\.\/\.\.' is not a Hugging Face repository id: each part is letters/],
      ['org/name@../../../../tmp/x', /'\.\.\/\.\.\/\.\.\/\.\.\/tmp\/x' is not a valid revision/],
      [`org/name@..${outside}`, /is not a valid revision/],
      ['org/a--b', /cannot contain '--' or '\.\.'/],
      ['org/a..b', /cannot contain '--' or '\.\.'/],
      ['org/.hidden', /not starting or ending with/],
      ['org/name.git', /cannot end in '\.git'/],
      ['org/sub/name', /it must be ORG\/NAME/],
      ['name-only', /it must be ORG\/NAME/],
      [`org/${'n'.repeat(97)}`, /over 96 characters/],
      ['org/name@main/../../x', /is not a valid revision/],
      ['org/name@.hidden', /is not a valid revision/],
      ['org/name@v1.lock', /is not a valid revision/],
      ['org/name@a b', /is not a valid revision/],
      ['org/name@', /is not a valid revision/],
    ];
    for (const [ref, message] of bad) {
      expect(() => parseRepoRef(ref), ref).toThrow(message);
      expect(() => parseRepoRef(ref), ref).toThrow(expect.objectContaining({ status: 400 }));
    }
    await expect(planPull(env, '../..', 'main')).rejects.toMatchObject({ status: 400 });
    await expect(planPull(env, 'org/name', '../../../../tmp/x')).rejects.toMatchObject({ status: 400 });
    await expect(cachedSnapshot(env, 'org/name', '../../../../tmp/x')).rejects.toMatchObject({ status: 400 });
    // the cache folder is as it was: empty
    expect(readdirSync(env.cacheDir)).toEqual([]);
    for (const ok of ['Xenova/vit-gpt2-image-captioning', 'a/b@refs/pr/12', 'org/my_model.v2@v1.0']) {
      expect(() => parseRepoRef(ok), ok).not.toThrow();
    }
    expect(parseRepoRef(`org/x@${'a'.repeat(40)}`)).toEqual({ repo: 'org/x', revision: 'a'.repeat(40) });
    // what a cache folder listing uses: models--a--b--c is no repository's folder
    expect([isRepoId('Xenova/vit-gpt2-image-captioning'), isRepoId('a/b--c'), isRepoId('../..')]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('a file the Hub lists with a path or hash that would leave the cache is refused before anything is written', async () => {
    const env = envFor('http://127.0.0.1:9');
    mkdirSync(env.cacheDir, { recursive: true });
    const plan = {
      repo: 'org/name',
      revision: 'main',
      commit: 'c'.repeat(40),
      dtype: 'fp32' as const,
      toDownload: 1,
    };
    const file = { path: 'config.json', size: 1, etag: 'e'.repeat(40), lfs: false };
    for (const f of [
      { ...file, path: '../../../../tmp/evil.json' },
      { ...file, path: 'onnx/../../x.json' },
      { ...file, path: '/etc/passwd' },
      { ...file, etag: '../../../evil' },
      { ...file, lfs: true }, // an LFS file's hash is a sha256
    ])
      await expect(pull(env, { ...plan, files: [f] }, () => {})).rejects.toMatchObject({
        status: 422,
        message: expect.stringMatching(/^org\/name: the Hub listed a file that cannot be stored safely/),
      });
    expect(readdirSync(env.cacheDir)).toEqual([]);
  });
});
