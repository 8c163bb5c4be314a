/**
 * "More like this" in the image view: the library's other images ranked by the CLIP similarity of
 * their stored embeddings with this image's (`search.images` with `fileId`), shown as the same
 * ranked strip as search by meaning. Shown only when a CLIP scorer is installed.
 */
import { useState } from 'react';
import type { Responses } from '../../../electron/core/api/contract.ts';
import { call } from '../api.ts';
import { MeaningResults, useScorers } from './MeaningSearch.tsx';

const LIMIT = 30;

export function MoreLikeThis({ fileId, onError }: { fileId: number; onError: (e: unknown) => void }) {
  const { scorers, scorer } = useScorers(onError);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ fileId: number; page: Responses['search.images'] } | null>(null);
  if (scorers.length === 0) return null;
  const find = async () => {
    setBusy(true);
    try {
      setResult({ fileId, page: await call('search.images', { fileId, scorer, limit: LIMIT }) });
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="meaning-search more-like-this">
      <button type="button" disabled={busy} onClick={find} title={`ranked by ${scorer}`}>
        {busy ? 'Searching…' : 'More like this'}
      </button>
      {/* the strip of the image it was asked for (another image's view starts without one) */}
      {result?.fileId === fileId && <MeaningResults result={result.page} />}
    </div>
  );
}
