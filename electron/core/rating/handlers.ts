/** Rating sessions over the API. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { rootInfo } from '../library/views.ts';
import { remove, rename, sessionViews } from './manage.ts';
import { adjudicate, review } from './review.ts';
import { createSession, prefer, rate, sessionItem, undo } from './sessions.ts';

type RatingChannels =
  | 'sessions.create'
  | 'sessions.list'
  | 'sessions.rename'
  | 'sessions.delete'
  | 'sessions.review'
  | 'sessions.adjudicate'
  | 'sessions.item'
  | 'ratings.set'
  | 'ratings.prefer'
  | 'ratings.undo';

export function ratingHandlers({ db }: Core): Pick<Handlers, RatingChannels> {
  return {
    async 'sessions.create'(s) {
      rootInfo(db, s.rootId);
      return createSession(db, s);
    },
    async 'sessions.list'() {
      return sessionViews(db);
    },
    async 'sessions.rename'({ sessionId, name }) {
      return rename(db, sessionId, name);
    },
    async 'sessions.delete'({ sessionId, dryRun }) {
      return remove(db, sessionId, dryRun);
    },
    async 'sessions.review'({ sessionId, position }) {
      return review(db, sessionId, position);
    },
    async 'sessions.adjudicate'(r) {
      return adjudicate(db, r);
    },
    async 'sessions.item'({ sessionId, rater, position }) {
      return sessionItem(db, sessionId, rater, position);
    },
    async 'ratings.set'(r) {
      return rate(db, r);
    },
    async 'ratings.prefer'(r) {
      return prefer(db, r);
    },
    async 'ratings.undo'({ sessionId, rater, seq }) {
      return undo(db, sessionId, rater, seq);
    },
  };
}
