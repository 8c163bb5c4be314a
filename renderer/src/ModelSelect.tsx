import type { Dtype } from '../../electron/core/api/contract.ts';
import type { Task } from '../../electron/core/api/decoding.ts';
import type { ModelEntry } from '../../electron/core/api/types.ts';
import { type Choice, choose } from './models.ts';

/** Which model (its export variant, and its task if it takes one) jobs and re-captions use; the choice is shared by every view. */
export function ModelSelect({ installed, chosen }: { installed: ModelEntry[]; chosen: Choice }) {
  const entry = installed.find((m) => m.ref === chosen.ref);
  return (
    <span className="model-select">
      <select aria-label="Model" value={chosen.ref} onChange={(e) => choose({ ref: e.target.value })}>
        {installed
          .filter((m) => m.role === 'captioner')
          .map((m) => (
            <option key={m.ref} value={m.ref}>
              {m.name}
            </option>
          ))}
      </select>
      {entry && entry.dtypes.length > 1 && (
        <select
          aria-label="Variant"
          value={chosen.dtype ?? ''}
          onChange={(e) => choose({ ...chosen, dtype: (e.target.value || undefined) as Dtype | undefined })}
        >
          <option value="">automatic</option>
          {entry.dtypes.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      )}
      <TaskSelect entry={entry} chosen={chosen} />
    </span>
  );
}

/** The caption task, for models that take one. */
export function TaskSelect({ entry, chosen }: { entry: ModelEntry | undefined; chosen: Choice }) {
  if (!entry?.tasks.length) return null;
  return (
    <select
      aria-label="Task"
      value={chosen.task && entry.tasks.includes(chosen.task) ? chosen.task : entry.tasks[0]}
      onChange={(e) => choose({ ...chosen, task: e.target.value as Task })}
    >
      {entry.tasks.map((t) => (
        <option key={t}>{t}</option>
      ))}
    </select>
  );
}
