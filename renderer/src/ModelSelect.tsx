import type { Dtype } from '../../electron/core/api/contract.ts';
import type { ModelEntry } from '../../electron/core/api/types.ts';
import { type Choice, choose } from './models.ts';

/** Which model (and export variant) jobs and re-captions use; the choice is shared by every view. */
export function ModelSelect({ installed, chosen }: { installed: ModelEntry[]; chosen: Choice }) {
  const entry = installed.find((m) => m.ref === chosen.ref);
  return (
    <span className="model-select">
      <select aria-label="Model" value={chosen.ref} onChange={(e) => choose({ ref: e.target.value })}>
        {installed.map((m) => (
          <option key={m.ref} value={m.ref}>
            {m.name}
          </option>
        ))}
      </select>
      {entry && entry.dtypes.length > 1 && (
        <select
          aria-label="Variant"
          value={chosen.dtype ?? ''}
          onChange={(e) =>
            choose({ ref: chosen.ref, dtype: (e.target.value || undefined) as Dtype | undefined })
          }
        >
          <option value="">automatic</option>
          {entry.dtypes.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      )}
    </span>
  );
}
