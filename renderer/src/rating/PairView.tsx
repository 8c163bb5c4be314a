/**
 * A pairwise item as a rater sees it: the image, its two captions side by side (A left, B right),
 * the rater's verdict marked, and buttons for every verdict (the same actions as the arrow keys).
 */
import type { PairwiseChoice } from '../../../electron/core/api/options.ts';
import type { SessionItem } from '../../../electron/core/api/types.ts';
import { mediaUrl } from '../api.ts';
import type { RatingAction } from './keys.ts';

const VERDICTS: { choice: PairwiseChoice; label: string; key: string }[] = [
  { choice: 'a', label: 'A is better', key: '←' },
  { choice: 'tie', label: 'Tie', key: '↓' },
  { choice: 'bad', label: 'Both bad', key: '↑' },
  { choice: 'b', label: 'B is better', key: '→' },
];

const sideBox = (chosen: boolean) => ({
  flex: 1,
  padding: '0.8rem',
  border: `2px solid ${chosen ? '#16a34a' : '#ccc'}`,
  borderRadius: 6,
  background: chosen ? '#effaf0' : undefined,
});

export function PairBody({ item, onAction }: { item: SessionItem; onAction: (a: RatingAction) => void }) {
  const [a, b] = item.candidates;
  return (
    <div className="rate-body" data-testid="pair" data-choice={item.choice ?? ''}>
      <img
        className="rate-image"
        alt={'rel' in item.file ? item.file.rel : `image ${item.position + 1}`}
        src={mediaUrl('media', item.file.fileId)}
      />
      <div style={{ flex: 1, display: 'flex', flexDirection: 'column', gap: '0.8rem' }}>
        <div style={{ display: 'flex', gap: '0.8rem' }}>
          {[a, b].map((c, i) => (
            <section
              key={c.id}
              data-testid="pair-side"
              data-candidate={c.id}
              style={sideBox(item.choice === (i ? 'b' : 'a'))}
            >
              <div className="label">
                {i ? 'B' : 'A'}
                {c.label !== `Caption ${i ? 'B' : 'A'}` && ` · ${c.label}`}
              </div>
              <p style={{ fontSize: '1.1rem' }}>{c.text}</p>
            </section>
          ))}
        </div>
        <div style={{ display: 'flex', gap: '0.5rem', flexWrap: 'wrap' }}>
          {VERDICTS.map((v) => (
            <button
              key={v.choice}
              type="button"
              data-testid={`verdict-${v.choice}`}
              aria-pressed={item.choice === v.choice}
              style={{ fontWeight: item.choice === v.choice ? 'bold' : undefined }}
              onClick={() => onAction({ type: 'verdict', choice: v.choice })}
            >
              {v.label} <kbd>{v.key}</kbd>
            </button>
          ))}
          <button type="button" data-testid="pair-skip" onClick={() => onAction({ type: 'move', step: 1 })}>
            Skip <kbd>space</kbd>
          </button>
          <button type="button" data-testid="pair-undo" onClick={() => onAction({ type: 'undo' })}>
            Undo <kbd>u</kbd>
          </button>
        </div>
      </div>
    </div>
  );
}
