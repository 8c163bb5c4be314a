/**
 * The core's push channel: job progress goes out as it happens, to the desktop window (IPC events),
 * to browsers (server-sent events) and to the CLI's progress bar, instead of being polled.
 */
import type { EventMessage, EventName, Events } from './api/contract.ts';

export class EventBus {
  private listeners = new Set<(m: EventMessage) => void>();

  on(listener: (m: EventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<E extends EventName>(event: E, data: Events[E]): void {
    const m = { event, data } as EventMessage;
    for (const l of this.listeners) l(m);
  }
}
