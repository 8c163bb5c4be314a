import { Fragment, useEffect, useState } from 'react';
import type { EvalSummary } from '../../electron/core/api/types.ts';
import { call } from './api.ts';
import { ClipCell, ScoreForm, scorerName, TauCell } from './evaluation/ClipScoring.tsx';
import { Histogram, Scatter } from './evaluation/charts.tsx';
import { MostDisagreed } from './rating/Disagreed.tsx';

const f = (v: number | null, d = 3) => (v === null ? '–' : v.toFixed(d));

/** Per model/config: metrics against references, CLIPScore without them, and human ratings, with the two plots. */
export function Evaluation({ onError }: { onError: (e: unknown) => void }) {
  const [s, setS] = useState<EvalSummary | null>(null);
  const [refs, setRefs] = useState('');
  const [imported, setImported] = useState<string | null>(null);
  const load = () => call('eval.summary', {}).then(setS, onError);
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once on open
  useEffect(() => {
    load();
  }, []);
  if (!s) return <p>Loading…</p>;
  return (
    <section className="evaluation">
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          call('eval.importReferences', { path: refs }).then((r) => {
            setRefs('');
            setImported(
              `Imported ${r.captions} reference captions from ${r.file}: ${r.added} new, for ${r.matchedImages} images` +
                (r.unmatched.length
                  ? `; not in the library: ${r.unmatched.slice(0, 5).join(', ')}${r.unmatched.length > 5 ? ` and ${r.unmatched.length - 5} more` : ''}`
                  : ''),
            );
            load();
          }, onError);
        }}
      >
        <input
          aria-label="Reference captions file"
          placeholder="references: COCO JSON or image<TAB>caption file"
          value={refs}
          onChange={(e) => setRefs(e.target.value)}
        />
        <button type="submit" disabled={!refs}>
          Import references
        </button>
        {imported && (
          <span role="status" data-testid="import-done">
            {imported}
          </span>
        )}
      </form>
      <ScoreForm onScored={load} onError={onError} />
      <table data-testid="eval-table">
        <thead>
          <tr>
            <th>Model / config</th>
            <th>Images</th>
            <th>BLEU-4</th>
            <th>CIDEr-D</th>
            <th>ROUGE-L</th>
            {s.scorers.map((c) => (
              <Fragment key={c.id}>
                <th data-testid="clip-column">CLIPScore · {scorerName(c)} (95% CI)</th>
                <th>Kendall τc, CLIPScore vs rating (95% CI)</th>
              </Fragment>
            ))}
            <th>Mean rating (95% CI)</th>
            <th>Win rate</th>
            <th>Bradley–Terry</th>
          </tr>
        </thead>
        <tbody>
          {s.rows.map((r) => (
            <tr key={r.source}>
              <td>{r.source}</td>
              <td>
                {r.images} ({r.withReferences} with refs)
              </td>
              <td>{f(r.bleu4)}</td>
              <td>{f(r.ciderD)}</td>
              <td>{f(r.rougeL)}</td>
              {s.scorers.map((c, i) => (
                <Fragment key={c.id}>
                  <ClipCell c={r.clip[i]} />
                  <TauCell c={r.clip[i]} />
                </Fragment>
              ))}
              <td>
                {r.meanRating === null
                  ? '–'
                  : `${r.meanRating.toFixed(2)} (${f(r.ratingLo, 2)}–${f(r.ratingHi, 2)}), n=${r.ratings}`}
              </td>
              <td>{r.winRate === null ? '–' : `${(r.winRate * 100).toFixed(0)}%`}</td>
              <td>{f(r.bradleyTerry)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p data-testid="agreement">
        Krippendorff's α (ordinal): {f(s.agreement.alpha)} over {s.agreement.items} captions rated by two or
        more of {s.agreement.raters} raters · Kendall τ (CIDEr-D vs rating): {f(s.kendallTau)}
      </p>
      {s.pairwise && <PairwiseRankings pairwise={s.pairwise} />}
      <div className="plots">
        <Histogram rows={s.rows} />
        {/* without references CIDEr-D has no points: its plot gives way to CLIPScore's */}
        {(!s.scorers.length || s.rows.some((r) => r.withReferences > 0)) && (
          <Scatter metric="CIDEr-D" testId="scatter" points={s.scatter.map((p) => ({ ...p, x: p.ciderD }))} />
        )}
        {s.scorers.map((c, i) => (
          <Scatter
            key={c.id}
            metric={`CLIPScore · ${scorerName(c)}`}
            testId="clip-scatter"
            points={s.clipScatter[i].map((p) => ({ ...p, x: p.clipScore }))}
          />
        ))}
      </div>
      <MostDisagreed items={s.disagreed} />
    </section>
  );
}

/** Per pairwise session (and over all of them when there are several): sources ranked by Bradley–Terry. */
function PairwiseRankings({ pairwise }: { pairwise: NonNullable<EvalSummary['pairwise']> }) {
  const all = { ...pairwise, sessionId: 0, name: 'all pairwise sessions' };
  const shown = pairwise.sessions.length > 1 ? [...pairwise.sessions, all] : pairwise.sessions;
  return (
    <>
      <h3>Pairwise preference</h3>
      {shown.map((p) => (
        <div key={p.sessionId} data-testid="pairwise-session" data-session={p.sessionId}>
          <h4>{p.name}</h4>
          <table data-testid="pairwise-table">
            <thead>
              <tr>
                <th>Model / config</th>
                <th>Bradley–Terry strength (95% CI)</th>
                <th>Wins / ties / both bad / losses</th>
                <th>Win rate</th>
              </tr>
            </thead>
            <tbody>
              {p.ranking.map((r) => (
                <tr key={r.source} data-testid="pairwise-row">
                  <td>{r.source}</td>
                  <td>
                    {r.strength.toFixed(3)} ({r.lo.toFixed(3)}–{r.hi.toFixed(3)})
                  </td>
                  <td>
                    {r.wins} / {r.ties} / {r.bothBad} / {r.losses}
                  </td>
                  <td>{`${(r.winRate * 100).toFixed(0)}%`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            {p.verdicts} verdicts ({p.ties} ties, {p.bothBad} both bad) · agreement{' '}
            {p.agreement === null
              ? '– (no pair judged by two raters)'
              : `${(p.agreement * 100).toFixed(0)}% over ${p.pairs} pairs judged by two or more raters`}
          </p>
        </div>
      ))}
    </>
  );
}
