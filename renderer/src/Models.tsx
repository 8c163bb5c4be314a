import { useState } from 'react';
import { DTYPES, type Dtype } from '../../electron/core/api/contract.ts';
import { clock } from '../../electron/core/api/format.ts';
import { call } from './api.ts';
import { useLive } from './live.ts';
import { TaskSelect } from './ModelSelect.tsx';
import { canText, choose, useModels } from './models.ts';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** The installed models, known-good captioners to pull from the Hub, and downloads in progress. */
export function Models({ onError }: { onError: (e: unknown) => void }) {
  const { list, installed, chosen, refresh } = useModels(onError);
  // downloads run in the core: a reloaded page finds them, then follows their events
  const [pulls, addPull] = useLive('models.pull', 'models.pulls', onError);
  const [repo, setRepo] = useState('');
  const [dtype, setDtype] = useState<Dtype | ''>('');
  const pull = (r: string, d: Dtype | '') =>
    call('models.pull', { repo: r, ...(d ? { dtype: d } : {}) }).then(addPull, onError);

  if (!list) return <p>Loading…</p>;
  return (
    <section className="models">
      <h2>Installed</h2>
      <table data-testid="models-installed">
        <thead>
          <tr>
            <th>Model</th>
            <th>Architecture</th>
            <th>Variants</th>
            <th>Size</th>
            <th>Describes</th>
            <th>Tasks</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {installed.map((m) => (
            <tr
              key={m.ref}
              data-testid="model"
              data-ref={m.ref}
              className={m.ref === chosen.ref ? 'chosen' : ''}
            >
              <td title={m.path}>{m.name}</td>
              <td title={`${m.can?.family ?? '?'}: ${canText(m.can)}`}>{m.architecture ?? '?'}</td>
              <td>{m.dtypes.join(', ')}</td>
              <td>{mb(m.bytes)}</td>
              <td>{m.domain === 'synthetic-scenes' ? 'synthetic test scenes only' : (m.domain ?? '')}</td>
              <td>{m.ref === chosen.ref ? <TaskSelect entry={m} chosen={chosen} /> : m.tasks.join(', ')}</td>
              <td>
                {m.ref === chosen.ref ? (
                  <strong>in use</strong>
                ) : (
                  <button type="button" onClick={() => choose({ ref: m.ref })}>
                    Use for captioning
                  </button>
                )}
                {m.kind !== 'default' && (
                  <button
                    type="button"
                    aria-label={`Remove ${m.name}`}
                    onClick={() => call('models.remove', { ref: m.ref }).then(refresh, onError)}
                  >
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Get a captioner from the Hugging Face Hub</h2>
      <ul className="catalog">
        {list.catalog.map((c) => (
          <li key={c.repo}>
            <strong>{c.title}</strong> <code>{c.repo}</code> — {c.domain}; about{' '}
            {Object.entries(c.sizes)
              .map(([d, s]) => `${s} MB (${d})`)
              .join(', ')}
            , {c.licence}; {canText(c.can)}{' '}
            <button type="button" onClick={() => pull(c.repo, '')}>
              Pull {c.repo}
            </button>
          </li>
        ))}
      </ul>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          pull(repo.trim(), dtype);
        }}
      >
        <input
          aria-label="Repository id"
          placeholder="any repository: ORG/NAME[@REVISION]"
          value={repo}
          onChange={(e) => setRepo(e.target.value)}
        />
        <select
          aria-label="Download variant"
          value={dtype}
          onChange={(e) => setDtype(e.target.value as Dtype | '')}
        >
          <option value="">fp32 if present, else the smallest</option>
          {DTYPES.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
        <button type="submit" disabled={!repo.trim()}>
          Pull
        </button>
      </form>

      {pulls.length > 0 && <h2>Downloads</h2>}
      <ul className="pulls">
        {pulls.map((p) => (
          <li key={p.id} data-testid="pull" data-state={p.state}>
            <strong>
              {p.repo} ({p.dtype})
            </strong>{' '}
            <progress max={p.totalBytes || 1} value={p.doneBytes} />{' '}
            <span data-testid="pull-progress">
              {mb(p.doneBytes)} / {mb(p.totalBytes)} · {mb(p.rate)}/s · ETA {clock(p.etaSeconds)} · {p.state}
            </span>
            {p.error && <span className="error"> {p.error}</span>}
            {p.state === 'running' && (
              <button type="button" onClick={() => call('models.cancelPull', { id: p.id }).catch(onError)}>
                Cancel
              </button>
            )}
            {p.state === 'done' && p.repo !== chosen.ref && (
              <button type="button" onClick={() => choose({ ref: p.repo })}>
                Use {p.repo}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
