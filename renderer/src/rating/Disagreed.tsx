/** Evaluation's most disagreed captions: each with its image's thumbnail; a click opens the item to adjudicate (or the image). */
import type { EvalSummary } from '../../../electron/core/api/types.ts';
import { mediaUrl } from '../api.ts';
import { go } from '../route.ts';

export function MostDisagreed({ items }: { items: EvalSummary['disagreed'] }) {
  if (!items.length) return null;
  return (
    <>
      <h3>Most disagreed</h3>
      <ul className="disagreed" data-testid="disagreed">
        {items.map((d) => (
          <li key={d.candidateId}>
            <button
              type="button"
              className="disagreed-item"
              data-testid="disagreed-item"
              disabled={!d.item && d.fileId === null}
              title={d.item ? 'Open the item: every rater’s judgments, and the final one' : 'Open the image'}
              onClick={() =>
                d.item ? go('review', d.item.sessionId, d.item.position) : go('image', d.fileId!)
              }
            >
              {d.fileId === null ? (
                <span className="thumb-missing">no file</span>
              ) : (
                <img alt="" src={mediaUrl('thumb', d.fileId, { size: 96 })} />
              )}
              <span className="values">[{d.values.join(', ')}]</span> <span className="text">{d.text}</span>
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
