import { useCallback, useEffect, useRef, useState } from 'react';
import {
  type LibraryFilter as Filter,
  LIBRARY_FILTERS,
  type Responses,
} from '../../electron/core/api/contract.ts';
import { decodingLabel } from '../../electron/core/api/decoding.ts';
import type { ImageRow } from '../../electron/core/api/types.ts';
import { call, mediaUrl } from './api.ts';
import { BulkEdit, type Target } from './library/BulkEdit.tsx';
import { ListRow } from './library/ListRow.tsx';
import { MeaningSearch } from './library/MeaningSearch.tsx';
import './library/library.css';
import { clicked, NONE, useSelection } from './library/selection.ts';
import { go } from './route.ts';

const TILE = 180; // px, square tiles incl. caption strip
const PAGE = 200;
const ROW = 44; // px, the list view's rows

/** State kept for this tab's session (sessionStorage), so coming back shows the same thing. */
function useRemembered<T>(key: string, initial: T): [T, (v: T) => void] {
  const [v, setV] = useState<T>(() => {
    const saved = sessionStorage.getItem(key);
    return saved === null ? initial : (JSON.parse(saved) as T);
  });
  const set = useCallback(
    (next: T) => {
      if (next === undefined) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(next));
      setV(next);
    },
    [key],
  );
  return [v, set];
}

export function Library({ onError }: { onError: (e: unknown) => void }) {
  // null until the first answer: an empty library's hint is not flashed while loading
  const [roots, setRoots] = useState<Responses['library.roots'] | null>(null);
  const [path, setPath] = useState('');
  // the folder and filter survive a visit to an image (Esc comes back to the same grid)
  const [rootId, setRootId] = useRemembered<number | undefined>('cs-library-root', undefined);
  const [filter, setFilter] = useRemembered<Filter>('cs-library-filter', 'all');
  const [search, setSearch] = useState('');
  const [view, setView] = useRemembered<'grid' | 'list'>('cs-library-view', 'grid');
  const [runs, setRuns] = useState<Responses['library.runs']>([]);
  const [run, setRun] = useState('');
  const [busy, setBusy] = useState(false);
  const refreshRoots = useCallback(() => call('library.roots', {}).then(setRoots, onError), [onError]);
  useEffect(() => {
    refreshRoots();
    call('library.runs', {}).then(setRuns, onError);
  }, [refreshRoots, onError]);

  const add = async () => {
    setBusy(true);
    try {
      const r = await call('library.addRoot', { path });
      setPath('');
      setRootId(r.id);
      await refreshRoots();
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  };

  // in the toolbar, or in the empty library's hint (the one thing to do first)
  const addFolder = (
    <>
      <input
        aria-label="Folder path"
        placeholder="/path/to/photos"
        value={path}
        onChange={(e) => setPath(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && path && !busy && add()}
      />
      <button type="button" disabled={!path || busy} onClick={add}>
        {busy ? 'Scanning…' : 'Add folder'}
      </button>
    </>
  );
  return (
    <section className="library">
      <div className="toolbar">
        {roots?.length !== 0 && addFolder}
        <select aria-label="Filter" value={filter} onChange={(e) => setFilter(e.target.value as Filter)}>
          {LIBRARY_FILTERS.map((f) => (
            <option key={f}>{f}</option>
          ))}
        </select>
        <select aria-label="Caption run" value={run} onChange={(e) => setRun(e.target.value)}>
          <option value="">any model run</option>
          {runs.map((r) => (
            <option key={`${r.modelId}:${r.configId}`} value={`${r.modelId}:${r.configId}`}>
              {r.model}, {decodingLabel(r.decoding)} ({r.images})
            </option>
          ))}
        </select>
        <button type="button" onClick={() => setView(view === 'grid' ? 'list' : 'grid')}>
          {view === 'grid' ? 'List view' : 'Grid view'}
        </button>
        <input
          aria-label="Search captions"
          placeholder="search captions"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <ul className="roots">
        {(roots ?? []).map((r) => (
          <li key={r.id} className={r.id === rootId ? 'active' : ''}>
            <button type="button" onClick={() => setRootId(r.id === rootId ? undefined : r.id)}>
              {r.path}
            </button>{' '}
            <span className="counts" data-testid={`root-counts-${r.id}`}>
              {r.images} images, {r.captioned} captioned, {r.errors} errors
            </span>{' '}
            <button
              type="button"
              onClick={() => {
                if (
                  !confirm(
                    `Remove ${r.path} from the library? Its files stay on disk, and its captions and ratings are kept: adding the folder again shows them.`,
                  )
                )
                  return;
                if (rootId === r.id) setRootId(undefined);
                call('library.removeRoot', { rootId: r.id }).then(refreshRoots, onError);
              }}
              aria-label={`Remove ${r.path}`}
            >
              ✕
            </button>
          </li>
        ))}
      </ul>
      {roots?.length !== 0 && <MeaningSearch rootId={rootId} onError={onError} />}
      {roots?.length === 0 && (
        <div className="empty-hint" data-testid="empty-library">
          <p>
            Your library is empty. Add a folder of photos to caption: they are read where they are, never
            moved or changed.
          </p>
          {addFolder}
        </div>
      )}
      <Grid
        key={`${rootId}-${filter}-${run}-${search}-${(roots ?? []).map((r) => r.captioned).join()}`}
        rootId={rootId}
        filter={filter}
        run={run}
        search={search}
        view={view}
        onError={onError}
      />
    </section>
  );
}

/**
 * Why a file cannot be read, without the path it starts with (a tile is too narrow for both: the
 * path, in full, is the tile's title).
 */
export function errorReason(row: { rel: string; error: string | null }): string {
  const error = row.error ?? '';
  const at = error.lastIndexOf(`${row.rel}: `);
  return at < 0 ? error : error.slice(at + row.rel.length + 2);
}

/**
 * A virtualised grid: only the rows in view (plus a small overscan) are in the DOM, and images
 * are fetched a page at a time as they scroll into view, so 100k images stay smooth.
 */
function Grid(props: {
  rootId?: number;
  filter: Filter;
  /** '' or 'modelId:configId' */
  run: string;
  search: string;
  view: 'grid' | 'list';
  onError: (e: unknown) => void;
}) {
  const { rootId, filter, run: runKey, search, onError } = props;
  const list = props.view === 'list';
  const H = list ? ROW : TILE;
  const box = useRef<HTMLDivElement>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [pages, setPages] = useState<Map<number, ImageRow[]>>(new Map());
  const loading = useRef(new Set<number>());
  const [scroll, setScroll] = useState({ top: 0, height: 600, width: 900 });
  const [focusIndex, setFocusIndex] = useState<number | null>(null);

  const load = useCallback(
    (page: number) => {
      if (loading.current.has(page)) return;
      loading.current.add(page);
      const run = runKey
        ? { modelId: Number(runKey.split(':')[0]), configId: Number(runKey.split(':')[1]) }
        : undefined;
      call('library.images', { rootId, filter, run, search, offset: page * PAGE, limit: PAGE }).then((r) => {
        setTotal(r.total);
        setPages((m) => new Map(m).set(page, r.items));
      }, onError);
    },
    [rootId, filter, runKey, search, onError],
  );
  useEffect(() => load(0), [load]);
  const [selection, setSelection, selected] = useSelection();
  const runOf = () =>
    runKey ? { modelId: Number(runKey.split(':')[0]), configId: Number(runKey.split(':')[1]) } : undefined;
  // the selection as an edit's target: every file the filters show, or the selected ones' ids
  // biome-ignore lint/correctness/useExhaustiveDependencies: pages only spare requests; runOf follows runKey
  const target = useCallback(async (): Promise<Target> => {
    if (selection.all) return { library: { rootId, filter, run: runOf(), search } };
    const byPage = new Map<number, ImageRow[]>(pages);
    for (const page of new Set([...selection.indices].map((i) => Math.floor(i / PAGE))))
      if (!byPage.has(page))
        byPage.set(
          page,
          (
            await call('library.images', {
              rootId,
              filter,
              run: runOf(),
              search,
              offset: page * PAGE,
              limit: PAGE,
            })
          ).items,
        );
    const ids = [...selection.indices].map((i) => byPage.get(Math.floor(i / PAGE))?.[i % PAGE]?.fileId);
    return { fileIds: ids.filter((id): id is number => id !== undefined) };
  }, [selection, rootId, filter, runKey, search]);
  const reload = useCallback(() => {
    loading.current.clear();
    setPages(new Map());
  }, []);
  useEffect(() => {
    const el = box.current!;
    const measure = () => setScroll({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    el.addEventListener('scroll', measure, { passive: true });
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', measure);
    };
  }, []);

  const cols = list ? 1 : Math.max(1, Math.floor(scroll.width / TILE));
  const rows = Math.ceil((total ?? 0) / cols);
  const first = Math.max(0, Math.floor(scroll.top / H) - 2);
  const last = Math.min(rows, Math.ceil((scroll.top + scroll.height) / H) + 2);
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
  // arrow keys move between tiles (scrolling the next one into view), Enter opens one
  useEffect(() => {
    if (focusIndex === null) return;
    box.current?.querySelector<HTMLElement>(`[data-index="${focusIndex}"]`)?.focus({ preventScroll: true });
  });
  const onKeyDown = (e: React.KeyboardEvent) => {
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
  };
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
                onSelect={(e) => setSelection(clicked(selection, index, { shift: e.shiftKey, toggle: true }))}
                onSaved={reload}
                onError={onError}
              />
            ) : (
              <button
                type="button"
                key={index}
                className={`tile ${row?.status ?? ''}${selected(index) ? ' selected' : ''}`}
                aria-pressed={selected(index)}
                style={{
                  top: Math.floor(index / cols) * TILE,
                  left: (index % cols) * TILE,
                  width: TILE - 8,
                  height: TILE - 8,
                }}
                onClick={(e) => {
                  // shift-click: a range from the last one picked; ctrl/cmd-click: one more or less
                  if (e.shiftKey || e.ctrlKey || e.metaKey)
                    setSelection(
                      clicked(selection, index, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey }),
                    );
                  else if (row) go('image', row.fileId);
                }}
                title={row ? (row.error ?? row.rel) : ''}
                data-testid="tile"
                data-index={index}
                onFocus={() => setFocusIndex(index)}
                onKeyDown={onKeyDown}
              >
                <span
                  className="tile-select"
                  aria-hidden="true"
                  data-testid="tile-select"
                  onClick={(e) => {
                    e.stopPropagation();
                    setSelection(clicked(selection, index, { shift: e.shiftKey, toggle: true }));
                  }}
                  onKeyDown={() => {}}
                />
                {row && row.status !== 'error' && (
                  <img alt={row.rel} loading="lazy" src={mediaUrl('thumb', row.fileId, { hash: row.hash })} />
                )}
                <span className="tile-caption" data-testid="tile-caption">
                  {row ? (row.error ? `⚠ ${errorReason(row)}` : (row.caption ?? row.rel)) : '…'}
                </span>
              </button>
            ),
          )}
        </div>
      </div>
    </>
  );
}
