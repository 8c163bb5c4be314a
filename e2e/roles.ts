/**
 * e2e/security.test.ts's role table: every channel, a request it takes, and the status each role
 * gets. The owner's requests are real (bulk edits: a trim of the whole library, then the history's
 * steps); a rater's link is served only where `rater` is not 403.
 */
import { join } from 'node:path';
import type { Channel } from '../electron/core/api/contract.ts';

/** The studio's fixtures: the invited session S and the other X, their first files and captions. */
export type Ids = {
  S: number;
  X: number;
  fileS: number;
  fileX: number;
  candS: number;
  candX: number;
  swap: number;
};

/** Owner: a status the request earns (never 401/403/5xx). Rater: exactly this. */
export const ALLOWED = (s: number) => s < 500 && s !== 401 && s !== 403;
export type Row = { req: () => object; owner: number | typeof ALLOWED; rater: number };
const trim = { op: { kind: 'whitespace' }, library: {} };
const ownerOnly = (req: object) => ({ req: () => req, owner: 200, rater: 403 });

export function roleTable(ids: Ids, lib: string): Record<Channel, Row> {
  return {
    'auth.me': { req: () => ({}), owner: 200, rater: 200 },
    'raters.invite': { req: () => ({ rater: 'zed', sessions: [ids.S] }), owner: 200, rater: 403 },
    'raters.list': { req: () => ({}), owner: 200, rater: 403 },
    'raters.revoke': { req: () => ({ id: 999 }), owner: 404, rater: 403 },
    'engine.info': { req: () => ({}), owner: 200, rater: 403 },
    'models.list': { req: () => ({}), owner: 200, rater: 403 },
    'models.pull': { req: () => ({ repo: 'nobody/nothing' }), owner: ALLOWED, rater: 403 },
    'models.pulls': { req: () => ({}), owner: 200, rater: 403 },
    'models.cancelPull': { req: () => ({ id: 999 }), owner: 404, rater: 403 },
    'models.add': { req: () => ({ path: '/etc' }), owner: ALLOWED, rater: 403 },
    'models.remove': { req: () => ({ ref: 'nobody/nothing' }), owner: ALLOWED, rater: 403 },
    'library.roots': { req: () => ({}), owner: 200, rater: 403 },
    'library.addRoot': { req: () => ({ path: '/no/such/folder' }), owner: 422, rater: 403 },
    'library.removeRoot': { req: () => ({ rootId: 999 }), owner: 404, rater: 403 },
    'library.runs': { req: () => ({}), owner: 200, rater: 403 },
    'library.images': { req: () => ({}), owner: 200, rater: 403 },
    // the review queue's scorers, and the queue itself: the owner's alone
    'library.scorers': { req: () => ({}), owner: 200, rater: 403 },
    'image.get': { req: () => ({ fileId: ids.fileS }), owner: 200, rater: 403 },
    'image.recaption': { req: () => ({ fileId: 999, decoding: {} }), owner: 404, rater: 403 },
    'candidate.attention': { req: () => ({ candidateId: ids.candS }), owner: 200, rater: 403 },
    'candidate.layers': {
      req: () => ({ fileId: ids.fileS, candidateId: ids.candS, layer: 0, head: 0 }),
      owner: 200,
      rater: 403,
    },
    'candidate.edit': {
      req: () => ({ candidateId: ids.candS, text: 'a human caption' }),
      owner: 200,
      rater: 200,
    },
    'jobs.start': { req: () => ({ rootId: 999 }), owner: 404, rater: 403 },
    'jobs.list': { req: () => ({}), owner: 200, rater: 403 },
    'jobs.stop': { req: () => ({ jobId: 999, action: 'pause' }), owner: 404, rater: 403 },
    'jobs.resume': { req: () => ({ jobId: 999 }), owner: 404, rater: 403 },
    'sessions.create': { req: () => ({ name: 'x', rootId: 999 }), owner: 404, rater: 403 },
    'sessions.list': { req: () => ({}), owner: 200, rater: 200 },
    // owner only: a rater's link cannot rename or delete even its own session
    'sessions.rename': { req: () => ({ sessionId: 999, name: 'x' }), owner: 404, rater: 403 },
    'sessions.delete': { req: () => ({ sessionId: 999 }), owner: 404, rater: 403 },
    // every rater's judgments: the owner's alone, even of the link's own session
    'sessions.review': { req: () => ({ sessionId: ids.S, position: 0 }), owner: 200, rater: 403 },
    'sessions.adjudicate': {
      req: () => ({ sessionId: 999, position: 0, final: null }),
      owner: 404,
      rater: 403,
    },
    'sessions.item': { req: () => ({ sessionId: ids.S, rater: 'mallory' }), owner: 200, rater: 200 },
    'ratings.set': {
      req: () => ({ sessionId: ids.S, rater: 'mallory', candidateId: ids.candS, value: 3 }),
      owner: 200,
      rater: 200,
    },
    // a scores session: reached, and refused as not pairwise
    'ratings.prefer': {
      req: () => ({ sessionId: ids.S, rater: 'mallory', left: ids.candS, right: ids.candS, choice: 'a' }),
      owner: 409,
      rater: 409,
    },
    'ratings.undo': { req: () => ({ sessionId: ids.S, rater: 'mallory' }), owner: 200, rater: 200 },
    'eval.summary': { req: () => ({}), owner: 200, rater: 403 },
    'eval.importReferences': { req: () => ({ path: '/etc/passwd' }), owner: ALLOWED, rater: 403 },
    // bulk edits: a trim of the whole library, then the history's steps
    'edit.preview': ownerOnly(trim),
    'edit.apply': ownerOnly(trim),
    'edit.words': ownerOnly({ library: {} }),
    'edit.undo': ownerOnly({}),
    'edit.redo': ownerOnly({}),
    'edit.history': ownerOnly({}),
    'export.run': {
      req: () => ({ format: 'csv', out: join(lib, 'id_rsa'), overwrite: true }),
      owner: 409,
      rater: 403,
    },
    'export.preview': { req: () => ({ format: 'csv', out: join(lib, 'x.csv') }), owner: 200, rater: 403 },
    'export.cancel': { req: () => ({ id: 999 }), owner: 404, rater: 403 },
    // a scorer not in the cache: 404 naming the pull command
    'scores.run': { req: () => ({ scorer: 'nobody/nothing' }), owner: 404, rater: 403 },
    // search by meaning: the owner's alone (a rater's link would reach every image)
    'search.images': { req: () => ({ query: 'a dog', scorer: 'nobody/nothing' }), owner: 404, rater: 403 },
  };
}
