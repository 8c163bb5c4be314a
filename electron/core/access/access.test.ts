/**
 * Who a token makes the caller, what each caller may see, and the one media router both the
 * served mode and the desktop app use: a real studio, real files, a real rater link.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import { OWNER } from '../api/contract.ts';
import { MediaError, routeMedia } from '../library/media.ts';
import type { Studio } from '../studio.ts';
import { callerOf } from './links.ts';
import { mayReadFile } from './scope.ts';

const OWNER_TOKEN = 'a'.repeat(48);
let studio: Studio;
let inSession: number;
let outside: number;
let raterToken: string;

beforeAll(async () => {
  studio = openTestStudio();
  const rated = await addLibrary(studio, 2);
  const other = await addLibrary(studio, 1);
  await captionRoot(studio, rated.id);
  const session = await call(studio, 'sessions.create', { name: 's', rootId: rated.id });
  raterToken = (await call(studio, 'raters.invite', { rater: 'ada', sessions: [session.id] })).token;
  inSession = (await call(studio, 'library.images', { rootId: rated.id })).items[0].fileId;
  outside = (await call(studio, 'library.images', { rootId: other.id })).items[0].fileId;
});
afterAll(() => studio?.close());

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof MediaError ? e.status : e),
  );

describe('access', () => {
  it("knows the owner by the owner's token only, and a rater by a live link", async () => {
    expect(callerOf(studio.db, OWNER_TOKEN, OWNER_TOKEN)).toEqual(OWNER);
    expect(callerOf(studio.db, OWNER_TOKEN, `${'a'.repeat(47)}b`)).toBeUndefined();
    expect(callerOf(studio.db, OWNER_TOKEN, '')).toBeUndefined();
    const rater = callerOf(studio.db, OWNER_TOKEN, raterToken);
    expect(rater).toMatchObject({ role: 'rater', rater: 'ada' });
    const [link] = await call(studio, 'raters.list', {});
    await call(studio, 'raters.revoke', { id: link.id });
    expect(callerOf(studio.db, OWNER_TOKEN, raterToken)).toBeUndefined();
    // the revoked link's caller, as it was, still sees only its sessions' images
    expect(mayReadFile(studio.db, rater!, inSession)).toBe(true);
    expect(mayReadFile(studio.db, rater!, outside)).toBe(false);
    expect(mayReadFile(studio.db, OWNER, outside)).toBe(true);
  });

  it('routes media requests: the path, the caller, the file; each refusal a 4xx', async () => {
    const rater = { role: 'rater' as const, linkId: 1, rater: 'ada', sessions: [1] };
    const route = (caller: typeof rater | typeof OWNER, path: string, size: string | null = null) =>
      routeMedia(studio.db, studio.thumbsDir, caller, path, size);
    const original = await route(OWNER, `/media/${outside}`);
    expect(original.type).toBe('image/png');
    const thumb = await route(rater, `/thumb/${inSession}`, '100');
    expect(thumb.type).toBe('image/webp');
    expect(await refusal(route(rater, `/media/${outside}`))).toBe(403);
    expect(await refusal(route(OWNER, '/media/0'))).toBe(400);
    expect(await refusal(route(OWNER, '/media/12abc'))).toBe(400);
    expect(await refusal(route(OWNER, `/thumb/${inSession}`, '99999'))).toBe(400);
    expect(await refusal(route(OWNER, `/original/${inSession}`))).toBe(404);
    expect(await refusal(route(OWNER, `/media/${inSession}/x`))).toBe(404);
    expect(await refusal(route(OWNER, '/media/999999'))).toBe(404);
  });
});
