/** What a rater sees of one item: the header with progress, the image and its captions, the edit form, the help. */
import { Marked } from 'marked';
import { captionKey } from '../../../electron/core/api/captions.ts';
import type { SessionItem } from '../../../electron/core/api/types.ts';
import { call, mediaUrl } from '../api.ts';
import { HELP, PAIRWISE_HELP } from './keys.ts';

export function ItemHeader({ item, rater }: { item: SessionItem; rater: string }) {
  return (
    <header>
      <strong>{item.name}</strong>
      <span data-testid="progress">
        {item.kind === 'pairwise' ? 'Pair' : 'Image'} {item.position + 1} of {item.total} · {item.rated}{' '}
        {item.kind === 'pairwise' ? 'judged' : 'rated'} by {rater}
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
  );
}

/** The image and its captions, the highlighted one `focus`; a click on a row highlights it, on a star rates it. */
export function ItemBody({
  item,
  focus,
  onPoint,
  onScore,
}: {
  item: SessionItem;
  focus: number;
  onPoint: (index: number) => void;
  onScore: (index: number, value: number) => void;
}) {
  return (
    <div className="rate-body">
      <img
        className="rate-image"
        alt={'rel' in item.file ? item.file.rel : `image ${item.position + 1}`}
        src={mediaUrl('media', item.file.fileId)}
      />
      <ol className="rate-candidates">
        {item.candidates.map((c, i) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the keyboard highlights rows with ↑ ↓ (the view's keys)
          <li
            key={c.id}
            className={`${i === focus ? 'focused' : ''} ${c.best ? 'best' : ''}`}
            data-testid="rate-candidate"
            data-value={c.value ?? ''}
            data-best={c.best ? 'yes' : 'no'}
            onClick={() => onPoint(i)}
          >
            <span className="label">{c.label}</span>
            <span className="text">{c.text}</span>
            <span className="stars" title={`rating ${c.value ?? 'none'}`}>
              {[1, 2, 3, 4, 5].map((v) => (
                <button
                  key={v}
                  type="button"
                  className="star"
                  tabIndex={-1}
                  aria-label={`rate ${c.label} ${v}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    onScore(i, v);
                  }}
                >
                  {c.value && v <= c.value ? '★' : '☆'}
                </button>
              ))}
            </span>
            {c.best && <span className="best-badge">best</span>}
          </li>
        ))}
      </ol>
    </div>
  );
}

/**
 * The rater's own caption for the item, saved as a human caption of the image: `onSaved` gets the
 * item as it is then, and the caption's key to find it among the item's captions.
 */
export function EditCaption(props: {
  item: SessionItem;
  candidateId: number;
  rater: string;
  text: string;
  onChange: (text: string) => void;
  onCancel: () => void;
  onSaved: (next: SessionItem, key: string) => void;
  onError: (e: unknown) => void;
}) {
  const { item, rater, text } = props;
  const sessionId = item.sessionId;
  return (
    <form
      className="edit"
      onSubmit={(e) => {
        e.preventDefault();
        const key = captionKey(text);
        call('candidate.edit', { candidateId: props.candidateId, text, sessionId })
          .then(() => call('sessions.item', { sessionId, rater, position: item.position }))
          .then((next) => props.onSaved(next, key))
          .catch(props.onError);
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
        value={text}
        onChange={(e) => props.onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onCancel();
          else if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            e.currentTarget.form?.requestSubmit();
          }
        }}
      />
      <button type="submit">Save</button>
    </form>
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

/** The session's guidelines (the owner's markdown, raw HTML shown as text) and the keys. */
export function Help({ guidelines, kind }: { guidelines: string; kind: SessionItem['kind'] }) {
  return (
    <>
      {guidelines.trim() && (
        <article
          className="guidelines"
          data-testid="guidelines"
          // biome-ignore lint/security/noDangerouslySetInnerHtml: the owner's markdown, with raw HTML escaped
          dangerouslySetInnerHTML={{ __html: markdown(guidelines) }}
        />
      )}
      <dl className="help" data-testid="help">
        {(kind === 'pairwise' ? PAIRWISE_HELP : HELP).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </>
  );
}
