/** Beside the image: the heat-map's layer and head, its colour legend and opacity, and the shares. */
import { legendGradient } from './draw.ts';
import type { Pick } from './useLayers.ts';

function Choice(props: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (v: string) => void;
}) {
  return (
    <label>
      {props.label}{' '}
      <select
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        data-testid={`heat-${props.label}`}
      >
        {props.options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

const indexes = (n: number) =>
  Array.from({ length: n }, (_, i): [string, string] => [String(i), String(i + 1)]);
const parse = (v: string) => (/^\d+$/.test(v) ? Number(v) : v);

export function HeatControls(props: {
  opacity: number;
  setOpacity: (v: number) => void;
  active: boolean;
  pick: Pick;
  setPick: (p: Pick) => void;
  counts: { layers: number; heads: number } | null;
  share: { lead: number; prompt: number } | null;
}) {
  const { pick, counts, share } = props;
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return (
    <div
      className="heat-controls"
      data-testid="heat-controls"
      style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center' }}
    >
      <Choice
        label="layer"
        value={String(pick.layer)}
        options={[['last', 'last'], ['mean', 'mean of all'], ...indexes(counts?.layers ?? 0)]}
        onChange={(v) => props.setPick({ ...pick, layer: parse(v) as Pick['layer'] })}
      />
      <Choice
        label="head"
        value={String(pick.head)}
        options={[['mean', 'mean'], ...indexes(counts?.heads ?? 0)]}
        onChange={(v) => props.setPick({ ...pick, head: parse(v) as Pick['head'] })}
      />
      <span className="heat-legend-label">low</span>
      <span
        className="heat-legend"
        style={{ background: legendGradient(), display: 'inline-block', width: 120, height: 10 }}
        title="attention of the hovered word (inferno colour map)"
      />
      <span className="heat-legend-label">high</span>
      <label>
        opacity{' '}
        <input
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={props.opacity}
          disabled={!props.active}
          data-testid="heat-opacity"
          onChange={(e) => props.setOpacity(Number(e.target.value))}
        />
      </label>
      {share && (
        <span className="heat-share" data-testid="heat-share" title="attention outside the image cells">
          {share.lead > 0 && `CLS/pooled ${pct(share.lead)}`}
          {share.lead > 0 && share.prompt > 0 && ' · '}
          {share.prompt > 0 && `prompt ${pct(share.prompt)}`}
        </span>
      )}
    </div>
  );
}
