import { useEffect, useState } from 'react';
import { decodingSummary } from '../../electron/core/api/decoding.ts';
import { clock } from '../../electron/core/api/format.ts';
import { call } from './api.ts';
import { useLive } from './live.ts';
import { ModelSelect } from './ModelSelect.tsx';
import { modelFields, taskField, useModels } from './models.ts';
import { RootSelect, useRoots } from './RootSelect.tsx';

/**
 * Start, pause, resume and cancel captioning jobs; they keep running while the user browses. The
 * list holds the jobs of every process (the CLI's too), from the database, its progress pushed.
 */
export function JobsPanel({ onError }: { onError: (e: unknown) => void }) {
  const { roots, rootId, setRootId } = useRoots(onError);
  const { installed, chosen, entry } = useModels(onError);
  const [jobs] = useLive('jobs.progress', 'jobs.list', onError);
  // the model's own default (generation_config.json) until the user picks another
  const modelBeams = entry?.defaults.num_beams ?? 1;
  const [beams, setBeams] = useState(modelBeams);
  useEffect(() => setBeams(modelBeams), [modelBeams]);
  return (
    <section className="jobs">
      <div className="toolbar">
        <RootSelect label="Folder to caption" roots={roots} rootId={rootId} onChange={setRootId} />
        <ModelSelect installed={installed} chosen={chosen} />
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
            call('jobs.start', {
              rootId,
              decoding: { num_beams: beams, num_return_sequences: beams, ...taskField(chosen, entry) },
              ...modelFields(chosen),
            }).catch(onError)
          }
        >
          Caption folder
        </button>
      </div>
      <table>
        <thead>
          <tr>
            <th>Job</th>
            <th>Folder</th>
            <th>Model</th>
            <th>Decoding</th>
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
              <td className="path">{j.folder}</td>
              <td>
                {j.model}
                {j.dtype && j.dtype !== 'fp32' ? ` (${j.dtype})` : ''}
              </td>
              <td>{decodingSummary(j.decoding)}</td>
              <td>{j.state}</td>
              <td>
                <progress max={j.total || 1} value={j.done} /> {j.done}/{j.total}
              </td>
              <td>{j.rate > 0 ? `${j.rate.toFixed(1)} img/s` : '–'}</td>
              <td>{j.state === 'running' ? clock(j.etaSeconds) : '–'}</td>
              <td title={j.errorList.map((e) => e.error).join('\n')}>{j.errors}</td>
              <td>
                {j.state === 'paused' && (
                  <button type="button" onClick={() => call('jobs.resume', { jobId: j.id }).catch(onError)}>
                    Resume
                  </button>
                )}
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
