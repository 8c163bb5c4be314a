import { Marked } from 'marked';
import { useCallback, useEffect, useRef, useState } from 'react';
import { captionKey } from '../../electron/core/api/captions.ts';
import type { Responses } from '../../electron/core/api/contract.ts';
import type { SessionItem } from '../../electron/core/api/types.ts';
import { call, mediaUrl } from './api.ts';
import { useKeys } from './keys.ts';
import { RootSelect, useRoots } from './RootSelect.tsx';
import { go } from './route.ts';

/** `fixedRater`: a rater's link, which rates under its own name and creates nothing. */
export function Rating(props: {
  sessionId: number | null;
  rater: string | null;
  fixedRater?: boolean;
  onError: (e: unknown) => void;
}) {
  const { sessionId, rater, onError } = props;
  if (sessionId && rater) return <RateItems sessionId={sessionId} rater={rater} onError={onError} />;
  return props.fixedRater && rater ? (
    <SessionList rater={rater} onError={onError} />
  ) : (
    <Sessions onError={onError} />
  );
}

function SessionList(props: {
  rater: string;
  sessions?: Responses['sessions.list'];
  invite?: boolean;
  onError: (e: unknown) => void;
}) {
  const { rater, onError } = props;
  const [loaded, setLoaded] = useState<Responses['sessions.list']>([]);
  useEffect(() => {
    if (!props.sessions) call('sessions.list', {}).then(setLoaded, onError);
  }, [props.sessions, onError]);
  return (
    <ul>
      {(props.sessions ?? loaded).map((s) => (
        <li key={s.id}>
          {s.name} ({s.items} images{s.blind ? ', blind' : ''}
          {s.raters.length ? `, shared by ${s.raters.join(', ')} with ${s.overlap}% rated by all` : ''}){' '}
          <button
            type="button"
            disabled={!rater}
            onClick={() => {
              localStorage.setItem('cs-rater', rater);
              go('rate', s.id, rater);
            }}
          >
            Rate
          </button>
          {props.invite && <Invite sessionId={s.id} onError={onError} />}
        </li>
      ))}
    </ul>
  );
}

/** The owner's "Invite rater": a link that reaches this session only, shown once. */
function Invite({ sessionId, onError }: { sessionId: number; onError: (e: unknown) => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [link, setLink] = useState<string | null>(null);
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Invite rater
      </button>
    );
  const served = location.protocol.startsWith('http');
  return (
    <form
      className="invite"
      onSubmit={(e) => {
        e.preventDefault();
        call('raters.invite', { rater: name, sessions: [sessionId] })
          .then((l) => setLink(served ? `${location.origin}/?token=${l.token}` : l.token))
          .catch(onError);
      }}
    >
      <input
        aria-label="Invited rater's name"
        placeholder="rater's name"
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <button type="submit" disabled={!name.trim()}>
        Make link
      </button>
      {link && (
        <output aria-label="Rater link">
          {served
            ? link
            : `token ${link}: start caption-studio serve and share its address with ?token=${link}`}
        </output>
      )}
    </form>
  );
}

function Sessions({ onError }: { onError: (e: unknown) => void }) {
  const [sessions, setSessions] = useState<Responses['sessions.list']>([]);
  const { roots, rootId, setRootId } = useRoots(onError);
  const [name, setName] = useState('');
  const [blind, setBlind] = useState(true);
  const [guidelines, setGuidelines] = useState('');
  const [assignTo, setAssignTo] = useState('');
  const [overlap, setOverlap] = useState('20');
  const [rater, setRater] = useState(localStorage.getItem('cs-rater') ?? '');
  useEffect(() => {
    call('sessions.list', {}).then(setSessions, onError);
  }, [onError]);
  return (
    <section className="sessions">
      <label>
        Your name (rater){' '}
        <input aria-label="Rater name" value={rater} onChange={(e) => setRater(e.target.value)} />
      </label>
      <h2>New session</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!rootId) return;
          const raters = assignTo
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean);
          call('sessions.create', {
            name,
            rootId,
            blind,
            guidelines,
            assign: raters.length ? { raters, overlap: Number(overlap) } : undefined,
          })
            .then((s) => {
              setSessions((l) => [s, ...l]);
              if (rater) {
                localStorage.setItem('cs-rater', rater);
                go('rate', s.id, rater);
              }
            })
            .catch(onError);
        }}
      >
        <input
          aria-label="Session name"
          placeholder="session name"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <RootSelect label="Session folder" roots={roots} rootId={rootId} onChange={setRootId} />
        <label>
          <input type="checkbox" checked={blind} onChange={(e) => setBlind(e.target.checked)} /> blind (hide
          sources, shuffle)
        </label>
        <label className="wide">
          Guidelines for raters (markdown, shown with ?)
          <textarea
            aria-label="Guidelines"
            rows={4}
            value={guidelines}
            onChange={(e) => setGuidelines(e.target.value)}
          />
        </label>
        <label>
          Assign to raters (comma-separated; empty: everyone rates every image){' '}
          <input
            aria-label="Assign to raters"
            value={assignTo}
            onChange={(e) => setAssignTo(e.target.value)}
          />
        </label>
        {assignTo.trim() && (
          <label>
            Rated by all, for agreement (%){' '}
            <input
              aria-label="Overlap"
              type="number"
              min={0}
              max={100}
              value={overlap}
              onChange={(e) => setOverlap(e.target.value)}
            />
          </label>
        )}
        <button type="submit" disabled={!name || !rootId}>
          Create
        </button>
      </form>
      <h2>Sessions</h2>
      <SessionList rater={rater} sessions={sessions} invite onError={onError} />
    </section>
  );
}

/** Markdown to HTML with any raw HTML in it shown as text, and links only to http(s)/mailto. */
const md = new Marked({
  renderer: {
    html: ({ text }) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
  },
  walkTokens: (t) => {
    if ((t.type === 'link' || t.type === 'image') && !/^(https?:|mailto:)/i.test(t.href)) t.href = '#';
  },
});
const markdown = (text: string) => md.parse(text, { async: false }) as string;

const HELP: [string, string][] = [
  ['1–5', 'rate the highlighted caption'],
  ['↑ ↓', 'highlight another caption'],
  ['→ or space', 'next image'],
  ['←', 'previous image'],
  ['b', 'pick the highlighted caption as the best of this image'],
  ['e', 'edit the highlighted caption (saved as a human caption)'],
  ['u', 'undo your last rating'],
  ['?', 'show or hide this help and the session’s guidelines'],
];

/** Fully keyboard-driven rating; every key press that rates is committed at once. */
function RateItems({
  sessionId,
  rater,
  onError,
}: {
  sessionId: number;
  rater: string;
  onError: (e: unknown) => void;
}) {
  const [item, setItem] = useState<SessionItem | null>(null);
  const [focus, setFocus] = useState(0);
  const [help, setHelp] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const busy = useRef(false);

  const show = useCallback((next: SessionItem, keepFocus = false) => {
    setItem(next);
    if (!keepFocus) {
      const open = next.candidates.findIndex((c) => c.value === null);
      setFocus(open === -1 ? 0 : open);
    }
  }, []);
  const run = useCallback(
    async (p: Promise<SessionItem>, keepFocus = false) => {
      busy.current = true;
      try {
        show(await p, keepFocus);
      } catch (e) {
        onError(e);
      } finally {
        busy.current = false;
      }
    },
    [show, onError],
  );
  useEffect(() => {
    run(call('sessions.item', { sessionId, rater }));
  }, [sessionId, rater, run]);

  useKeys((e) => {
    if (!item || editing !== null || busy.current || e.ctrlKey || e.metaKey || e.altKey) return;
    const cand = item.candidates[focus];
    const move = (pos: number) => run(call('sessions.item', { sessionId, rater, position: pos }));
    if (/^[1-5]$/.test(e.key) && cand) {
      e.preventDefault();
      busy.current = true;
      call('ratings.set', { sessionId, rater, candidateId: cand.id, value: Number(e.key) })
        .then((next) => {
          setItem(next);
          // on to the next caption still unrated in this image
          const open = next.candidates.findIndex((c, i) => i > focus && c.value === null);
          const any = next.candidates.findIndex((c) => c.value === null);
          setFocus(open !== -1 ? open : any !== -1 ? any : focus);
        }, onError)
        .finally(() => {
          busy.current = false;
        });
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      setFocus((f) => Math.min(f + 1, item.candidates.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setFocus((f) => Math.max(f - 1, 0));
    } else if (e.key === 'ArrowRight' || e.key === ' ') {
      e.preventDefault();
      if (item.position + 1 < item.total) move(item.position + 1);
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      if (item.position > 0) move(item.position - 1);
    } else if (e.key === 'b' && cand) {
      run(call('ratings.set', { sessionId, rater, candidateId: cand.id, best: !cand.best }), true);
    } else if (e.key === 'u') {
      run(call('ratings.undo', { sessionId, rater }));
    } else if (e.key === 'e' && cand) {
      e.preventDefault();
      setEditing(cand.text);
    } else if (e.key === '?') {
      setHelp((h) => !h);
    }
  });

  if (!item) return <p>Loading…</p>;
  const cand = item.candidates[focus];
  return (
    <section className="rating" data-testid="rating" data-position={item.position}>
      <header>
        <strong>{item.name}</strong>
        <span data-testid="progress">
          Image {item.position + 1} of {item.total} · {item.rated} rated by {rater}
        </span>
        <progress
          data-testid="progress-bar"
          aria-label="Images finished"
          max={item.total}
          value={item.rated}
          title={`${item.rated} of ${item.total} images finished`}
        />
        <span className="hint">press ? for keys</span>
      </header>
      <div className="rate-body">
        <img className="rate-image" alt={item.file.rel} src={mediaUrl('media', item.file.fileId)} />
        <ol className="rate-candidates">
          {item.candidates.map((c, i) => (
            <li
              key={c.id}
              className={`${i === focus ? 'focused' : ''} ${c.best ? 'best' : ''}`}
              data-testid="rate-candidate"
              data-value={c.value ?? ''}
              data-best={c.best ? 'yes' : 'no'}
            >
              <span className="label">{c.label}</span>
              <span className="text">{c.text}</span>
              <span className="stars" role="img" aria-label={`rating ${c.value ?? 'none'}`}>
                {c.value ? '★'.repeat(c.value) + '☆'.repeat(5 - c.value) : '·····'}
              </span>
              {c.best && <span className="best-badge">best</span>}
            </li>
          ))}
        </ol>
      </div>
      {editing !== null && cand && (
        <form
          className="edit"
          onSubmit={(e) => {
            e.preventDefault();
            const key = captionKey(editing);
            call('candidate.edit', { candidateId: cand.id, text: editing, sessionId })
              .then(() => call('sessions.item', { sessionId, rater, position: item.position }))
              .then((next) => {
                // the edit is a caption of this image now: show it, highlighted, to rate
                setEditing(null);
                setItem(next);
                const at = next.candidates.findIndex((c) => captionKey(c.text) === key);
                if (at !== -1) setFocus(at);
              })
              .catch(onError);
          }}
        >
          <label htmlFor="edit-caption">
            Your caption for this image (Enter saves it as a human caption, Shift+Enter for a new line, Esc
            cancels)
          </label>
          <textarea
            id="edit-caption"
            aria-label="Edit caption"
            // biome-ignore lint/a11y/noAutofocus: the e key opens this field to type in at once
            autoFocus
            rows={3}
            value={editing}
            onChange={(e) => setEditing(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setEditing(null);
              else if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                e.currentTarget.form?.requestSubmit();
              }
            }}
          />
          <button type="submit">Save</button>
        </form>
      )}
      {help && item.guidelines.trim() && (
        <article
          className="guidelines"
          data-testid="guidelines"
          // biome-ignore lint/security/noDangerouslySetInnerHtml: the owner's markdown, with raw HTML escaped
          dangerouslySetInnerHTML={{ __html: markdown(item.guidelines) }}
        />
      )}
      {help && (
        <dl className="help" data-testid="help">
          {HELP.map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
