/** The Evaluation view's plots: the rating distribution per source, and metrics against mean rating. */
import type { EvalSummary } from '../../../electron/core/api/types.ts';

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

export function Histogram({ rows }: { rows: EvalSummary['rows'] }) {
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

/** A caption in the metric-against-rating plot: the metric's value (x) and its mean human rating. */
export interface ScatterPoint {
  source: string;
  candidateId: number;
  x: number;
  rating: number;
}

/** Per rated caption: a metric (CIDEr-D, a scorer's CLIPScore) against the mean human rating. */
export function Scatter({
  points,
  metric,
  testId,
}: {
  points: ScatterPoint[];
  metric: string;
  testId: string;
}) {
  const names = [...new Set(points.map((p) => p.source))].sort();
  const colours = seriesColours(names.length);
  const xt = ticks(0, Math.max(0.1, ...points.map((p) => p.x)));
  const xMax = xt.at(-1)!;
  const x = (v: number) => M.left + (v / xMax) * PW;
  const y = (v: number) => M.top + PH - ((v - 1) / 4) * PH;
  return (
    <figure>
      <svg
        width={W}
        height={H}
        role="img"
        aria-label={`${metric} against mean human rating`}
        data-testid={testId}
      >
        <Axes
          xTicks={xt.map((v) => ({ v, label: String(v) }))}
          yTicks={[1, 2, 3, 4, 5].map((v) => ({ v, label: String(v) }))}
          x={x}
          y={y}
          xTitle={metric}
          yTitle="mean rating"
        />
        {points.map((p) => (
          <circle
            key={p.candidateId}
            cx={x(p.x)}
            cy={y(p.rating)}
            r={4}
            fill={colours[names.indexOf(p.source)]}
            opacity={0.8}
          >
            <title>{`${p.source}: ${metric} ${p.x.toFixed(3)}, rating ${p.rating.toFixed(2)}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption>
        Per caption: {metric} against mean human rating
        <Legend names={names} />
      </figcaption>
    </figure>
  );
}
