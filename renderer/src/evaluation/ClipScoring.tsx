/**
 * Reference-free scores in the Evaluation view: run an installed CLIP scorer over every caption it
 * has not scored yet (`scores.run`, in the scorer's worker thread), and the table's CLIPScore cells.
 */
import { useEffect, useState } from 'react';
import type { Dtype } from '../../../electron/core/api/contract.ts';
import type { ClipStats, ModelEntry, ScorerColumn, ScoreSummary } from '../../../electron/core/api/types.ts';
import { call } from '../api.ts';

/** A scorer's column title: its name and variant. */
export const scorerName = (s: ScorerColumn) => (s.dtype ? `${s.name} (${s.dtype})` : s.name);

function done(r: ScoreSummary): string {
  const failed = r.failed.length
    ? `; could not read ${r.failed.length} images: ${r.failed
        .slice(0, 3)
        .map((f) => f.error)
        .join('; ')}`
    : '';
  const mean = r.meanClipScore === null ? '' : `, mean CLIPScore ${r.meanClipScore.toFixed(3)}`;
  return r.candidates
    ? `Scored ${r.candidates} captions of ${r.images} images with ${r.scorer} (${r.dtype})${mean}${failed}`
    : `Nothing left to score with ${r.scorer} (${r.dtype}): every current caption has its score${failed}`;
}

/** Pick an installed scorer (and variant), score, and say what was done; `onScored` reloads the table. */
export function ScoreForm({ onScored, onError }: { onScored: () => void; onError: (e: unknown) => void }) {
  // the installed scorers, once: a scorer pulled meanwhile shows when the view is opened again
  const [scorers, setScorers] = useState<ModelEntry[] | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once on open
  useEffect(() => {
    call('models.list', {}).then((l) => setScorers(l.installed.filter((m) => m.role === 'scorer')), onError);
  }, []);
  const [picked, setPicked] = useState('');
  const [dtype, setDtype] = useState<Dtype | ''>('');
  const [refs, setRefs] = useState(false);
  const [running, setRunning] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  if (!scorers) return null;
  if (!scorers.length)
    return (
      <p className="toolbar" data-testid="no-scorer">
        No CLIP scorer installed: pull one in Models (e.g. <code>Xenova/clip-vit-base-patch32</code>) to score
        captions without reference captions.
      </p>
    );
  const entry = scorers.find((m) => m.ref === picked) ?? scorers[0];
  return (
    <form
      className="toolbar"
      onSubmit={(e) => {
        e.preventDefault();
        setResult(null);
        setRunning(entry.name);
        call('scores.run', { scorer: entry.ref, ...(dtype ? { dtype } : {}), refs })
          .then((r) => {
            setResult(done(r));
            onScored();
          }, onError)
          .finally(() => setRunning(null));
      }}
    >
      <select
        aria-label="CLIP scorer"
        value={entry.ref}
        onChange={(e) => {
          setPicked(e.target.value);
          setDtype('');
        }}
      >
        {scorers.map((m) => (
          <option key={m.ref} value={m.ref}>
            {m.name}
          </option>
        ))}
      </select>
      {entry.dtypes.length > 1 && (
        <select
          aria-label="Scorer variant"
          value={dtype}
          onChange={(e) => setDtype(e.target.value as Dtype | '')}
        >
          <option value="">automatic</option>
          {entry.dtypes.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      )}
      <label>
        <input type="checkbox" checked={refs} onChange={(e) => setRefs(e.target.checked)} /> RefCLIPScore too,
        where references exist
      </label>
      <button type="submit" disabled={running !== null}>
        Score captions
      </button>
      {running !== null && (
        <span role="status" data-testid="scoring">
          <progress /> scoring every caption {running} has not scored yet…
        </span>
      )}
      {result && (
        <span role="status" data-testid="score-done">
          {result}
        </span>
      )}
    </form>
  );
}

const f3 = (v: number) => v.toFixed(3);

/** A source's CLIPScore under one scorer: the mean (95 % CI) over its captions. */
export function ClipCell({ c }: { c: ClipStats | null }) {
  return (
    <td data-testid="clip-score" title={c ? `mean ${c.mean} over ${c.captions} captions` : undefined}>
      {c ? `${f3(c.mean)} (${f3(c.lo)}–${f3(c.hi)}), n=${c.captions}` : '–'}
    </td>
  );
}

/** Kendall's tau-c of that CLIPScore against the mean human rating of the rated captions (95 % CI). */
export function TauCell({ c }: { c: ClipStats | null }) {
  const t = c?.tauC;
  return (
    <td data-testid="clip-tau" title={t ? `tau-c ${t.tau} over ${c.rated} rated captions` : undefined}>
      {t ? `${f3(t.tau)} (${f3(t.lo)}–${f3(t.hi)}), n=${c.rated}` : c?.rated ? `–, n=${c.rated}` : '–'}
    </td>
  );
}
