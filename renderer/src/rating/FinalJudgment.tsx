/**
 * The owner's final judgment of a session item, in the adjudication view: the best caption and
 * its score (a session of scores) or the verdict on the pair (pairwise); stored, replaced, withdrawn.
 */
import { useEffect, useState } from 'react';
import type { FinalJudgment, ReviewItem } from '../../../electron/core/api/sessions.ts';
import { call } from '../api.ts';

export const VERDICTS = { a: 'A better', b: 'B better', tie: 'tie', bad: 'both bad' } as const;
const letter = (item: ReviewItem, id: number) =>
  String.fromCharCode(65 + item.candidates.findIndex((c) => c.id === id));

function describe(item: ReviewItem, f: FinalJudgment | null): string {
  if (!f) return 'No final judgment yet.';
  if ('choice' in f) return `Final: ${VERDICTS[f.choice]}.`;
  return `Final: ${letter(item, f.best)} is best${f.score === null ? '' : `, score ${f.score}`}.`;
}

export function FinalJudgmentForm(props: {
  item: ReviewItem;
  onSaved: (item: ReviewItem) => void;
  onError: (e: unknown) => void;
}) {
  const { item, onSaved, onError } = props;
  const current = item.final && 'best' in item.final ? item.final : null;
  const [best, setBest] = useState(String(current?.best ?? item.candidates[0]?.id ?? ''));
  const [score, setScore] = useState(current?.score ? String(current.score) : '');
  useEffect(() => {
    setBest(String(current?.best ?? item.candidates[0]?.id ?? ''));
    setScore(current?.score ? String(current.score) : '');
  }, [current?.best, current?.score, item.candidates]);
  const save = (final: FinalJudgment | null) =>
    call('sessions.adjudicate', { sessionId: item.sessionId, position: item.position, final }).then(
      onSaved,
      onError,
    );
  return (
    <section className="final" aria-label="Final judgment">
      <h3>Final judgment</h3>
      <p data-testid="final">{describe(item, item.final)}</p>
      {item.kind === 'pairwise' ? (
        <fieldset aria-label="Final verdict">
          {(Object.keys(VERDICTS) as (keyof typeof VERDICTS)[]).map((v) => (
            <button
              type="button"
              key={v}
              aria-pressed={item.final !== null && 'choice' in item.final && item.final.choice === v}
              onClick={() => save({ choice: v })}
            >
              {VERDICTS[v]}
            </button>
          ))}
        </fieldset>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save({ best: Number(best), score: score ? Number(score) : null });
          }}
        >
          <label>
            Best caption{' '}
            <select aria-label="Final best caption" value={best} onChange={(e) => setBest(e.target.value)}>
              {item.candidates.map((c, i) => (
                <option key={c.id} value={c.id}>
                  {String.fromCharCode(65 + i)}: {c.text}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            Its score{' '}
            <select aria-label="Final score" value={score} onChange={(e) => setScore(e.target.value)}>
              <option value="">none</option>
              {[1, 2, 3, 4, 5].map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>{' '}
          <button type="submit">Record final judgment</button>
        </form>
      )}
      {item.final && (
        <button type="button" onClick={() => save(null)}>
          Withdraw the final judgment
        </button>
      )}
    </section>
  );
}
