/** Request fields the schemas share (contract.ts, edit-requests.ts). Node-free: the renderer imports them. */
import { z } from 'zod';

/** An enum whose error lists the choices, as every transport shows them. */
export const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: () => `expected one of ${values.join(', ')}` });

export const id = z.number().int().positive();
