/**
 * Word statistics (the tag-frequency view): the most frequent words and two-word phrases of the
 * captions the filters show, with how many captions hold each. Click one to show only the images
 * whose captions hold it (the caption search), where Select all and a bulk replace or strip take it
 * on; the panel stays open meanwhile, its counts those of when it counted.
 */
import { useState } from 'react';
import type { WordStats } from '../../../electron/core/api/edit.ts';
import { call } from '../api.ts';
import type { Target } from './BulkEdit.tsx';

export function Words(props: {
  library: Extract<Target, { library: unknown }>['library'];
  onPick: (word: string) => void;
  onError: (e: unknown) => void;
}) {
  const [stats, setStats] = useState<WordStats | null>(null);
  const [busy, setBusy] = useState(false);
  const count = async () => {
    setBusy(true);
    try {
      setStats(await call('edit.words', { library: props.library, top: 40 }));
    } catch (e) {
      props.onError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="toolbar words" data-testid="words">
      <button type="button" disabled={busy} onClick={count}>
        {busy ? 'Counting…' : stats ? 'Count again' : 'Word statistics'}
      </button>
      {stats && (
        <>
          <span className="counts">over {stats.images} captions:</span>
          {stats.words.map((w) => (
            <button
              type="button"
              key={w.text}
              className="word"
              data-testid="word"
              title={`${w.count} times in ${w.images} captions: show only these`}
              onClick={() => props.onPick(w.text)}
            >
              {w.text} <span className="counts">{w.images}</span>
            </button>
          ))}
          <button type="button" aria-label="Close word statistics" onClick={() => setStats(null)}>
            ✕
          </button>
        </>
      )}
    </div>
  );
}
