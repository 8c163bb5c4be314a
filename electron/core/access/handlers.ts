/** Who is calling, and the owner's rater links. */
import type { Handlers } from '../api/contract.ts';
import { OWNER } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { invite, links, revoke } from './links.ts';

type AccessChannels = 'auth.me' | 'raters.invite' | 'raters.list' | 'raters.revoke';

/** The handlers answer the owner; a rater's `auth.me` is answered by `callAs`. */
export function accessHandlers({ db }: Pick<Core, 'db'>): Pick<Handlers, AccessChannels> {
  return {
    async 'auth.me'() {
      return OWNER;
    },
    async 'raters.invite'({ rater, sessions }) {
      return invite(db, rater, sessions);
    },
    async 'raters.list'() {
      return links(db);
    },
    async 'raters.revoke'({ id }) {
      return revoke(db, id);
    },
  };
}
