/** The owner's rater links in the Rating view: making one for a session, and every link, live or revoked, with Revoke. */
import { useEffect, useState } from 'react';
import type { Responses } from '../../../electron/core/api/contract.ts';
import { call } from '../api.ts';

/** The owner's "Invite rater": a link that reaches this session only, shown once. */
export function Invite(props: { sessionId: number; onMade: () => void; onError: (e: unknown) => void }) {
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
        call('raters.invite', { rater: name, sessions: [props.sessionId] })
          .then((l) => {
            setLink(served ? `${location.origin}/?token=${l.token}` : l.token);
            props.onMade();
          })
          .catch(props.onError);
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

/** Every rater link (newest first): whose, which sessions it reaches, made when, live or revoked. */
export function RaterLinks(props: {
  sessions: Responses['sessions.list'];
  /** changes whenever a link was made elsewhere: the list loads again */
  version: number;
  onError: (e: unknown) => void;
}) {
  const { version, onError } = props;
  const [links, setLinks] = useState<Responses['raters.list']>([]);
  const [loads, setLoads] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version and loads are the reasons to load again
  useEffect(() => {
    call('raters.list', {}).then((l) => setLinks([...l].reverse()), onError);
  }, [version, loads, onError]);
  const names = new Map(props.sessions.map((s) => [s.id, s.name]));
  return (
    <section className="rater-links">
      <h2>Rater links</h2>
      {links.length === 0 ? (
        <p>No rater links yet: "Invite rater" beside a session makes one.</p>
      ) : (
        <table data-testid="rater-links">
          <thead>
            <tr>
              <th>Rater</th>
              <th>Reaches</th>
              <th>Made</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {links.map((l) => (
              <tr
                key={l.id}
                data-testid="rater-link"
                data-link={l.id}
                data-state={l.revoked ? 'revoked' : 'live'}
              >
                <td>{l.rater}</td>
                <td>{l.sessions.map((id) => names.get(id) ?? `session ${id}`).join(', ') || 'no session'}</td>
                <td>{l.createdAt.slice(0, 16).replace('T', ' ')}</td>
                <td>{l.revoked ? 'revoked' : 'live'}</td>
                <td>
                  {!l.revoked && (
                    <button
                      type="button"
                      aria-label={`Revoke ${l.rater}'s link ${l.id}`}
                      onClick={() =>
                        call('raters.revoke', { id: l.id }).then(() => setLoads((n) => n + 1), onError)
                      }
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
