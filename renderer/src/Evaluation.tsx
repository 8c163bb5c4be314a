import { useEffect, useState } from 'react';
import type { EvalSummary } from '../../electron/core/api/types.ts';
import { call } from './api.ts';
import { MostDisagreed } from './rating/Disagreed.tsx';

const f = (v: number | null, d = 3) => (v === null ? '–' : v.toFixed(d));

/** Per model/config: metrics against references and human ratings, with the two plots. */
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
      <table data-testid="eval-table">
        <thead>
          <tr>
            <th>Model / config</th>
            <th>Images</th>
            <th>BLEU-4</th>
            <th>CIDEr-D</th>
            <th>ROUGE-L</th>
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
        <Scatter points={s.scatter} />
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

/** n clearly different colours: hues spread by the golden angle, so no two series share one. */
export const seriesColours = (n: number) =>
  Array.from({ length: n }, (_, i) => `hsl(${Math.round((i * 137.508) % 360)}, 65%, ${i % 2 ? 38 : 48}%)`);

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

const W = 420;
const H = 240;
const M = { left: 48, right: 12, top: 12, bottom: 40 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** Axes with ticks and titles around a plot area of PW x PH; x and y map values to pixels. */
function Axes(props: {
  xTicks: { v: number; label: string }[];
  yTicks: { v: number; label: string }[];
  x: (v: number) => number;
  y: (v: number) => number;
  xTitle: string;
  yTitle: string;
}) {
  return (
    <g fontSize="11">
      <line data-testid="x-axis" x1={M.left} y1={M.top + PH} x2={M.left + PW} y2={M.top + PH} stroke="#555" />
      <line data-testid="y-axis" x1={M.left} y1={M.top} x2={M.left} y2={M.top + PH} stroke="#555" />
      {props.xTicks.map((t) => (
        <g key={`x${t.v}`} className="tick">
          <line x1={props.x(t.v)} x2={props.x(t.v)} y1={M.top + PH} y2={M.top + PH + 4} stroke="#555" />
          <text x={props.x(t.v)} y={M.top + PH + 16} textAnchor="middle">
            {t.label}
          </text>
        </g>
      ))}
      {props.yTicks.map((t) => (
        <g key={`y${t.v}`} className="tick">
          <line x1={M.left - 4} x2={M.left} y1={props.y(t.v)} y2={props.y(t.v)} stroke="#555" />
          <line x1={M.left} x2={M.left + PW} y1={props.y(t.v)} y2={props.y(t.v)} stroke="#eee" />
          <text x={M.left - 7} y={props.y(t.v) + 4} textAnchor="end">
            {t.label}
          </text>
        </g>
      ))}
      <text x={M.left + PW / 2} y={H - 6} textAnchor="middle">
        {props.xTitle}
      </text>
      <text x={12} y={M.top + PH / 2} textAnchor="middle" transform={`rotate(-90 12 ${M.top + PH / 2})`}>
        {props.yTitle}
      </text>
    </g>
  );
}

function Legend({ names }: { names: string[] }) {
  const colours = seriesColours(names.length);
  return (
    <ul className="legend" data-testid="legend">
      {names.map((n, i) => (
        <li key={n}>
          <span className="swatch" style={{ background: colours[i] }} /> {n}
        </li>
      ))}
    </ul>
  );
}

function Histogram({ rows }: { rows: EvalSummary['rows'] }) {
  const colours = seriesColours(rows.length);
  const share = (r: EvalSummary['rows'][0], n: number) => n / Math.max(1, r.ratings);
  const top = Math.max(0.05, ...rows.flatMap((r) => r.ratingHistogram.map((n) => share(r, n))));
  const yMax = Math.max(top, ticks(0, top).at(-1)!);
  const y = (v: number) => M.top + PH - (v / yMax) * PH;
  const slot = PW / 5;
  const x = (v: number) => M.left + (v - 0.5) * slot;
  const bw = (slot - 8) / Math.max(1, rows.length);
  return (
    <figure>
      <svg width={W} height={H} role="img" aria-label="rating distribution per model" data-testid="histogram">
        <Axes
          xTicks={[1, 2, 3, 4, 5].map((v) => ({ v, label: String(v) }))}
          yTicks={ticks(0, yMax).map((v) => ({ v, label: `${Math.round(v * 100)}%` }))}
          x={x}
          y={y}
          xTitle="rating"
          yTitle="share of the model's ratings"
        />
        {rows.map((r, ri) =>
          r.ratingHistogram.map((n, v) => (
            <rect
              // biome-ignore lint/suspicious/noArrayIndexKey: the index is the rating value 1-5
              key={`${r.source}-${v}`}
              x={x(v + 1) - slot / 2 + 4 + ri * bw}
              y={y(share(r, n))}
              width={Math.max(1, bw - 1)}
              height={M.top + PH - y(share(r, n))}
              fill={colours[ri]}
            >
              <title>{`${r.source}: ${n} ratings of ${v + 1}`}</title>
            </rect>
          )),
        )}
      </svg>
      <figcaption>
        Rating distribution per model and decoding
        <Legend names={rows.map((r) => r.source)} />
      </figcaption>
    </figure>
  );
}

function Scatter({ points }: { points: EvalSummary['scatter'] }) {
  const names = [...new Set(points.map((p) => p.source))].sort();
  const colours = seriesColours(names.length);
  const xt = ticks(0, Math.max(0.1, ...points.map((p) => p.ciderD)));
  const xMax = xt.at(-1)!;
  const x = (v: number) => M.left + (v / xMax) * PW;
  const y = (v: number) => M.top + PH - ((v - 1) / 4) * PH;
  return (
    <figure>
      <svg
        width={W}
        height={H}
        role="img"
        aria-label="CIDEr-D against mean human rating"
        data-testid="scatter"
      >
        <Axes
          xTicks={xt.map((v) => ({ v, label: String(v) }))}
          yTicks={[1, 2, 3, 4, 5].map((v) => ({ v, label: String(v) }))}
          x={x}
          y={y}
          xTitle="CIDEr-D"
          yTitle="mean rating"
        />
        {points.map((p) => (
          <circle
            key={p.candidateId}
            cx={x(p.ciderD)}
            cy={y(p.rating)}
            r={4}
            fill={colours[names.indexOf(p.source)]}
            opacity={0.8}
          >
            <title>{`${p.source}: CIDEr-D ${p.ciderD.toFixed(3)}, rating ${p.rating.toFixed(2)}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption>
        Per caption: CIDEr-D against mean human rating
        <Legend names={names} />
      </figcaption>
    </figure>
  );
}
