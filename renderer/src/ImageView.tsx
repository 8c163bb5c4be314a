import { useCallback, useEffect, useRef, useState } from 'react';
import { decodingSummary } from '../../electron/core/api/decoding.ts';
import type { CandidateView, ImageDetail, RunView } from '../../electron/core/api/types.ts';
import { call, mediaUrl } from './api.ts';
import { ModelSelect } from './ModelSelect.tsx';
import { modelFields, taskField, useModels } from './models.ts';

interface Heat {
  shape: [number, number, number];
  data: number[];
}

/** The image with its caption runs side by side; hovering a word shows where the model looked. */
export function ImageView({ fileId, onError }: { fileId: number; onError: (e: unknown) => void }) {
  const [detail, setDetail] = useState<ImageDetail | null>(null);
  const [hover, setHover] = useState<{ candidate: number; token: number } | null>(null);
  const [heat, setHeat] = useState<Map<number, Heat>>(new Map());
  const [settings, setSettings] = useState({
    num_beams: 5,
    num_return_sequences: 5,
    length_penalty: 1,
    no_repeat_ngram_size: 0,
  });
  const [running, setRunning] = useState(false);
  const { installed, chosen, entry } = useModels(onError);
  const reload = useCallback(() => call('image.get', { fileId }).then(setDetail, onError), [fileId, onError]);
  useEffect(() => {
    reload();
  }, [reload]);

  const onHover = async (c: CandidateView, token: number) => {
    setHover({ candidate: c.id, token });
    if (c.hasAttention && !heat.has(c.id)) {
      try {
        const h = await call('candidate.attention', { candidateId: c.id });
        setHeat((m) => new Map(m).set(c.id, h));
      } catch (e) {
        onError(e);
      }
    }
  };

  const rerun = async () => {
    setRunning(true);
    try {
      await call('image.recaption', {
        fileId,
        decoding: { ...settings, ...taskField(chosen, entry) },
        ...modelFields(chosen),
      });
      await reload();
    } catch (e) {
      onError(e);
    } finally {
      setRunning(false);
    }
  };

  if (!detail) return <p>Loading…</p>;
  const h = hover && heat.get(hover.candidate);
  return (
    <section className="image-view">
      <div className="figure">
        <HeatImage src={mediaUrl('media', detail.file.fileId)} heat={h ?? null} token={hover?.token ?? 0} />
        <p className="path">{detail.file.rel}</p>
        {detail.file.error && <p className="error">{detail.file.error}</p>}
        <fieldset className="settings">
          <legend>Decoding</legend>
          <ModelSelect installed={installed} chosen={chosen} />
          {(['num_beams', 'num_return_sequences', 'length_penalty', 'no_repeat_ngram_size'] as const).map(
            (k) => (
              <label key={k}>
                {k.replaceAll('_', ' ')}
                <input
                  type="number"
                  step={k === 'length_penalty' ? 0.1 : 1}
                  value={settings[k]}
                  onChange={(e) => setSettings({ ...settings, [k]: Number(e.target.value) })}
                />
              </label>
            ),
          )}
          <button type="button" onClick={rerun} disabled={running}>
            {running ? 'Captioning…' : 'Caption with these settings'}
          </button>
        </fieldset>
      </div>
      <div className="runs">
        {detail.runs.length === 0 && (
          <p>No captions yet: run a job or caption with the settings on the left.</p>
        )}
        {detail.runs.map((r) => (
          <Run
            key={r.id}
            run={r}
            onHover={onHover}
            onLeave={() => setHover(null)}
            onEdited={reload}
            onError={onError}
          />
        ))}
      </div>
    </section>
  );
}

function Run(props: {
  run: RunView;
  onHover: (c: CandidateView, token: number) => void;
  onLeave: () => void;
  onEdited: () => void;
  onError: (e: unknown) => void;
}) {
  const { run, onHover, onLeave, onEdited, onError } = props;
  const [editing, setEditing] = useState<number | null>(null);
  const [text, setText] = useState('');
  return (
    <article className="run" data-testid="run">
      <header>
        <strong>{run.model}</strong>
        {run.dtype && run.dtype !== 'fp32' ? ` (${run.dtype})` : ''} · {decodingSummary(run.decoding)} ·{' '}
        {run.provider}
        {run.candidates.some((c) => c.source === 'model') && !run.candidates.some((c) => c.hasAttention) && (
          <span className="no-attention" data-testid="no-attention">
            {' '}
            · no attention in this model
          </span>
        )}
      </header>
      <ol>
        {run.candidates.map((c) => (
          <li key={c.id} className={`candidate ${c.source}`} data-testid="candidate">
            {editing === c.id ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  call('candidate.edit', { candidateId: c.id, text }).then(() => {
                    setEditing(null);
                    onEdited();
                  }, onError);
                }}
              >
                <input aria-label="Edited caption" value={text} onChange={(e) => setText(e.target.value)} />
                <button type="submit">Save</button>
              </form>
            ) : (
              <>
                <span className="words">
                  {c.source === 'model' && c.tokens.length
                    ? c.tokens.map((t, i) =>
                        t.trim() === '' ? null : (
                          <button
                            type="button"
                            // biome-ignore lint/suspicious/noArrayIndexKey: tokens repeat; position is identity
                            key={i}
                            className="word"
                            data-testid="word"
                            onMouseEnter={() => onHover(c, i)}
                            onFocus={() => onHover(c, i)}
                            onMouseLeave={onLeave}
                            onBlur={onLeave}
                            title={`log p = ${c.tokenLogprobs[i]?.toFixed(3)}`}
                          >
                            {t}
                          </button>
                        ),
                      )
                    : c.text}
                </span>
                <span className="score" title="length-normalised score (sum of log-probs)">
                  {c.score !== null ? `${c.score.toFixed(3)} (${c.sum?.toFixed(2)})` : 'human'}
                </span>
                <button
                  type="button"
                  onClick={() => {
                    setEditing(c.id);
                    setText(c.text);
                  }}
                >
                  Edit
                </button>
              </>
            )}
          </li>
        ))}
      </ol>
    </article>
  );
}

/** The image with the chosen token's cross-attention drawn over it, one cell per patch. */
function HeatImage({ src, heat, token }: { src: string; heat: Heat | null; token: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current!;
    const ctx = c.getContext('2d')!;
    ctx.clearRect(0, 0, c.width, c.height);
    if (!heat) return;
    const [T, rows, cols] = heat.shape;
    const t = Math.min(token, T - 1);
    const cw = c.width / cols;
    const ch = c.height / rows;
    const cells = heat.data.slice(t * rows * cols, (t + 1) * rows * cols);
    const lo = Math.min(...cells);
    const span = Math.max(1, Math.max(...cells) - lo);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) {
        const v = (cells[y * cols + x] - lo) / span; // this token's map, stretched to its own range
        ctx.fillStyle = `rgba(255, ${Math.round(220 * (1 - v))}, 0, ${(0.6 * v * v).toFixed(3)})`;
        ctx.fillRect(x * cw, y * ch, cw, ch);
      }
    }
  }, [heat, token]);
  return (
    <div className="heat-image">
      <img src={src} alt="" />
      <canvas ref={canvas} width={384} height={384} data-testid="heatmap" data-active={heat ? 'yes' : 'no'} />
    </div>
  );
}
