import { useEffect, useState } from 'react';
import type { Responses } from '../../electron/core/api/contract.ts';
import { call } from './api.ts';
import { RootSelect, useRoots } from './RootSelect.tsx';

const clock = (s: number | null) =>
  s === null ? '--:--' : `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;

/** Start, pause and cancel captioning jobs; they keep running while the user browses. */
export function JobsPanel({ onError }: { onError: (e: unknown) => void }) {
  const { roots, rootId, setRootId } = useRoots(onError);
  const [jobs, setJobs] = useState<Responses['jobs.list']>([]);
  const [beams, setBeams] = useState(3);
  useEffect(() => {
    const poll = () => call('jobs.list', {}).then(setJobs, onError);
    poll();
    const t = setInterval(poll, 500);
    return () => clearInterval(t);
  }, [onError]);
  return (
    <section className="jobs">
      <div className="toolbar">
        <RootSelect label="Folder to caption" roots={roots} rootId={rootId} onChange={setRootId} />
        <label>
          beams{' '}
          <input
            type="number"
            min={1}
            max={16}
            value={beams}
            onChange={(e) => setBeams(Number(e.target.value))}
          />
        </label>
        <button
          type="button"
          disabled={!rootId}
          onClick={() =>
            rootId &&
            call('jobs.start', { rootId, decoding: { num_beams: beams, num_return_sequences: beams } }).catch(
              onError,
            )
          }
        >
          Caption folder
        </button>
      </div>
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>State</th>
            <th>Progress</th>
            <th>Rate</th>
            <th>ETA</th>
            <th>Errors</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id} data-testid="job" data-state={j.state}>
              <td>{j.id}</td>
              <td>{j.state}</td>
              <td>
                <progress max={j.total || 1} value={j.done} /> {j.done}/{j.total}
              </td>
              <td>{j.rate.toFixed(1)} img/s</td>
              <td>{clock(j.etaSeconds)}</td>
              <td title={j.errorList.map((e) => e.error).join('\n')}>{j.errors}</td>
              <td>
                {j.state === 'running' && (
                  <>
                    <button
                      type="button"
                      onClick={() => call('jobs.stop', { jobId: j.id, action: 'pause' }).catch(onError)}
                    >
                      Pause
                    </button>
                    <button
                      type="button"
                      onClick={() => call('jobs.stop', { jobId: j.id, action: 'cancel' }).catch(onError)}
                    >
                      Cancel
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
