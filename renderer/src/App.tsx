import { useCallback, useEffect, useState } from 'react';
import { SYNTHETIC_DOMAIN, syntheticWarning } from '../../electron/core/api/catalog.ts';
import type { Caller } from '../../electron/core/api/contract.ts';
import { call } from './api.ts';
import { Evaluation } from './Evaluation.tsx';
import { Export } from './Export.tsx';
import { ImageView } from './ImageView.tsx';
import { JobsPanel } from './JobsPanel.tsx';
import { Library } from './Library.tsx';
import { Models } from './Models.tsx';
import { useModels } from './models.ts';
import { Rating } from './Rating.tsx';
import { Review } from './rating/Review.tsx';
import { go, useRoute } from './route.ts';

/** Who this window is: the owner gets the studio, a rater's link its rating sessions only. */
export function App() {
  const [caller, setCaller] = useState<Caller | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call('auth.me', {}).then(setCaller, (e) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  if (caller?.role === 'owner') return <Studio />;
  if (caller?.role === 'rater') return <RaterStudio caller={caller} />;
  return (
    <div className="app">
      <main role={error ? 'alert' : 'status'}>{error ?? 'Loading…'}</main>
    </div>
  );
}

function RaterStudio({ caller }: { caller: Extract<Caller, { role: 'rater' }> }) {
  const route = useRoute();
  const [error, setError] = useState<string | null>(null);
  const onError = useCallback((e: unknown) => setError(e instanceof Error ? e.message : String(e)), []);
  return (
    <div className="app">
      <nav className="top">
        <strong>Caption Studio</strong> <span>rating as {caller.rater}</span>
      </nav>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
      <main>
        <Rating
          sessionId={route[0] === 'rate' && route[1] ? Number(route[1]) : null}
          rater={caller.rater}
          fixedRater
          onError={onError}
        />
      </main>
    </div>
  );
}

function Studio() {
  const route = useRoute();
  const [error, setError] = useState<string | null>(null);
  const view = route[0] ?? 'library';
  const onError = useCallback((e: unknown) => setError(e instanceof Error ? e.message : String(e)), []);
  const { entry } = useModels(onError);
  return (
    <div className="app">
      <nav className="top">
        <strong>Caption Studio</strong>
        {(['library', 'jobs', 'rate', 'evaluation', 'export', 'models'] as const).map((v) => (
          <button type="button" key={v} className={view === v ? 'active' : ''} onClick={() => go(v)}>
            {v === 'rate' ? 'Rating' : v[0].toUpperCase() + v.slice(1)}
          </button>
        ))}
      </nav>
      {entry?.domain === SYNTHETIC_DOMAIN && view !== 'models' && (
        <div className="banner" role="status" data-testid="default-model-banner">
          {syntheticWarning('pull a real captioner in the Models view')}.{' '}
          <button type="button" onClick={() => go('models')}>
            Open Models
          </button>
        </div>
      )}
      {error && (
        <div className="error" role="alert">
          {error}{' '}
          <button type="button" onClick={() => setError(null)}>
            dismiss
          </button>
        </div>
      )}
      <main>
        {view === 'library' && <Library onError={onError} />}
        {view === 'image' && <ImageView fileId={Number(route[1])} onError={onError} />}
        {view === 'review' && (
          <Review sessionId={Number(route[1])} position={Number(route[2] ?? 0)} onError={onError} />
        )}
        {view === 'jobs' && <JobsPanel onError={onError} />}
        {view === 'evaluation' && <Evaluation onError={onError} />}
        {view === 'export' && <Export onError={onError} />}
        {view === 'models' && <Models onError={onError} />}
        {view === 'rate' && (
          <Rating sessionId={route[1] ? Number(route[1]) : null} rater={route[2] ?? null} onError={onError} />
        )}
      </main>
    </div>
  );
}
