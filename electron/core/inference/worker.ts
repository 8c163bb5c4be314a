/**
 * The inference worker thread: it owns one engine's ONNX Runtime sessions, so their blocking `run`
 * calls never hold up the thread that answers the UI. Typed messages with sequence ids
 * (`remote.ts` is the other side). A batch's images are decoded as soon as it arrives, while the
 * previous batch is still in the model.
 */
import { parentPort } from 'node:worker_threads';
import { CaptionEngine, type Outcome } from './engine.ts';
import { candidateLayers } from './graph/maps.ts';
import type { Reply, Request } from './remote.ts';

const port = parentPort!;
let engine: CaptionEngine | null = null;
let inference: Promise<unknown> = Promise.resolve();
const running = new Map<number, AbortController>();

const reply = (r: Reply) => port.postMessage(r);
const fail = (id: number, err: unknown) =>
  reply({
    id,
    ok: false,
    error: err instanceof Error ? err.message : String(err),
    name: (err as Error)?.name,
  });

port.on('message', (m: Request) => {
  switch (m.kind) {
    case 'load':
      CaptionEngine.load(m.dir, m.options).then(
        (e) => {
          engine = e;
          reply({ id: m.id, ok: true, value: e.info });
        },
        (err) => fail(m.id, err),
      );
      return;
    case 'caption': {
      if (!engine) return fail(m.id, new Error('no model loaded'));
      const e = engine;
      const controller = new AbortController();
      running.set(m.id, controller);
      const prepared = e.prepare(m.items);
      inference = inference.then(async () => {
        try {
          const outcomes: Outcome[] = await e.captionPrepared(await prepared, m.decoding, {
            signal: controller.signal,
            attentionLayer: m.attentionLayer,
          });
          reply({ id: m.id, ok: true, value: outcomes });
        } catch (err) {
          fail(m.id, err);
        } finally {
          running.delete(m.id);
        }
      });
      return;
    }
    case 'layers': {
      if (!engine) return fail(m.id, new Error('no model loaded'));
      const e = engine;
      inference = inference.then(async () => {
        try {
          const { pixels } = await e.preprocess(m.item.file, m.item.bytes);
          reply({ id: m.id, ok: true, value: await candidateLayers(e, pixels, m.task, m.tokens, m.pick) });
        } catch (err) {
          fail(m.id, err);
        }
      });
      return;
    }
    case 'abort':
      running.get(m.id)?.abort();
      return;
    case 'dispose':
      inference
        .then(() => engine?.dispose())
        .then(
          () => {
            reply({ id: m.id, ok: true, value: null });
            port.close();
          },
          (err) => fail(m.id, err),
        );
      return;
  }
});
