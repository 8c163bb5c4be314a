/** Following a job or a download from the command line, on the events the core pushes. */
import type { Events } from '../core/api/contract.ts';
import type { Studio } from '../core/studio.ts';

type Tracked = 'jobs.progress' | 'models.pull';

/**
 * Collects `event` views (those that arrive before the id is known are kept); `until(view)` resolves
 * with the tracked one's last view once it is no longer running, calling `onUpdate` on the way.
 */
export function follow<E extends Tracked>(studio: Studio, event: E, onUpdate: (v: Events[E]) => void) {
  let id = 0;
  const seen = new Map<number, Events[E]>();
  let settle: (v: Events[E]) => void = () => {};
  const settled = new Promise<Events[E]>((r) => {
    settle = r;
  });
  const take = (v: Events[E]) => {
    seen.set(v.id, v);
    if (v.id !== id) return;
    if (v.state === 'running') onUpdate(v);
    else settle(v);
  };
  const stop = studio.events.on((m) => {
    if (m.event === event) take(m.data as Events[E]);
  });
  return {
    until(view: Events[E]): Promise<Events[E]> {
      id = view.id;
      take(seen.get(id) ?? view);
      return settled.finally(stop);
    },
    stop,
  };
}

/** A status line: redrawn in place on a terminal, printed every 2 s (and at the end) otherwise. */
export function liveLine(out: NodeJS.WritableStream, quiet = false) {
  const tty = 'isTTY' in out && (out as NodeJS.WriteStream).isTTY && !quiet;
  let last = 0;
  return {
    show(text: string, final = false) {
      if (quiet) return;
      const now = Date.now();
      if (tty) out.write(`\r${text}`);
      else if (now - last > 2000 || final) {
        out.write(`${text}\n`);
        last = now;
      }
    },
    end() {
      if (tty) out.write('\n');
    },
  };
}
