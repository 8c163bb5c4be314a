/** Beside the image: the heat-map's colour legend and its opacity. */
import { legendGradient } from './draw.ts';

export function HeatControls(props: { opacity: number; setOpacity: (v: number) => void; active: boolean }) {
  return (
    <div
      className="heat-controls"
      data-testid="heat-controls"
      style={{ display: 'flex', gap: 8, alignItems: 'center' }}
    >
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
    </div>
  );
}
