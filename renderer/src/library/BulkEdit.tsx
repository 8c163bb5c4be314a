/**
 * The bulk-edit panel over the grid's selection (or everything the filters show): find/replace
 * (plain or regular expression), prepend/append a trigger word, strip a word or tag, case, white
 * space; a live preview of how many captions change (computed as the edit computes it), apply as
 * one step, undo and redo (also Ctrl+Z and Ctrl+Shift+Z).
 */
import { memo, useEffect, useState } from 'react';
import type { Request } from '../../../electron/core/api/contract.ts';
import { EDIT_CASES, type EditCase, type EditPreview } from '../../../electron/core/api/edit.ts';
import { call } from '../api.ts';

type Op = Request<'edit.apply'>['op'];
export type Target = { fileIds: number[] } | { library: NonNullable<Request<'edit.apply'>['library']> };
const KINDS = ['replace', 'prepend', 'append', 'strip', 'case', 'whitespace'] as const;
type Kind = (typeof KINDS)[number];

function operation(kind: Kind, f: Record<string, string>, regex: boolean, to: EditCase): Op | null {
  if (kind === 'replace') return f.find ? { kind, find: f.find, replace: f.replace ?? '', regex } : null;
  if (kind === 'case') return { kind, to };
  if (kind === 'whitespace') return { kind };
  return f.text ? { kind, text: f.text } : null;
}

/** Memoised: the grid re-renders as it scrolls, the panel only when its own props change. */
export const BulkEdit = memo(function BulkEdit(props: {
  /** how many images are selected (null: nothing, the panel waits) */
  count: number | null;
  target: () => Promise<Target>;
  /** the captions changed: reload what shows them */
  onChanged: () => void;
  onError: (e: unknown) => void;
}) {
  const { count, target, onChanged, onError } = props;
  const [kind, setKind] = useState<Kind>('replace');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [regex, setRegex] = useState(false);
  const [to, setTo] = useState<EditCase>('lower');
  const [preview, setPreview] = useState<EditPreview | null>(null);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const op = operation(kind, fields, regex, to);
  const key = JSON.stringify(op);

  // the live preview, a moment after typing stops
  // biome-ignore lint/correctness/useExhaustiveDependencies: the operation is keyed by its JSON
  useEffect(() => {
    setPreview(null);
    if (!op || !count) return;
    let stale = false;
    const t = setTimeout(async () => {
      try {
        const p = await call('edit.preview', { op, ...(await target()) });
        if (!stale) setPreview(p);
      } catch (e) {
        if (!stale) setStatus(e instanceof Error ? e.message : String(e));
      }
    }, 250);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [key, count, target]);

  const step = async (f: () => Promise<string>) => {
    setBusy(true);
    try {
      setStatus(await f());
      onChanged();
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };
  const apply = () =>
    step(async () => {
      const b = await call('edit.apply', { op: op!, ...(await target()), expect: preview?.changed });
      return `Changed ${b.changed} captions (${b.label})`;
    });
  const undo = () =>
    step(async () => {
      const r = await call('edit.undo', {});
      return r.batch ? `Undid ${r.batch.label} (${r.batch.changed} captions)` : 'Nothing to undo';
    });
  const redo = () =>
    step(async () => {
      const r = await call('edit.redo', {});
      return r.batch ? `Redid ${r.batch.label} (${r.batch.changed} captions)` : 'Nothing to redo';
    });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z' || t.closest('input, textarea')) return;
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const field = (name: string, label: string) => (
    <input
      aria-label={label}
      placeholder={label}
      value={fields[name] ?? ''}
      onChange={(e) => setFields({ ...fields, [name]: e.target.value })}
    />
  );
  return (
    <div className="bulk-edit toolbar" data-testid="bulk-edit">
      <span data-testid="selected-count">{count ? `${count} selected` : 'select images to edit'}</span>
      <select aria-label="Edit" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
        {KINDS.map((k) => (
          <option key={k}>{k}</option>
        ))}
      </select>
      {kind === 'replace' && (
        <>
          {field('find', 'Find')}
          {field('replace', 'Replace with')}
          <label>
            <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} /> regex
          </label>
        </>
      )}
      {['prepend', 'append', 'strip'].includes(kind) && field('text', 'Text')}
      {kind === 'case' && (
        <select aria-label="Case" value={to} onChange={(e) => setTo(e.target.value as EditCase)}>
          {EDIT_CASES.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      )}
      <span
        data-testid="edit-preview"
        data-changed={preview?.changed ?? ''}
        title={preview?.samples
          .slice(0, 5)
          .map((s) => `${s.before} → ${s.after}`)
          .join('\n')}
      >
        {preview ? `${preview.changed} of ${preview.images} captions change` : ''}
      </span>
      <button type="button" disabled={busy || !preview?.changed} onClick={apply}>
        Apply
      </button>
      <button type="button" disabled={busy} onClick={undo} title="Ctrl+Z">
        Undo
      </button>
      <button type="button" disabled={busy} onClick={redo} title="Ctrl+Shift+Z">
        Redo
      </button>
      <span data-testid="edit-status">{status}</span>
    </div>
  );
});
