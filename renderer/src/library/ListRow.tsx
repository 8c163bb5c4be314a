/**
 * A row of the library's list view: selection mark, thumbnail, file name (opens the image), and
 * the caption, editable in place: Enter saves it as a human edit (one undoable step, like a bulk
 * edit), Esc cancels; leaving the cell with changed text saves it, so no edit is lost silently.
 */
import { useState } from 'react';
import type { ImageRow } from '../../../electron/core/api/types.ts';
import { call, mediaUrl } from '../api.ts';
import { go } from '../route.ts';

export function ListRow(props: {
  row: ImageRow | undefined;
  index: number;
  top: number;
  height: number;
  selected: boolean;
  onSelect: (e: React.MouseEvent) => void;
  onSaved: () => void;
  onError: (e: unknown) => void;
}) {
  const { row, index, top, height, selected, onSelect, onSaved, onError } = props;
  const [text, setText] = useState<string | null>(null);
  const save = async () => {
    if (text === null || !row) return;
    const t = text.trim();
    setText(null);
    if (!t || t === row.caption) return;
    try {
      await call('edit.apply', { op: { kind: 'set', text: t }, fileIds: [row.fileId] });
      onSaved();
    } catch (e) {
      onError(e);
    }
  };
  return (
    <div
      className={`list-row${selected ? ' selected' : ''}`}
      style={{ top, height }}
      data-testid="list-row"
      data-index={index}
    >
      <button
        type="button"
        className="tile-select"
        aria-label="Select"
        aria-pressed={selected}
        onClick={onSelect}
        data-testid="tile-select"
      />
      {row && row.status !== 'error' ? (
        <img alt="" loading="lazy" src={mediaUrl('thumb', row.fileId, { hash: row.hash })} />
      ) : (
        <span className="list-thumb" />
      )}
      <button
        type="button"
        className="list-name"
        title={row?.rel}
        onClick={() => row && go('image', row.fileId)}
      >
        {row?.rel ?? '…'}
      </button>
      {text === null ? (
        <button
          type="button"
          className="list-caption"
          data-testid="list-caption"
          disabled={!row?.caption}
          onClick={() => setText(row?.caption ?? '')}
        >
          {row?.error ?? row?.caption ?? ''}
        </button>
      ) : (
        <input
          aria-label="Caption"
          className="list-caption"
          // biome-ignore lint/a11y/noAutofocus: the cell the user just clicked to edit
          autoFocus
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') save();
            if (e.key === 'Escape') {
              e.stopPropagation();
              setText(null);
            }
          }}
          onBlur={save}
        />
      )}
    </div>
  );
}
