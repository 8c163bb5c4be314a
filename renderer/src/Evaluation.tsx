import { useEffect, useState } from 'react';
import {
  EXPORT_FORMATS,
  EXPORT_POLICIES,
  type ExportFormat,
  type ExportPolicy,
} from '../../electron/core/api/contract.ts';
import type { EvalSummary } from '../../electron/core/api/types.ts';
import { call } from './api.ts';

const f = (v: number | null, d = 3) => (v === null ? '–' : v.toFixed(d));

/** Per model/config: metrics against references and human ratings, with the two plots. */
export function Evaluation({ onError }: { onError: (e: unknown) => void }) {
  const [s, setS] = useState<EvalSummary | null>(null);
  const [refs, setRefs] = useState('');
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
          call('eval.importReferences', { path: refs }).then(() => {
            setRefs('');
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
      <div className="plots">
        <Histogram rows={s.rows} />
        <Scatter points={s.scatter} />
      </div>
      <ExportForm onError={onError} />
      {s.disagreed.length > 0 && (
        <>
          <h3>Most disagreed</h3>
          <ul>
            {s.disagreed.map((d) => (
              <li key={d.candidateId}>
                [{d.values.join(', ')}] {d.text}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

const COLOURS = ['#3b82f6', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#64748b'];

function Histogram({ rows }: { rows: EvalSummary['rows'] }) {
  const W = 360;
  const H = 200;
  const max = Math.max(
    1,
    ...rows.flatMap((r) =>
      r.ratingHistogram.map(
        (n, _, all) =>
          n /
          Math.max(
            1,
            all.reduce((a, b) => a + b),
          ),
      ),
    ),
  );
  const bw = (W - 40) / 5 / Math.max(1, rows.length);
  return (
    <figure>
      <svg width={W} height={H} role="img" aria-label="rating distribution per model" data-testid="histogram">
        {rows.map((r, ri) => {
          const total = Math.max(1, r.ratings);
          return r.ratingHistogram.map((n, v) => {
            const h = (n / total / max) * (H - 40);
            return (
              <rect
                // biome-ignore lint/suspicious/noArrayIndexKey: the index is the rating value 1-5
                key={`${r.source}-${v}`}
                x={30 + v * ((W - 40) / 5) + ri * bw}
                y={H - 25 - h}
                width={bw - 2}
                height={h}
                fill={COLOURS[ri % COLOURS.length]}
              >
                <title>{`${r.source}: ${n} ratings of ${v + 1}`}</title>
              </rect>
            );
          });
        })}
        {[1, 2, 3, 4, 5].map((v) => (
          <text key={v} x={30 + (v - 0.5) * ((W - 40) / 5)} y={H - 8} textAnchor="middle" fontSize="12">
            {v}
          </text>
        ))}
      </svg>
      <figcaption>
        Rating distribution:{' '}
        {rows.map((r, i) => (
          <span key={r.source} style={{ color: COLOURS[i % COLOURS.length] }}>
            ■ {r.source}{' '}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function Scatter({ points }: { points: EvalSummary['scatter'] }) {
  const W = 360;
  const H = 200;
  const maxC = Math.max(1e-9, ...points.map((p) => p.ciderD));
  return (
    <figure>
      <svg
        width={W}
        height={H}
        role="img"
        aria-label="CIDEr-D against mean human rating"
        data-testid="scatter"
      >
        <line x1={30} y1={H - 25} x2={W - 10} y2={H - 25} stroke="#999" />
        <line x1={30} y1={10} x2={30} y2={H - 25} stroke="#999" />
        {points.map((p) => (
          <circle
            key={p.candidateId}
            cx={30 + (p.ciderD / maxC) * (W - 50)}
            cy={H - 25 - ((p.rating - 1) / 4) * (H - 40)}
            r={4}
            fill="#3b82f6"
            opacity={0.7}
          >
            <title>{`CIDEr-D ${p.ciderD.toFixed(3)}, rating ${p.rating.toFixed(2)}`}</title>
          </circle>
        ))}
        <text x={W / 2} y={H - 6} textAnchor="middle" fontSize="12">
          CIDEr-D
        </text>
        <text x={12} y={H / 2} textAnchor="middle" fontSize="12" transform={`rotate(-90 12 ${H / 2})`}>
          rating
        </text>
      </svg>
      <figcaption>Per caption: CIDEr-D against mean human rating</figcaption>
    </figure>
  );
}

function ExportForm({ onError }: { onError: (e: unknown) => void }) {
  const [format, setFormat] = useState<ExportFormat>('coco');
  const [policy, setPolicy] = useState<ExportPolicy>('best');
  const [out, setOut] = useState('');
  const [minRating, setMinRating] = useState('');
  const [done, setDone] = useState<string | null>(null);
  return (
    <form
      className="toolbar export"
      onSubmit={(e) => {
        e.preventDefault();
        call('export.run', {
          format,
          policy,
          out: out || undefined,
          minRating: minRating ? Number(minRating) : undefined,
        }).then(
          (r) =>
            setDone(
              `Exported ${r.rows} rows as ${r.format} (${r.written.length} file${r.written.length === 1 ? '' : 's'})${r.note ? `: ${r.note}` : ''}`,
            ),
          onError,
        );
      }}
    >
      <select
        aria-label="Export format"
        value={format}
        onChange={(e) => setFormat(e.target.value as ExportFormat)}
      >
        {EXPORT_FORMATS.map((f) => (
          <option key={f}>{f}</option>
        ))}
      </select>
      <select
        aria-label="Captions to export"
        title="best: each image's highest-rated caption, else its human edit, else the top beam of its latest run"
        value={policy}
        onChange={(e) => setPolicy(e.target.value as ExportPolicy)}
      >
        {EXPORT_POLICIES.map((p) => (
          <option key={p}>{p}</option>
        ))}
      </select>
      <input
        aria-label="Export to"
        placeholder={format === 'sidecars' ? 'next to the images' : '/path/to/output'}
        value={out}
        onChange={(e) => setOut(e.target.value)}
      />
      <input
        aria-label="Minimum rating"
        placeholder="min rating"
        type="number"
        min={1}
        max={5}
        step={0.5}
        value={minRating}
        onChange={(e) => setMinRating(e.target.value)}
      />
      <button type="submit">Export</button>
      {done && <span data-testid="export-done">{done}</span>}
    </form>
  );
}
