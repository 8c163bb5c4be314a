/**
 * The owner's care of sessions in a real browser: rename; the rater links listed and revoked in the
 * Rating view; delete, which first says what is lost, and whose links stop reaching the session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPersonCaptions,
  captionedFolder,
  type Studio,
  screenshot,
  sharedBrowser,
  startStudio,
} from './harness.ts';

const web = sharedBrowser();

describe('sessions: rename, rater links, delete', () => {
  let studio: Studio;
  let first: number;
  let second: number;
  let beaToken: string;
  beforeAll(async () => {
    studio = await startStudio();
    const { rootId } = await captionedFolder(studio, 'cs-e2e-sessions-', 3);
    await addPersonCaptions(studio, rootId);
    first = (await studio.call<{ id: number }>('sessions.create', { name: 'first', rootId })).id;
    second = (await studio.call<{ id: number }>('sessions.create', { name: 'second', rootId })).id;
    const item = await studio.call<{ candidates: { id: number }[] }>('sessions.item', {
      sessionId: first,
      rater: 'bea',
    });
    for (const [i, c] of item.candidates.entries())
      await studio.call('ratings.set', { sessionId: first, rater: 'bea', candidateId: c.id, value: i + 2 });
    beaToken = (await studio.call<{ token: string }>('raters.invite', { rater: 'bea', sessions: [first] }))
      .token;
  });
  afterAll(() => studio?.stop());

  /** A call with a rater link's token: its HTTP status. */
  const asRater = async (token: string, channel: string, req: object) =>
    (
      await fetch(`${studio.base}/api/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(req),
      })
    ).status;

  it('renames a session, lists and revokes rater links, and deletes only after saying what is lost', async () => {
    const page = await web.open(studio, '#/rate');
    const row = (id: number) => page.locator(`[data-testid=session][data-session="${id}"]`);
    await row(first).waitFor();

    await row(first).getByRole('button', { name: 'Rename' }).click();
    await row(first).getByLabel('New session name').fill('beams, round 1');
    await row(first).getByRole('button', { name: 'Save name' }).click();
    await expect.poll(() => row(first).textContent()).toMatch(/^beams, round 1 \(3 images, blind\)/);
    const names = await studio.call<{ id: number; name: string }[]>('sessions.list', {});
    expect(names.find((s) => s.id === first)?.name).toBe('beams, round 1');

    // the links: bea's (made by the API) is listed; one made here for cy joins the list at once
    const links = page.getByTestId('rater-link');
    await expect.poll(() => links.count()).toBe(1);
    await row(second).getByRole('button', { name: 'Invite rater' }).click();
    await row(second).getByLabel("Invited rater's name").fill('cy');
    await row(second).getByRole('button', { name: 'Make link' }).click();
    const cyToken = new URL((await row(second).getByLabel('Rater link').textContent())!).searchParams.get(
      'token',
    )!;
    await expect.poll(() => links.count()).toBe(2);
    const cyRow = links.filter({ hasText: 'cy' });
    await expect(cyRow.locator('td').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['cy', 'second', 'live']),
    );
    expect(await asRater(cyToken, 'sessions.list', {})).toBe(200);
    await cyRow.getByRole('button', { name: /^Revoke cy's link/ }).click();
    await expect.poll(() => cyRow.getAttribute('data-state')).toBe('revoked');
    await expect(cyRow.getByRole('button').count()).resolves.toBe(0);
    expect(await asRater(cyToken, 'sessions.list', {})).toBe(401);
    await screenshot(page, 'rater-links');

    // delete asks first, saying what is lost; "Keep it" keeps it
    await row(first).getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete session' });
    await expect(dialog.textContent()).resolves.toBe(
      'Delete "beams, round 1"? 2 judgments by 1 rater will be deleted: they will no longer be exported or ' +
        'evaluated. 1 rater link reaching only this session will be revoked. This cannot be undone.' +
        'Delete for goodKeep it',
    );
    await screenshot(page, 'session-delete-confirm');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await expect(dialog.count()).resolves.toBe(0);
    expect(await asRater(beaToken, 'sessions.item', { sessionId: first })).toBe(200);

    await row(first).getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete for good' }).click();
    await expect.poll(() => row(first).count()).toBe(0);
    await expect(row(second).count()).resolves.toBe(1);
    // bea's link reached only the deleted session: revoked, shown so, and refused
    const beaRow = links.filter({ hasText: 'bea' });
    await expect.poll(() => beaRow.getAttribute('data-state')).toBe('revoked');
    expect(await asRater(beaToken, 'sessions.item', { sessionId: first })).toBe(401);
    const gone = await fetch(`${studio.base}/api/sessions.item`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${studio.token}` },
      body: JSON.stringify({ sessionId: first, rater: 'bea' }),
    });
    expect(gone.status).toBe(404);
    await page.close();
  });
});
