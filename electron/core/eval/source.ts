/** What the evaluation calls a candidate's source: its model and decoding, or 'human edits'. */
import type { EvalCandidate } from '../../../db/queries/eval.ts';
import { decodingLabel } from '../api/decoding.ts';

/** A stored decoding config (JSON) as the evaluation names it: 'greedy', 'beam 3', … */
export const describeConfig = (config: string): string => decodingLabel(JSON.parse(config));

export const sourceOf = (c: Pick<EvalCandidate, 'source' | 'model' | 'config'>): string =>
  c.source === 'human' ? 'human edits' : `${c.model} · ${describeConfig(c.config)}`;
