/** The Rating view: the owner's sessions, a rater's list of sessions, or rating one session's items. */
import { RateItems } from './rating/RateItems.tsx';
import { SessionList, Sessions } from './rating/Sessions.tsx';

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
