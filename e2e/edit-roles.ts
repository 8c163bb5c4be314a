/**
 * The bulk-edit channels' rows of e2e/security.test.ts's role table: owner only, a rater's link
 * gets 403. The owner's requests are real: a trim of the whole library, then the history's steps.
 */
import type { Channel } from '../electron/core/api/contract.ts';

const trim = { op: { kind: 'whitespace' }, library: {} };
const ownerOnly = (req: object) => ({ req: () => req, owner: 200, rater: 403 });

export const EDIT_ROLES: Record<Extract<Channel, `edit.${string}`>, ReturnType<typeof ownerOnly>> = {
  'edit.preview': ownerOnly(trim),
  'edit.apply': ownerOnly(trim),
  'edit.undo': ownerOnly({}),
  'edit.redo': ownerOnly({}),
  'edit.history': ownerOnly({}),
};
