/**
 * The owner's Review (the adjudication view), Rename and Delete beside a session. Delete first asks, saying what is lost (the
 * judgments and their raters, the rater links), and deletes for good only when confirmed: as Label
 * Studio deletes a project.
 */
import { useState } from 'react';
import type { Responses } from '../../../electron/core/api/contract.ts';
import type { SessionDeletion } from '../../../electron/core/api/sessions.ts';
import { call } from '../api.ts';
import { go } from '../route.ts';

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What deleting loses, in words. */
export function lossText(d: SessionDeletion): string {
  const lost = d.judgments
    ? `${count(d.judgments, 'judgment')} by ${count(d.raters, 'rater')} will be deleted: they will no longer be exported or evaluated.`
    : 'Nobody has judged anything in it yet.';
  const links = [
    d.linksRevoked
      ? `${count(d.linksRevoked, 'rater link')} reaching only this session will be revoked.`
      : '',
    d.linksNarrowed ? `${count(d.linksNarrowed, 'other rater link')} will no longer reach it.` : '',
  ];
  return [`Delete "${d.name}"?`, lost, ...links, 'This cannot be undone.'].filter(Boolean).join(' ');
}

export function SessionActions(props: {
  session: Responses['sessions.list'][number];
  onChanged: () => void;
  onError: (e: unknown) => void;
}) {
  const { session, onChanged, onError } = props;
  const [renaming, setRenaming] = useState<string | null>(null);
  const [asking, setAsking] = useState<SessionDeletion | null>(null);
  if (renaming !== null)
    return (
      <form
        className="rename"
        onSubmit={(e) => {
          e.preventDefault();
          call('sessions.rename', { sessionId: session.id, name: renaming })
            .then(() => {
              setRenaming(null);
              onChanged();
            })
            .catch(onError);
        }}
      >
        <input aria-label="New session name" value={renaming} onChange={(e) => setRenaming(e.target.value)} />
        <button type="submit" disabled={!renaming.trim()}>
          Save name
        </button>
        <button type="button" onClick={() => setRenaming(null)}>
          Cancel
        </button>
      </form>
    );
  if (asking)
    return (
      <div role="alertdialog" aria-label="Delete session" className="confirm">
        <p>{lossText(asking)}</p>
        <button
          type="button"
          className="danger"
          onClick={() =>
            call('sessions.delete', { sessionId: session.id })
              .then(() => {
                setAsking(null);
                onChanged();
              })
              .catch(onError)
          }
        >
          Delete for good
        </button>
        <button type="button" onClick={() => setAsking(null)}>
          Keep it
        </button>
      </div>
    );
  return (
    <>
      <button type="button" onClick={() => go('review', session.id, 0)}>
        Review
      </button>
      <button type="button" onClick={() => setRenaming(session.name)}>
        Rename
      </button>
      <button
        type="button"
        onClick={() =>
          call('sessions.delete', { sessionId: session.id, dryRun: true }).then(setAsking, onError)
        }
      >
        Delete
      </button>
    </>
  );
}
