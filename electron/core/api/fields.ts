/**
 * Fields the API's request schemas share (contract.ts, sessions.ts, edit-requests.ts): an id, a rater's name, an enum
 * whose error lists its choices. No Node imports: the renderer imports the contract.
 */
import { z } from 'zod';

/** An enum whose error lists the choices, as every transport shows them. */
export const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: () => `expected one of ${values.join(', ')}` });

export const id = z.number().int().positive();
export const rater = z.string().trim().min(1).max(100);
export const none = z.object({}).strict();
