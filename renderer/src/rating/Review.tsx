/**
 * The owner's adjudication view of one session item: the image, every caption with its sources,
 * each rater's judgments side by side, and the final judgment the owner records.
 */
import { useEffect, useState } from 'react';
import type { ReviewItem } from '../../../electron/core/api/sessions.ts';
import { call, mediaUrl } from '../api.ts';
import { go } from '../route.ts';
import { FinalJudgmentForm, VERDICTS } from './FinalJudgment.tsx';

export function Review(props: { sessionId: number; position: number; onError: (e: unknown) => void }) {
  const { sessionId, position, onError } = props;
  const [item, setItem] = useState<ReviewItem | null>(null);
  useEffect(() => {
    call('sessions.review', { sessionId, position }).then(setItem, onError);
  }, [sessionId, position, onError]);
  if (!item) return <p>Loading…</p>;
  const pairwise = item.kind === 'pairwise';
  const letter = (i: number) => String.fromCharCode(65 + i);
  return (
    <section className="review" data-testid="review" data-session={sessionId} data-position={position}>
      <h2>
        {item.name}: item {position + 1} of {item.total}
      </h2>
      <nav>
        <button type="button" disabled={position === 0} onClick={() => go('review', sessionId, position - 1)}>
          ← Previous item
        </button>
        <button
          type="button"
          disabled={position + 1 >= item.total}
          onClick={() => go('review', sessionId, position + 1)}
        >
          Next item →
        </button>
        <button type="button" onClick={() => go('image', item.file.fileId)}>
          Open the image
        </button>
      </nav>
      <img className="review-image" alt={item.file.rel} src={mediaUrl('media', item.file.fileId)} />
      <table data-testid="review-table">
        <thead>
          <tr>
            <th>Caption</th>
            {!pairwise && item.raters.map((r) => <th key={r.rater}>{r.rater}</th>)}
          </tr>
        </thead>
        <tbody>
          {item.candidates.map((c, i) => (
            <tr key={c.id} data-testid="review-candidate" data-candidate={c.id}>
              <td>
                <strong>{letter(i)}</strong> <span className="text">{c.text}</span>
                <br />
                <small>{c.sources.join(' · ')}</small>
              </td>
              {!pairwise &&
                item.raters.map((r) => (
                  <td key={r.rater} data-testid="review-cell">
                    {r.scores[c.id] ?? '–'}
                    {r.best === c.id ? ' ★ best' : ''}
                  </td>
                ))}
            </tr>
          ))}
        </tbody>
      </table>
      {pairwise && (
        <ul data-testid="review-verdicts">
          {item.raters.map((r) => (
            <li key={r.rater}>
              {r.rater}: {r.choice ? VERDICTS[r.choice] : '–'}
            </li>
          ))}
        </ul>
      )}
      {!item.raters.length && <p>No rater has judged this item yet.</p>}
      <FinalJudgmentForm item={item} onSaved={setItem} onError={onError} />
    </section>
  );
}
