/** The owner's Rating page (the create-session form and the sessions, with invites) and a rater's list of sessions. */
import { useCallback, useEffect, useState } from 'react';
import type { Responses } from '../../../electron/core/api/contract.ts';
import { call } from '../api.ts';
import { RootSelect, useRoots } from '../RootSelect.tsx';
import { go } from '../route.ts';
import { Invite, RaterLinks } from './Links.tsx';
import { SessionActions } from './SessionActions.tsx';

export function SessionList(props: {
  rater: string;
  sessions?: Responses['sessions.list'];
  /** the owner's list: Rename, Delete and Invite rater beside each session */
  owner?: { onChanged: () => void; onLinkMade: () => void };
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
        <li key={s.id} data-testid="session" data-session={s.id}>
          {s.name} ({s.items} {s.kind === 'pairwise' ? 'pairs' : 'images'}
          {s.blind ? ', blind' : ''}
          {s.raters.length ? `, shared by ${s.raters.join(', ')} with ${s.overlap}% rated by all` : ''}){' '}
          {!!s.progress?.length && (
            <span data-testid="rater-progress">
              {s.progress.map((p) => `${p.rater} ${p.done}/${p.items}`).join(' · ')}{' '}
            </span>
          )}
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
          {props.owner && (
            <>
              <Invite sessionId={s.id} onMade={props.owner.onLinkMade} onError={onError} />
              <SessionActions session={s} onChanged={props.owner.onChanged} onError={onError} />
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

export function Sessions({ onError }: { onError: (e: unknown) => void }) {
  const [sessions, setSessions] = useState<Responses['sessions.list']>([]);
  const { roots, rootId, setRootId } = useRoots(onError);
  const [name, setName] = useState('');
  const [blind, setBlind] = useState(true);
  const [kind, setKind] = useState<'scores' | 'pairwise'>('scores');
  const [candidates, setCandidates] = useState<'top' | 'all'>('top');
  const [guidelines, setGuidelines] = useState('');
  const [assignTo, setAssignTo] = useState('');
  const [overlap, setOverlap] = useState('20');
  const [rater, setRater] = useState(localStorage.getItem('cs-rater') ?? '');
  const [linksVersion, setLinksVersion] = useState(0);
  const reload = useCallback(() => {
    call('sessions.list', {}).then(setSessions, onError);
    // a deleted session's links changed too
    setLinksVersion((n) => n + 1);
  }, [onError]);
  useEffect(reload, [reload]);
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
          // never a submit that silently does nothing (the folder list may still be loading)
          if (!rootId)
            return onError(new Error('No library folder to rate yet: add one in the Library view'));
          const raters = assignTo
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean);
          call('sessions.create', {
            name,
            rootId,
            blind,
            kind,
            candidates,
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
        <label>
          What raters do{' '}
          <select
            aria-label="Session kind"
            value={kind}
            onChange={(e) => setKind(e.target.value as 'scores' | 'pairwise')}
          >
            <option value="scores">score each caption 1–5</option>
            <option value="pairwise">compare two captions side by side (A / B / tie / both bad)</option>
          </select>
        </label>
        <label>
          Captions{' '}
          <select
            aria-label="Session captions"
            value={candidates}
            onChange={(e) => setCandidates(e.target.value as 'top' | 'all')}
          >
            <option value="top">each run's top caption</option>
            <option value="all">every caption each run returned (its n-best)</option>
          </select>
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
      <SessionList
        rater={rater}
        sessions={sessions}
        owner={{ onChanged: reload, onLinkMade: () => setLinksVersion((n) => n + 1) }}
        onError={onError}
      />
      <RaterLinks sessions={sessions} version={linksVersion} onError={onError} />
    </section>
  );
}
