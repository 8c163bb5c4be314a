/** A rater's way through a session's items: fully keyboard-driven, every key that rates committed at once. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { captionKey } from '../../../electron/core/api/captions.ts';
import type { SessionItem } from '../../../electron/core/api/types.ts';
import { call } from '../api.ts';
import { useKeys } from '../keys.ts';
import { EditCaption, Help, ItemBody, ItemHeader } from './ItemView.tsx';
import { ratingAction } from './keys.ts';

export function RateItems({
  sessionId,
  rater,
  onError,
}: {
  sessionId: number;
  rater: string;
  onError: (e: unknown) => void;
}) {
  const [item, setItem] = useState<SessionItem | null>(null);
  const [focus, setFocus] = useState(0);
  const [help, setHelp] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const busy = useRef(false);

  const show = useCallback((next: SessionItem, keepFocus = false) => {
    setItem(next);
    if (!keepFocus) {
      const open = next.candidates.findIndex((c) => c.value === null);
      setFocus(open === -1 ? 0 : open);
    }
  }, []);
  const run = useCallback(
    async (p: Promise<SessionItem>, keepFocus = false) => {
      busy.current = true;
      try {
        show(await p, keepFocus);
      } catch (e) {
        onError(e);
      } finally {
        busy.current = false;
      }
    },
    [show, onError],
  );
  useEffect(() => {
    run(call('sessions.item', { sessionId, rater }));
  }, [sessionId, rater, run]);

  useKeys((e) => {
    if (!item || editing !== null || busy.current || e.ctrlKey || e.metaKey || e.altKey) return;
    const cand = item.candidates[focus];
    const hit = ratingAction(e.key);
    if (!hit) return;
    const { action } = hit;
    // keys about the highlighted caption do nothing (and keep their own effect) without one
    if (!cand && (action.type === 'score' || action.type === 'best' || action.type === 'edit')) return;
    if (hit.prevent) e.preventDefault();
    switch (action.type) {
      case 'score':
        busy.current = true;
        call('ratings.set', { sessionId, rater, candidateId: cand.id, value: action.value })
          .then((next) => {
            setItem(next);
            // on to the next caption still unrated in this image
            const open = next.candidates.findIndex((c, i) => i > focus && c.value === null);
            const any = next.candidates.findIndex((c) => c.value === null);
            setFocus(open !== -1 ? open : any !== -1 ? any : focus);
          }, onError)
          .finally(() => {
            busy.current = false;
          });
        break;
      case 'focus':
        setFocus((f) => Math.min(Math.max(f + action.step, 0), item.candidates.length - 1));
        break;
      case 'move': {
        const pos = item.position + action.step;
        if (pos >= 0 && pos < item.total) run(call('sessions.item', { sessionId, rater, position: pos }));
        break;
      }
      case 'best':
        run(call('ratings.set', { sessionId, rater, candidateId: cand.id, best: !cand.best }), true);
        break;
      case 'undo':
        run(call('ratings.undo', { sessionId, rater }));
        break;
      case 'edit':
        setEditing(cand.text);
        break;
      case 'help':
        setHelp((h) => !h);
        break;
    }
  });

  if (!item) return <p>Loading…</p>;
  const cand = item.candidates[focus];
  return (
    <section className="rating" data-testid="rating" data-position={item.position}>
      <ItemHeader item={item} rater={rater} />
      <ItemBody item={item} focus={focus} />
      {editing !== null && cand && (
        <EditCaption
          item={item}
          candidateId={cand.id}
          rater={rater}
          text={editing}
          onChange={setEditing}
          onCancel={() => setEditing(null)}
          onSaved={(next, key) => {
            // the edit is a caption of this image now: show it, highlighted, to rate
            setEditing(null);
            setItem(next);
            const at = next.candidates.findIndex((c) => captionKey(c.text) === key);
            if (at !== -1) setFocus(at);
          }}
          onError={onError}
        />
      )}
      {help && <Help guidelines={item.guidelines} />}
    </section>
  );
}
