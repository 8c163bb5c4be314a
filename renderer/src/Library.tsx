import { useCallback, useEffect, useRef, useState } from 'react';
import {
  type LibraryFilter as Filter,
  LIBRARY_FILTERS,
  type Responses,
} from '../../electron/core/api/contract.ts';
import { decodingLabel } from '../../electron/core/api/decoding.ts';
import { call } from './api.ts';
import { typing, useKeys } from './keys.ts';
import { Grid, runOf } from './library/Grid.tsx';
import { MeaningSearch } from './library/MeaningSearch.tsx';
import { Words } from './library/Words.tsx';
import { go } from './route.ts';
import './library/library.css';

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
  const [name, setName] = useState('');
  const [desc, setDesc] = useRemembered('cs-library-desc', false);
  // '/' goes to the caption search, as in most apps with a list to search
  const searchBox = useRef<HTMLInputElement>(null);
  useKeys((e) => {
    if (e.key === '/' && !typing(e) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      searchBox.current?.focus();
    }
  });
  const [view, setView] = useRemembered<'grid' | 'list'>('cs-library-view', 'grid');
  const [runs, setRuns] = useState<Responses['library.runs']>([]);
  // the review queue: lowest CLIPScore first under a scorer with stored scores
  const [scorers, setScorers] = useState<Responses['library.scorers']>([]);
  const [review, setReview] = useRemembered<number | undefined>('cs-library-review', undefined);
  const [run, setRun] = useState('');
  const [busy, setBusy] = useState(false);
  const refreshRoots = useCallback(() => call('library.roots', {}).then(setRoots, onError), [onError]);
  useEffect(() => {
    refreshRoots();
    call('library.runs', {}).then(setRuns, onError);
    call('library.scorers', {}).then(setScorers, onError);
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
        {scorers.length > 0 && (
          <select
            aria-label="Order"
            value={review ?? ''}
            onChange={(e) => setReview(e.target.value ? Number(e.target.value) : undefined)}
          >
            <option value="">by file name</option>
            {scorers.map((s) => (
              <option key={s.id} value={s.id}>
                Review: lowest CLIPScore first{scorers.length > 1 ? ` (${s.name}, ${s.dtype ?? '?'})` : ''}
              </option>
            ))}
          </select>
        )}
        {review !== undefined && rootId !== undefined && (
          <button
            type="button"
            title="a rating session of this folder's first 100 images in this order (blind)"
            onClick={() =>
              call('sessions.create', {
                name: `Review: lowest CLIPScore first (${new Date().toLocaleString()})`,
                rootId,
                review,
              }).then(() => go('rate'), onError)
            }
          >
            Rating session from this order
          </button>
        )}
        <button type="button" onClick={() => setView(view === 'grid' ? 'list' : 'grid')}>
          {view === 'grid' ? 'List view' : 'Grid view'}
        </button>
        <input
          ref={searchBox}
          aria-label="Search captions"
          placeholder="search captions ( / )"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <input
          aria-label="Search file names"
          placeholder="search file names"
          value={name}
          onChange={(e) => setName(e.target.value)}
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
      <Words
        library={{ rootId, filter, run: runOf(run), search, name }}
        onPick={setSearch}
        onError={onError}
      />
      <Grid
        key={`${rootId}-${filter}-${run}-${search}-${name}-${desc}-${review}-${(roots ?? []).map((r) => r.captioned).join()}`}
        rootId={rootId}
        filter={filter}
        run={run}
        search={search}
        name={name}
        desc={desc}
        review={scorers.some((s) => s.id === review) ? review : undefined}
        onSort={setDesc}
        view={view}
        onError={onError}
      />
    </section>
  );
}
