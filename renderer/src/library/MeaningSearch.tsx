/**
 * Search by meaning, beside the caption-text search: a query ("dog on a beach") ranks the library's
 * images by the CLIP similarity of their stored embeddings (`search.images`; the library must have
 * been scored with that scorer). Shown only when a CLIP scorer is installed.
 */
import { useEffect, useState } from 'react';
import type { Responses } from '../../../electron/core/api/contract.ts';
import type { ModelEntry } from '../../../electron/core/api/types.ts';
import { call, mediaUrl } from '../api.ts';
import { go } from '../route.ts';

const LIMIT = 60;

/** The installed CLIP scorers, and the one chosen (the first, until another is picked). */
export function useScorers(onError: (e: unknown) => void) {
  const [scorers, setScorers] = useState<ModelEntry[]>([]);
  const [scorer, setScorer] = useState('');
  useEffect(() => {
    call('models.list', {}).then((r) => {
      const found = r.installed.filter((m) => m.role === 'scorer');
      setScorers(found);
      setScorer((s) => s || (found[0]?.ref ?? ''));
    }, onError);
  }, [onError]);
  return { scorers, scorer, setScorer };
}

/** A ranked strip of search results: each image's thumbnail, cosine and caption; a click opens it. */
export function MeaningResults({ result }: { result: Responses['search.images'] }) {
  return (
    <ol className="meaning-results" data-testid="meaning-results">
      {result.items.length === 0 && <li>No scored image matches here.</li>}
      {result.items.map((h) => (
        <li key={h.fileId}>
          <button type="button" title={h.rel} onClick={() => go('image', h.fileId)}>
            <img alt={h.rel} loading="lazy" src={mediaUrl('thumb', h.fileId, { hash: h.hash })} />
            <small title="cosine with the query">{h.score.toFixed(3)}</small>
            <span>{h.caption ?? h.rel}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}

export function MeaningSearch({ rootId, onError }: { rootId?: number; onError: (e: unknown) => void }) {
  const { scorers, scorer, setScorer } = useScorers(onError);
  const [query, setQuery] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Responses['search.images'] | null>(null);
  if (scorers.length === 0) return null;

  const search = async () => {
    setBusy(true);
    try {
      setResult(await call('search.images', { query, scorer, rootId, limit: LIMIT }));
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="meaning-search">
      <div className="toolbar">
        <input
          aria-label="Search by meaning"
          placeholder="search by meaning: dog on a beach"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && query.trim() && !busy && search()}
        />
        {scorers.length > 1 && (
          <select aria-label="Scorer" value={scorer} onChange={(e) => setScorer(e.target.value)}>
            {scorers.map((m) => (
              <option key={m.ref} value={m.ref}>
                {m.name}
              </option>
            ))}
          </select>
        )}
        <button type="button" disabled={!query.trim() || busy} onClick={search}>
          {busy ? 'Searching…' : 'Search'}
        </button>
        {result && (
          <button type="button" onClick={() => setResult(null)}>
            Clear
          </button>
        )}
      </div>
      {result && <MeaningResults result={result} />}
    </div>
  );
}
