/**
 * A rater's key presses, never lost: each key is an action applied at once to what the rater sees
 * (optimistically) and queued; the queue commits in order, one request at a time, each rating
 * numbered (seq) so a retry after a lost answer is applied once. A failed commit stays at the head
 * of the queue, is shown, and is retried until it goes through. Undo takes back a queued action
 * before it is sent, or sends an undo naming the committed one.
 *
 * What is shown of an item is the server's last answer for it with the queued actions on it. A
 * key that needs an item not loaded yet (moving on to it) waits, with every key after it, until
 * the item arrives; the next item is fetched ahead so that is rare.
 */
import type { PairwiseChoice } from '../../../electron/core/api/options.ts';
import type { SessionItem } from '../../../electron/core/api/types.ts';
import type { RatingAction } from './keys.ts';

/** One caption's state: its score and whether it is picked as best; of a pair's left caption, the verdict. */
interface Mark {
  candidateId: number;
  value?: number | null;
  best?: boolean;
  choice?: PairwiseChoice | null;
}

/** What a rating action asks of the server: a score or pick (ratings.set), a verdict (ratings.prefer). */
type SetRequest =
  | { candidateId: number; value?: number; best?: boolean }
  | { left: number; right: number; choice: PairwiseChoice };

/** A rating action of this page: what it set and what was there before (for undo). */
interface Action {
  seq: number;
  position: number;
  next: Mark[];
  prev: Mark[];
}

type Op =
  | { kind: 'load'; position?: number }
  | { kind: 'set'; action: Action; req: SetRequest }
  /** target: an action of this page; null: the rater's last action on the server (known when sent) */
  | { kind: 'undo'; target: Action | null };

/** Sends one request of the queue (the API's `call`: an error is thrown). */
export type Transport = (
  channel: 'sessions.item' | 'ratings.set' | 'ratings.prefer' | 'ratings.undo',
  req: { sessionId: number; rater: string; [k: string]: unknown },
) => Promise<SessionItem>;

export interface QueueView {
  item: SessionItem | null;
  focus: number;
  /** actions not committed yet */
  pending: number;
  /** the last commit's failure while it is being retried */
  error: string | null;
}

/** An action of the rater's keys or mouse, and 'edit' (handed back to the view when its turn comes). */
export type QueuedAction = RatingAction | { type: 'point'; index: number };

const RETRY_MS = [100, 200, 400, 800, 1600, 2000];

/** Whether every caption of an item has a score, or its pair a verdict (the server's notion of finished). */
const finished = (item: SessionItem) =>
  item.kind === 'pairwise' ? item.choice !== null : item.candidates.every((c) => c.value !== null);

export class RatingQueue {
  private items = new Map<number, SessionItem>();
  private latest: SessionItem | null = null;
  private pos: number | null = null;
  private focus = 0;
  private seq = 0;
  private pipe: Op[] = [];
  /** the request on its way (undo cannot take it back) */
  private sending: Op | null = null;
  private draining = false;
  private history: Action[] = [];
  private keys: QueuedAction[] = [];
  /** what the keys wait for: an item's position, 'undo' (an undo of an action not of this page), 'start' */
  private waiting: number | 'undo' | 'start' | null = 'start';
  private error: string | null = null;
  private listeners = new Set<(v: QueueView) => void>();

  constructor(
    private readonly sessionId: number,
    private readonly rater: string,
    private readonly send: Transport,
    private readonly onEdit: (candidateId: number, text: string) => void,
    /** an item that cannot be loaded (4xx: not the rater's, no images): nothing to retry */
    private readonly onRefused: (e: unknown) => void,
    /** where the actions not committed yet are kept across a reload (localStorage) */
    private readonly store?: { get(): string | null; set(v: string | null): void },
  ) {
    // actions a closed or reloaded page left uncommitted go first, with their numbers: one the
    // server applied already is ignored there
    for (const op of JSON.parse(store?.get() ?? '[]') as Op[]) {
      if (op.kind === 'set') {
        this.history.push(op.action);
        this.seq = Math.max(this.seq, op.action.seq);
      } else if (op.kind === 'undo' && op.target) {
        const seq = op.target.seq;
        this.history = this.history.filter((a) => a.seq !== seq);
      }
      if (op.kind !== 'load') this.pipe.push(op);
    }
    this.enqueue({ kind: 'load' });
  }

  subscribe(listener: (v: QueueView) => void): () => void {
    this.listeners.add(listener);
    listener(this.view());
    return () => this.listeners.delete(listener);
  }

  /** Queues an action; it takes effect now unless an earlier one still waits for its item. */
  push(a: QueuedAction): void {
    this.keys.push(a);
    this.pump();
    this.emit();
  }

  /** An item the view fetched itself (after an edit): shown, with the caption at `focusKey` highlighted. */
  accept(item: SessionItem, focusAt?: (item: SessionItem) => number): void {
    this.items.set(item.position, item);
    this.latest = item;
    if (this.pos === item.position && focusAt) {
      const at = focusAt(item);
      if (at !== -1) this.focus = at;
    }
    this.emit();
  }

  view(): QueueView {
    const base = this.pos === null ? undefined : this.items.get(this.pos);
    let item: SessionItem | null = null;
    if (base) {
      // images finished: the server's count, and what the queued actions change of it
      let rated = this.latest?.rated ?? base.rated;
      const touched = new Set(this.pipe.flatMap((op) => (op.kind === 'load' ? [] : [this.positionOf(op)])));
      for (const p of touched) {
        const server = this.items.get(p);
        if (server) rated += Number(finished(this.overlay(server))) - Number(finished(server));
      }
      item = { ...this.overlay(base), rated };
    }
    return { item, focus: this.focus, pending: this.pipe.length, error: this.error };
  }

  private positionOf(op: Op & { kind: 'set' | 'undo' }): number {
    return op.kind === 'set' ? op.action.position : (op.target?.position ?? -1);
  }

  /** The server's item with the queued actions on it. */
  private overlay(base: SessionItem): SessionItem {
    const marks = new Map<number, Mark>();
    const put = (ms: Mark[]) => {
      for (const m of ms) marks.set(m.candidateId, { ...marks.get(m.candidateId), ...m });
    };
    for (const op of this.pipe) {
      if (op.kind === 'set' && op.action.position === base.position) put(op.action.next);
      if (op.kind === 'undo' && op.target?.position === base.position) put(op.target.prev);
    }
    if (!marks.size) return base;
    const verdict = base.candidates[0] && marks.get(base.candidates[0].id)?.choice;
    return {
      ...base,
      choice: verdict === undefined ? base.choice : verdict,
      candidates: base.candidates.map((c) => {
        const m = marks.get(c.id);
        return m ? { ...c, value: m.value === undefined ? c.value : m.value, best: m.best ?? c.best } : c;
      }),
    };
  }

  private emit(): void {
    const writes = this.pipe.filter((op) => op.kind !== 'load');
    this.store?.set(writes.length ? JSON.stringify(writes) : null);
    const v = this.view();
    for (const l of this.listeners) l(v);
  }

  private enqueue(op: Op): void {
    this.pipe.push(op);
    void this.drain();
  }

  /** Applies the queued keys in order until one has to wait for the server. */
  private pump(): void {
    while (this.waiting === null && this.keys.length) this.apply(this.keys.shift()!);
  }

  private apply(a: QueuedAction): void {
    const item = this.view().item!;
    const cand = item.candidates[this.focus];
    switch (a.type) {
      case 'point':
        if (a.index >= 0 && a.index < item.candidates.length) this.focus = a.index;
        return;
      case 'focus':
        this.focus = Math.min(Math.max(this.focus + a.step, 0), item.candidates.length - 1);
        return;
      case 'score': {
        if (!cand) return;
        this.act(item, { candidateId: cand.id, value: a.value }, [{ candidateId: cand.id, value: a.value }]);
        // on to the next caption still unrated in this image
        const now = this.view().item!.candidates;
        const open = now.findIndex((c, i) => i > this.focus && c.value === null);
        const any = now.findIndex((c) => c.value === null);
        this.focus = open !== -1 ? open : any !== -1 ? any : this.focus;
        return;
      }
      case 'best': {
        if (!cand) return;
        const pick = !cand.best;
        const next: Mark[] = [{ candidateId: cand.id, best: pick }];
        if (pick)
          for (const c of item.candidates)
            if (c.best && c.id !== cand.id) next.push({ candidateId: c.id, best: false });
        this.act(item, { candidateId: cand.id, best: pick }, next);
        return;
      }
      case 'verdict': {
        // a pair's verdict, then on to the next pair
        const [left, right] = item.candidates;
        if (item.kind !== 'pairwise' || !right) return;
        const req = { left: left.id, right: right.id, choice: a.choice };
        this.act(
          item,
          req,
          [{ candidateId: left.id, choice: a.choice }],
          [{ candidateId: left.id, choice: item.choice }],
        );
        this.goTo(item.position + 1, item.total);
        return;
      }
      case 'move':
        this.goTo(item.position + a.step, item.total);
        return;
      case 'undo':
        this.undo();
        return;
      case 'edit':
        if (cand) this.onEdit(cand.id, cand.text);
        return;
      case 'help':
        return;
    }
  }

  private act(item: SessionItem, req: Mark | SetRequest, next: Mark[], before?: Mark[]): void {
    const prev =
      before ??
      next.map((m): Mark => {
        const c = item.candidates.find((x) => x.id === m.candidateId)!;
        return { candidateId: c.id, value: c.value, best: c.best };
      });
    const action: Action = { seq: ++this.seq, position: item.position, next, prev };
    this.history.push(action);
    if ('left' in req) {
      this.enqueue({ kind: 'set', action, req });
      return;
    }
    const { candidateId, value, best } = req;
    this.enqueue({
      kind: 'set',
      action,
      req: { candidateId, ...(value != null && { value }), ...(best !== undefined && { best }) },
    });
  }

  private undo(): void {
    const last = this.history.pop();
    if (!last) {
      this.waiting = 'undo';
      this.enqueue({ kind: 'undo', target: null });
      return;
    }
    const queued = this.pipe.findIndex((op) => op.kind === 'set' && op.action === last);
    if (queued !== -1 && this.pipe[queued] !== this.sending) this.pipe.splice(queued, 1);
    else this.enqueue({ kind: 'undo', target: last });
    // show the item the undone action was about, its caption highlighted
    if (this.items.has(last.position)) this.pos = last.position;
    const at = this.view().item?.candidates.findIndex((c) => c.id === last.next[0].candidateId) ?? -1;
    if (at !== -1) this.focus = at;
  }

  private goTo(position: number, total: number): void {
    if (position < 0 || position >= total) return;
    if (this.items.has(position)) this.arrive(position);
    else {
      this.waiting = position;
      if (!this.pipe.some((op) => op.kind === 'load' && op.position === position))
        this.enqueue({ kind: 'load', position });
    }
  }

  /** Shows the item at `position` (loaded), highlighting its first unrated caption; fetches the next ahead. */
  private arrive(position: number): void {
    this.pos = position;
    this.waiting = null;
    const item = this.view().item!;
    const open = item.candidates.findIndex((c) => c.value === null);
    this.focus = open === -1 ? 0 : open;
    const ahead = position + 1;
    if (
      ahead < item.total &&
      !this.items.has(ahead) &&
      !this.pipe.some((op) => op.kind === 'load' && op.position === ahead)
    )
      this.enqueue({ kind: 'load', position: ahead });
  }

  private request(op: Op): Promise<SessionItem> {
    const who = { sessionId: this.sessionId, rater: this.rater };
    switch (op.kind) {
      case 'load':
        return this.send('sessions.item', { ...who, position: op.position });
      case 'set':
        return this.send('left' in op.req ? 'ratings.prefer' : 'ratings.set', {
          ...who,
          ...op.req,
          seq: op.action.seq,
        });
      case 'undo': {
        const seq = op.target ? op.target.seq : (this.latest?.lastAction ?? undefined);
        return this.send('ratings.undo', { ...who, seq });
      }
    }
  }

  /** Commits the queue in order, one request at a time; a failure is shown and retried, never dropped. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    let attempt = 0;
    while (this.pipe.length) {
      const op = this.pipe[0];
      this.sending = op;
      let res: SessionItem;
      try {
        res = await this.request(op);
      } catch (e) {
        const status = (e as { status?: number }).status ?? 0;
        if (op.kind === 'load' && status >= 400 && status < 500) {
          this.pipe.shift();
          this.sending = null;
          this.onRefused(e);
          continue;
        }
        this.error = `not saved yet, retrying: ${e instanceof Error ? e.message : String(e)}`;
        this.emit();
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]));
        continue;
      }
      attempt = 0;
      this.error = null;
      this.pipe.shift();
      this.sending = null;
      this.received(op, res);
      this.emit();
    }
    this.draining = false;
  }

  private received(op: Op, res: SessionItem): void {
    this.items.set(res.position, res);
    this.latest = res;
    if (op.kind === 'load' && this.waiting === 'start') {
      this.seq = Math.max(this.seq, res.seq);
      this.arrive(res.position);
    } else if (op.kind === 'load' && this.waiting === res.position) this.arrive(res.position);
    else if (op.kind === 'undo' && op.target === null && this.waiting === 'undo') this.arrive(res.position);
    this.pump();
  }
}
