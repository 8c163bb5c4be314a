/**
 * The library's files under its filters, as a grid of tiles or a list of rows, virtualised: only
 * the rows in view (plus a small overscan) are in the DOM, the view re-renders only when which
 * rows are in view changes (not on every scroll event), rows and tiles are memoised so a scroll
 * renders the new ones alone, a thumbnail is asked for once its row has stayed in view a moment
 * (settled.ts), and files are fetched a page at a time (the next page before it is reached), so
 * 100k files scroll smoothly.
 */
import { memo, useCallback, useEffect, useRef, useState } from 'react';
import type { LibraryFilter as Filter } from '../../../electron/core/api/contract.ts';
import type { ImageRow } from '../../../electron/core/api/types.ts';
import { call, mediaUrl } from '../api.ts';
import { go } from '../route.ts';
import { BulkEdit, type Target } from './BulkEdit.tsx';
import { ListHeader, ListRow } from './ListRow.tsx';
import { clicked, NONE, useSelection } from './selection.ts';
import { useSettled } from './settled.ts';

const TILE = 180; // px, square tiles incl. caption strip
const PAGE = 200;
const ROW = 44; // px, the list view's rows
const OVERSCAN = 2; // rows drawn beyond each edge of the view

/**
 * Why a file cannot be read, without the path it starts with (a tile is too narrow for both: the
 * path, in full, is the tile's title).
 */
export function errorReason(row: { rel: string; error: string | null }): string {
  const error = row.error ?? '';
  const at = error.lastIndexOf(`${row.rel}: `);
  return at < 0 ? error : error.slice(at + row.rel.length + 2);
}

/** A caption run's filter value ('modelId:configId', '' for any) as the API takes it. */
export const runOf = (key: string) =>
  key ? { modelId: Number(key.split(':')[0]), configId: Number(key.split(':')[1]) } : undefined;

export interface LibraryQuery {
  rootId?: number;
  filter: Filter;
  /** '' or 'modelId:configId' */
  run: string;
  search: string;
  /** part of the file's path inside its folder */
  name: string;
  /** by path, Z to A */
  desc: boolean;
  /** the review queue: lowest CLIPScore under this scorer (its id) first, instead of by path */
  review?: number;
}

/** Which rows of the view are drawn: from `first` to before `last`, `cols` files a row. */
interface Range {
  first: number;
  last: number;
  cols: number;
}

export function Grid(
  props: LibraryQuery & {
    view: 'grid' | 'list';
    onSort: (desc: boolean) => void;
    onError: (e: unknown) => void;
  },
) {
  const { rootId, filter, run: runKey, search, name, desc, review, onError } = props;
  const list = props.view === 'list';
  const H = list ? ROW : TILE;
  const box = useRef<HTMLDivElement>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [pages, setPages] = useState<Map<number, ImageRow[]>>(new Map());
  const loading = useRef(new Set<number>());
  const [range, setRange] = useState<Range>({ first: 0, last: 0, cols: 1 });
  const [focusIndex, setFocusIndex] = useState<number | null>(null);
  const run = useCallback(() => runOf(runKey), [runKey]);
  const query = useCallback(
    (page: number) =>
      call('library.images', {
        rootId,
        filter,
        run: run(),
        search,
        name,
        desc,
        ...(review ? { order: 'clip' as const, scorer: review } : {}),
        offset: page * PAGE,
        limit: PAGE,
      }),
    [rootId, filter, run, search, name, desc, review],
  );

  const load = useCallback(
    (page: number) => {
      if (page < 0 || loading.current.has(page)) return;
      loading.current.add(page);
      query(page).then((r) => {
        setTotal(r.total);
        setPages((m) => new Map(m).set(page, r.items));
      }, onError);
    },
    [query, onError],
  );
  useEffect(() => load(0), [load]);
  const [selection, setSelection, selected] = useSelection();
  // the selection as an edit's target: every file the filters show, or the selected ones' ids
  // biome-ignore lint/correctness/useExhaustiveDependencies: pages only spare requests
  const target = useCallback(async (): Promise<Target> => {
    if (selection.all) return { library: { rootId, filter, run: run(), search, name } };
    const byPage = new Map<number, ImageRow[]>(pages);
    for (const page of new Set([...selection.indices].map((i) => Math.floor(i / PAGE))))
      if (!byPage.has(page)) byPage.set(page, (await query(page)).items);
    const ids = [...selection.indices].map((i) => byPage.get(Math.floor(i / PAGE))?.[i % PAGE]?.fileId);
    return { fileIds: ids.filter((id): id is number => id !== undefined) };
  }, [selection, rootId, filter, run, search, name, query]);
  const reload = useCallback(() => {
    loading.current.clear();
    setPages(new Map());
  }, []);
  // which rows are in view: state changes only when they do, not on every scroll event
  useEffect(() => {
    const el = box.current!;
    const measure = () => {
      const cols = list ? 1 : Math.max(1, Math.floor(el.clientWidth / TILE));
      const first = Math.max(0, Math.floor(el.scrollTop / H) - OVERSCAN);
      const last = Math.ceil((el.scrollTop + el.clientHeight) / H) + OVERSCAN;
      setRange((r) => (r.first === first && r.last === last && r.cols === cols ? r : { first, last, cols }));
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    el.addEventListener('scroll', measure, { passive: true });
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', measure);
    };
  }, [list, H]);

  const { cols } = range;
  const rows = Math.ceil((total ?? 0) / cols);
  const first = Math.min(range.first, rows);
  const last = Math.min(rows, range.last);
  const cells: { index: number; row: ImageRow | undefined }[] = [];
  for (let r = first; r < last; r++) {
    for (let c = 0; c < cols; c++) {
      const index = r * cols + c;
      if (index >= (total ?? 0)) break;
      const page = Math.floor(index / PAGE);
      const items = pages.get(page);
      if (!items) load(page);
      cells.push({ index, row: items?.[index - page * PAGE] });
    }
  }
  // the pages half a page beyond each edge, fetched before they are reached
  if (total) {
    for (const edge of [first * cols - PAGE / 2, last * cols + PAGE / 2]) {
      const page = Math.floor(Math.min(total - 1, Math.max(0, edge)) / PAGE);
      if (!pages.has(page)) load(page);
    }
  }
  // arrow keys move between tiles (scrolling the next one into view), Enter opens one
  useEffect(() => {
    if (focusIndex === null) return;
    box.current?.querySelector<HTMLElement>(`[data-index="${focusIndex}"]`)?.focus({ preventScroll: true });
  });
  const onKeyDown = useCallback(
    (e: React.KeyboardEvent) => {
      const at = Number((e.target as HTMLElement).dataset.index);
      const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols }[e.key];
      if (step === undefined || Number.isNaN(at) || !total) return;
      e.preventDefault();
      const next = Math.min(total - 1, Math.max(0, at + step));
      const el = box.current!;
      const top = Math.floor(next / cols) * H;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + H > el.scrollTop + el.clientHeight) el.scrollTop = top + H - el.clientHeight;
      setFocusIndex(next);
    },
    [cols, total, H],
  );
  // one handler for every row and tile (memoised rows keep it), reading the selection of the moment
  const now = useRef(selection);
  now.current = selection;
  const pick = useCallback(
    (index: number, mods: { shift: boolean; toggle: boolean }) =>
      setSelection(clicked(now.current, index, mods)),
    [setSelection],
  );
  const count = selection.all ? total : selection.indices.size || null;
  return (
    <>
      <div className="toolbar selection">
        <button type="button" disabled={!total} onClick={() => setSelection({ ...NONE, all: true })}>
          Select all{total ? ` (${total})` : ''}
        </button>
        <button type="button" disabled={!count} onClick={() => setSelection(NONE)}>
          Clear selection
        </button>
      </div>
      <BulkEdit count={count} target={target} onChanged={reload} onError={onError} />
      {list && <ListHeader desc={desc} onSort={props.onSort} />}
      <div className="grid" ref={box} data-testid="grid" data-total={total ?? ''}>
        <div style={{ height: rows * H, position: 'relative' }}>
          {cells.map(({ index, row }) =>
            list ? (
              <ListRow
                key={index}
                row={row}
                index={index}
                top={index * ROW}
                height={ROW - 4}
                selected={selected(index)}
                onPick={pick}
                onSaved={reload}
                onError={onError}
              />
            ) : (
              <Tile
                key={index}
                row={row}
                index={index}
                cols={cols}
                selected={selected(index)}
                onPick={pick}
                onFocusIndex={setFocusIndex}
                onKeyDown={onKeyDown}
              />
            ),
          )}
        </div>
      </div>
    </>
  );
}

const Tile = memo(function Tile(props: {
  row: ImageRow | undefined;
  index: number;
  cols: number;
  selected: boolean;
  onPick: (index: number, mods: { shift: boolean; toggle: boolean }) => void;
  onFocusIndex: (index: number) => void;
  onKeyDown: (e: React.KeyboardEvent) => void;
}) {
  const { row, index, cols, selected, onPick } = props;
  const settled = useSettled();
  return (
    <button
      type="button"
      className={`tile ${row?.status ?? ''}${selected ? ' selected' : ''}`}
      aria-pressed={selected}
      style={{
        top: Math.floor(index / cols) * TILE,
        left: (index % cols) * TILE,
        width: TILE - 8,
        height: TILE - 8,
      }}
      onClick={(e) => {
        // shift-click: a range from the last one picked; ctrl/cmd-click: one more or less
        if (e.shiftKey || e.ctrlKey || e.metaKey)
          onPick(index, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
        else if (row) go('image', row.fileId);
      }}
      title={row ? (row.error ?? row.rel) : ''}
      data-testid="tile"
      data-index={index}
      onFocus={() => props.onFocusIndex(index)}
      onKeyDown={props.onKeyDown}
    >
      <span
        className="tile-select"
        aria-hidden="true"
        data-testid="tile-select"
        onClick={(e) => {
          e.stopPropagation();
          onPick(index, { shift: e.shiftKey, toggle: true });
        }}
        onKeyDown={() => {}}
      />
      {row && row.status !== 'error' && settled && (
        <img
          alt={row.rel}
          loading="lazy"
          decoding="async"
          src={mediaUrl('thumb', row.fileId, { hash: row.hash })}
        />
      )}
      <span className="tile-caption" data-testid="tile-caption">
        {row ? (row.error ? `⚠ ${errorReason(row)}` : (row.caption ?? row.rel)) : '…'}
      </span>
    </button>
  );
});
