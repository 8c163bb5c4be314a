import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import {
  DECODING_KEYS,
  DEFAULT_DECODING,
  type Decoding,
  type DecodingKey,
  decodingSummary,
  settingOf,
} from '../../electron/core/api/decoding.ts';
import type { CandidateView, ImageDetail, RunView } from '../../electron/core/api/types.ts';
import { call, mediaUrl } from './api.ts';
import { drawHeat, type Heat } from './attention/draw.ts';
import { HeatControls } from './attention/HeatControls.tsx';
import { isDefault, useLayers } from './attention/useLayers.ts';
import { typing, useKeys } from './keys.ts';
import { MoreLikeThis } from './library/MoreLikeThis.tsx';
import { ModelSelect } from './ModelSelect.tsx';
import { modelFields, taskField, useModels } from './models.ts';
import { go } from './route.ts';

/** The decoding settings the image view offers (`view` in the contract's list); all numbers. */
type NumberKey = Exclude<DecodingKey, 'early_stopping'>;
const VIEW_KEYS = DECODING_KEYS.filter(
  (k): k is NumberKey => settingOf(k).view === true && settingOf(k).kind !== 'stopping',
);
type Settings = Partial<Record<NumberKey, number>>;

/** The form's values: the model's defaults, else Hugging Face's; all of a beam search's candidates, to compare. */
function startingSettings(defaults: Partial<Decoding> | undefined): Settings {
  const from = { ...DEFAULT_DECODING, ...defaults };
  const out = Object.fromEntries(VIEW_KEYS.map((k) => [k, Number(from[k])])) as Settings;
  return { ...out, num_return_sequences: from.num_beams };
}

/** The image with its caption runs side by side; hovering a word shows where the model looked. */
export function ImageView({ fileId, onError }: { fileId: number; onError: (e: unknown) => void }) {
  const [detail, setDetail] = useState<ImageDetail | null>(null);
  const [hover, setHover] = useState<{ candidate: number; token: number } | null>(null);
  const [heat, setHeat] = useState<Map<number, Heat>>(new Map());
  const [opacity, setOpacity] = useState(0.6);
  const layers = useLayers(fileId, hover?.candidate ?? null, onError);
  const [settings, setSettings] = useState<Settings>(() => startingSettings(undefined));
  const [running, setRunning] = useState(false);
  const { installed, chosen, entry } = useModels(onError);
  // the form starts from the model's defaults (generation_config.json)
  const defaults = entry?.defaults;
  useEffect(() => setSettings(startingSettings(defaults)), [defaults]);
  const reload = useCallback(() => call('image.get', { fileId }).then(setDetail, onError), [fileId, onError]);
  useEffect(() => {
    reload();
  }, [reload]);
  // ← / → the previous / next photo of the folder (grid order), Esc back to the grid
  useKeys((e) => {
    if (!detail || e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    if (e.key === 'ArrowLeft' && detail.prev) go('image', detail.prev);
    else if (e.key === 'ArrowRight' && detail.next) go('image', detail.next);
    else if (e.key === 'Escape') go('library');
    else return;
    e.preventDefault();
  });

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
  // the chosen layer and head once computed; the stored map (last layer, mean of heads) meanwhile
  const picked = hover && layers.maps(hover.candidate);
  const h = picked ?? (hover && isDefault(layers.pick) ? heat.get(hover.candidate) : null);
  const share = picked && hover ? (picked.share[hover.token] ?? null) : null;
  return (
    <section className="image-view">
      <div className="figure">
        <nav className="image-nav">
          <button type="button" onClick={() => go('library')} title="Esc">
            ← Grid
          </button>
          <button
            type="button"
            disabled={!detail.prev}
            onClick={() => detail.prev && go('image', detail.prev)}
            title="←"
          >
            Previous
          </button>
          <button
            type="button"
            disabled={!detail.next}
            onClick={() => detail.next && go('image', detail.next)}
            title="→"
          >
            Next
          </button>
        </nav>
        <HeatImage
          key={detail.file.fileId}
          preview={mediaUrl('thumb', detail.file.fileId, {
            hash: detail.file.hash,
            size: Math.ceil(BOX * (window.devicePixelRatio || 1)),
          })}
          original={mediaUrl('media', detail.file.fileId)}
          width={detail.width}
          height={detail.height}
          heat={h ?? null}
          token={hover?.token ?? 0}
          opacity={opacity}
        />
        <HeatControls
          opacity={opacity}
          setOpacity={setOpacity}
          active={!!h}
          pick={layers.pick}
          setPick={layers.setPick}
          counts={layers.counts}
          share={share}
        />
        <p className="path">{detail.file.rel}</p>
        {detail.file.error && <p className="error">{detail.file.error}</p>}
        <MoreLikeThis fileId={detail.file.fileId} onError={onError} />
        <fieldset className="settings">
          <legend>Decoding</legend>
          <ModelSelect installed={installed} chosen={chosen} />
          {VIEW_KEYS.map((k) => {
            const s = settingOf(k);
            return (
              <label key={k}>
                {k.replaceAll('_', ' ')}
                <input
                  type="number"
                  title={s.help}
                  step={s.kind === 'float' ? 0.1 : 1}
                  min={s.kind === 'stopping' ? undefined : s.min}
                  max={s.kind === 'stopping' ? undefined : s.max}
                  value={settings[k]}
                  onChange={(e) => setSettings({ ...settings, [k]: Number(e.target.value) })}
                />
              </label>
            );
          })}
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
                    ? spacedTokens(c.text, c.tokens).map(({ i, t, gap }) => (
                        // tokens repeat: their position is their identity
                        <Fragment key={i}>
                          {gap}
                          {t.trim() !== '' && (
                            <button
                              type="button"
                              className="word"
                              data-testid="word"
                              onMouseEnter={() => onHover(c, i)}
                              onFocus={() => onHover(c, i)}
                              onMouseLeave={onLeave}
                              onBlur={onLeave}
                              title={`log p = ${c.tokenLogprobs[i]?.toFixed(3)}`}
                            >
                              {t.trim()}
                            </button>
                          )}
                        </Fragment>
                      ))
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

const BOX = 480;

/**
 * The tokens laid over the caption's text: each with the text between it and the one before
 * (the spaces), so what is shown, selected and copied is the caption as written, not its words
 * glued together.
 */
export function spacedTokens(text: string, tokens: string[]): { i: number; t: string; gap: string }[] {
  let at = 0;
  return tokens.map((t, i) => {
    const word = t.trim();
    const found = word ? text.indexOf(word, at) : -1;
    if (found < 0) return { i, t, gap: '' };
    const gap = text.slice(at, found) || (at > 0 && /^\s/.test(t) ? ' ' : '');
    at = found + word.length;
    return { i, t, gap };
  });
}

/**
 * The image at its own aspect ratio (fitted into BOX x BOX) with the chosen token's cross-attention
 * drawn over it, upsampled smoothly (the model saw the whole frame resized, so the grid spans it).
 * The wheel or +/- zooms, dragging pans, 0 resets. Shown from a rendition the size of the box (a
 * 16 MB photo is not fetched for a 480 px view); the original is fetched once it is zoomed into.
 */
function HeatImage(props: {
  preview: string;
  original: string;
  width: number | null;
  height: number | null;
  heat: Heat | null;
  token: number;
  opacity: number;
}) {
  const { heat, token, opacity } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [view, setView] = useState({ zoom: 1, x: 0, y: 0 });
  const [zoomed, setZoomed] = useState(false);
  useEffect(() => {
    if (view.zoom > 1) setZoomed(true);
  }, [view.zoom]);
  const drag = useRef<{ x: number; y: number } | null>(null);
  const fit = props.width && props.height ? Math.min(BOX / props.width, BOX / props.height) : 1;
  const w = props.width && props.height ? Math.round(props.width * fit) : BOX;
  const h = props.width && props.height ? Math.round(props.height * fit) : BOX;
  const zoomBy = (f: number) =>
    setView((v) => {
      const zoom = Math.min(8, Math.max(1, v.zoom * f));
      return zoom === 1 ? { zoom, x: 0, y: 0 } : { ...v, zoom };
    });
  useKeys((e) => {
    if (typing(e)) return;
    if (e.key === '+' || e.key === '=') zoomBy(1.25);
    else if (e.key === '-') zoomBy(0.8);
    else if (e.key === '0') setView({ zoom: 1, x: 0, y: 0 });
  });
  useEffect(() => drawHeat(canvas.current!, heat, token, opacity), [heat, token, opacity]);
  return (
    <div
      className="heat-viewport"
      style={{ width: w, height: h }}
      data-testid="image-viewport"
      onWheel={(e) => zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15)}
      onPointerDown={(e) => {
        if (view.zoom === 1) return;
        drag.current = { x: e.clientX - view.x, y: e.clientY - view.y };
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => {
        const d = drag.current;
        if (!d) return;
        const lim = (n: number, size: number) => Math.max(-size * (view.zoom - 1), Math.min(0, n));
        setView((v) => ({ ...v, x: lim(e.clientX - d.x, w), y: lim(e.clientY - d.y, h) }));
      }}
      onPointerUp={() => {
        drag.current = null;
      }}
    >
      <div
        className="heat-image"
        style={{
          width: w,
          height: h,
          transform: `translate(${view.x}px, ${view.y}px) scale(${view.zoom})`,
          cursor: view.zoom > 1 ? 'grab' : 'zoom-in',
        }}
        data-zoom={view.zoom.toFixed(2)}
      >
        <img src={zoomed ? props.original : props.preview} alt="" data-testid="image" draggable={false} />
        <canvas ref={canvas} width={w} height={h} data-testid="heatmap" data-active={heat ? 'yes' : 'no'} />
      </div>
    </div>
  );
}
