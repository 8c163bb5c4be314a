import { useEffect, useState } from 'react';
import {
  EXPORT_FORMATS,
  EXPORT_POLICIES,
  type ExportFormat,
  type ExportPolicy,
  IMAGE_MODES,
  type Request,
  type Responses,
  SPLITS,
} from '../../electron/core/api/contract.ts';
import type { ExportPreview } from '../../electron/core/api/types.ts';
import { call } from './api.ts';

const FILE_FORMATS: ExportFormat[] = ['coco', 'coco-results', 'csv'];

const POLICY_HELP: Record<ExportPolicy, string> = {
  best: "each image's highest-rated caption, else its human edit, else the top beam of its latest run",
  latest: 'the top beam of each image’s latest run',
  human: 'every caption a person wrote or edited',
  rated: 'every caption with ratings',
  all: 'every caption',
};

/**
 * The dataset export: the same options as `caption-studio export`, a preview of the first rows
 * as they will be written and the row count (updated as the options change), then Export.
 */
export function Export({ onError }: { onError: (e: unknown) => void }) {
  const [format, setFormat] = useState<ExportFormat>('imagefolder');
  const [policy, setPolicy] = useState<ExportPolicy>('best');
  const [out, setOut] = useState('');
  const [beside, setBeside] = useState(false);
  const [images, setImages] = useState<(typeof IMAGE_MODES)[number]>('copy');
  const [split, setSplit] = useState('');
  const [minRating, setMinRating] = useState('');
  const [raters, setRaters] = useState('');
  const [sessions, setSessions] = useState<number[]>([]);
  const [allSessions, setAllSessions] = useState<Responses['sessions.list']>([]);
  useEffect(() => {
    call('sessions.list', {}).then(setAllSessions, onError);
  }, [onError]);
  const raterList = raters
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const [overwrite, setOverwrite] = useState(false);
  const [preview, setPreview] = useState<ExportPreview | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const sidecarsBeside = format === 'sidecars' && beside;
  const folder = !FILE_FORMATS.includes(format) && !sidecarsBeside;
  const request: Request<'export.run'> = {
    format,
    policy,
    out: sidecarsBeside || !out.trim() ? undefined : out.trim(),
    beside: sidecarsBeside,
    images,
    split: (split || undefined) as Request<'export.run'>['split'],
    minRating: minRating ? Number(minRating) : undefined,
    raters: raterList.length ? raterList : undefined,
    sessions: sessions.length ? sessions : undefined,
    overwrite,
  };
  const key = JSON.stringify(request);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the request is keyed by its JSON
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      // without a target there is nothing to name yet: preview as if writing to a placeholder
      const r = request.out || sidecarsBeside ? request : { ...request, out: '/preview' };
      call('export.preview', r).then(
        (p) => live && setPreview(p),
        () => live && setPreview(null),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [key]);

  return (
    <section className="export-view">
      <h2>Export a dataset</h2>
      <form
        className="export-form"
        onSubmit={(e) => {
          e.preventDefault();
          setDone(null);
          call('export.run', request).then((r) => {
            const where = r.written.length === 1 ? r.written[0] : `${r.written.length} files`;
            setDone(`Exported ${r.rows} rows as ${r.format} to ${where}${r.note ? `: ${r.note}` : ''}`);
          }, onError);
        }}
      >
        <label>
          Format
          <select
            aria-label="Export format"
            value={format}
            onChange={(e) => setFormat(e.target.value as ExportFormat)}
          >
            {EXPORT_FORMATS.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
        <label title={POLICY_HELP[policy]}>
          Captions
          <select
            aria-label="Captions to export"
            value={policy}
            onChange={(e) => setPolicy(e.target.value as ExportPolicy)}
            disabled={format.startsWith('preferences')}
          >
            {EXPORT_POLICIES.map((p) => (
              <option key={p} value={p}>
                {p}: {POLICY_HELP[p]}
              </option>
            ))}
          </select>
        </label>
        {format === 'sidecars' && (
          <label>
            <input type="checkbox" checked={beside} onChange={(e) => setBeside(e.target.checked)} /> write
            each .txt next to its photo
          </label>
        )}
        {!sidecarsBeside && (
          <label>
            {folder ? 'Folder' : 'File'}
            <input
              aria-label="Export to"
              placeholder={folder ? '/path/to/new-folder' : '/path/to/file'}
              value={out}
              onChange={(e) => setOut(e.target.value)}
            />
          </label>
        )}
        {folder && (
          <label>
            Photos
            <select
              aria-label="Photos in the folder"
              value={images}
              onChange={(e) => setImages(e.target.value as 'copy')}
            >
              {IMAGE_MODES.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          Split
          <select aria-label="Split" value={split} onChange={(e) => setSplit(e.target.value)}>
            <option value="">all</option>
            {SPLITS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Minimum rating
          <input
            aria-label="Minimum rating"
            type="number"
            min={1}
            max={5}
            step={0.5}
            value={minRating}
            onChange={(e) => setMinRating(e.target.value)}
          />
        </label>
        <label>
          Ratings by (comma-separated; empty: everyone)
          <input aria-label="Raters" value={raters} onChange={(e) => setRaters(e.target.value)} />
        </label>
        <label>
          Ratings from sessions (none chosen: all)
          <select
            aria-label="Sessions"
            multiple
            value={sessions.map(String)}
            onChange={(e) => setSessions([...e.target.selectedOptions].map((o) => Number(o.value)))}
          >
            {allSessions.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} />{' '}
          replace an earlier export at this place
        </label>
        <button type="submit" disabled={!sidecarsBeside && !out.trim()}>
          Export
        </button>
      </form>
      {done && (
        <p role="status" data-testid="export-done">
          {done}
        </p>
      )}
      <h3>Preview</h3>
      {preview && (
        <div data-testid="export-preview">
          <p data-testid="export-rows">
            {preview.rows} {preview.rows === 1 ? 'row' : 'rows'}
            {preview.note ? `: ${preview.note}` : ''}
          </p>
          <pre className="preview">{preview.records.join('\n')}</pre>
          {preview.rows > preview.records.length && <p>… and {preview.rows - preview.records.length} more</p>}
        </div>
      )}
    </section>
  );
}
