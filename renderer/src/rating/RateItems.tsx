/**
 * A rater's way through a session's items, by keyboard or mouse: every key goes into the rating
 * queue (queue.ts), which shows its effect at once and commits it in order, never losing one.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { captionKey } from '../../../electron/core/api/captions.ts';
import { call } from '../api.ts';
import { useKeys } from '../keys.ts';
import { EditCaption, Help, ItemBody, ItemHeader } from './ItemView.tsx';
import { ratingAction } from './keys.ts';
import { PairBody } from './PairView.tsx';
import { type QueueView, RatingQueue } from './queue.ts';

export function RateItems({
  sessionId,
  rater,
  onError,
}: {
  sessionId: number;
  rater: string;
  onError: (e: unknown) => void;
}) {
  const [help, setHelp] = useState(false);
  const [editing, setEditing] = useState<{ candidateId: number; text: string } | null>(null);
  const [view, setView] = useState<QueueView>({ item: null, focus: 0, pending: 0, error: null });
  // one queue per session and rater for the life of the view: a new one would number its actions
  // again from the server's count while the old one's are still on their way
  const errors = useRef(onError);
  errors.current = onError;
  const queue = useMemo(
    () =>
      new RatingQueue(
        sessionId,
        rater,
        (channel, req) => call(channel, req as never),
        (candidateId, text) => setEditing({ candidateId, text }),
        (e) => errors.current(e),
        savedQueue(`cs-rating-queue:${sessionId}:${rater}`),
      ),
    [sessionId, rater],
  );
  useEffect(() => queue.subscribe(setView), [queue]);

  useKeys((e) => {
    if (editing !== null || e.ctrlKey || e.metaKey || e.altKey) return;
    const hit = ratingAction(e.key, view.item?.kind);
    if (!hit) return;
    if (hit.prevent) e.preventDefault();
    if (hit.action.type === 'help') setHelp((h) => !h);
    else queue.push(hit.action);
  });

  const { item, focus } = view;
  if (!item) return <p>Loading…</p>;
  return (
    <section
      className="rating"
      data-testid="rating"
      data-position={item.position}
      data-pending={view.pending}
    >
      <ItemHeader item={item} rater={rater} />
      {view.error && (
        <p className="error" role="alert" data-testid="rating-retry">
          {view.error}
        </p>
      )}
      {item.rated === item.total && view.pending === 0 && (
        <p className="complete" role="status" data-testid="session-complete">
          Session complete: {rater} has {item.kind === 'pairwise' ? 'judged' : 'rated'} all {item.total}{' '}
          {item.kind === 'pairwise' ? 'pairs' : 'images'}. Thank you! You can still go back and change any (
          {item.kind === 'pairwise' ? 'Backspace' : '←'}, u to undo).
        </p>
      )}
      {item.kind === 'pairwise' ? (
        <PairBody item={item} onAction={(a) => queue.push(a)} />
      ) : (
        <ItemBody
          item={item}
          focus={focus}
          onPoint={(index) => queue.push({ type: 'point', index })}
          onScore={(index, value) => {
            queue.push({ type: 'point', index });
            queue.push({ type: 'score', value });
          }}
        />
      )}
      {editing !== null && (
        <EditCaption
          item={item}
          candidateId={editing.candidateId}
          rater={rater}
          text={editing.text}
          onChange={(text) => setEditing({ ...editing, text })}
          onCancel={() => setEditing(null)}
          onSaved={(next, key) => {
            // the edit is a caption of this image now: show it, highlighted, to rate
            setEditing(null);
            queue.accept(next, (it) => it.candidates.findIndex((c) => captionKey(c.text) === key));
          }}
          onError={onError}
        />
      )}
      {help && <Help guidelines={item.guidelines} kind={item.kind} />}
    </section>
  );
}

/** The rating queue's uncommitted actions in this browser's storage, kept across reloads. */
function savedQueue(key: string) {
  return {
    get: () => localStorage.getItem(key),
    set: (v: string | null) => (v === null ? localStorage.removeItem(key) : localStorage.setItem(key, v)),
  };
}
