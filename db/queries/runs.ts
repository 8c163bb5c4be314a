/**
 * The current-run rule, written once. An image has at most one current run per model and decoding
 * config; captioning again (`--overwrite`) keeps the old run, marked superseded, so its ratings stay
 * valid. Every query about the captions as they stand says so with this fragment. The partial
 * unique index `caption_runs_current` (001_initial.sql) is declared on the same condition, so
 * queries keep using it.
 */

/** `superseded = 0`, of the runs table under `alias` when given. */
export const CURRENT_RUN = (alias?: string): string => `${alias ? `${alias}.` : ''}superseded = 0`;

/** The images that have a current run, as a subquery (`f.image_id IN (${CAPTIONED_IMAGES})`). */
export const CAPTIONED_IMAGES = `SELECT image_id FROM caption_runs WHERE ${CURRENT_RUN()}`;

/**
 * An image's caption as it stands, the id of its candidate, as a correlated subquery over the SQL
 * expression `image` (an image id): its newest human edit in a current run, else the top beam of its
 * latest current run. What the library shows and bulk edits change; export's 'best' takes the same
 * when nothing of the image is rated.
 */
export const CURRENT_CAPTION_ID = (image: string): string =>
  `(SELECT cc.id FROM caption_runs cr JOIN caption_candidates cc ON cc.run_id = cr.id
    WHERE cr.image_id = ${image} AND ${CURRENT_RUN('cr')}
    ORDER BY cc.source = 'human' DESC, CASE cc.source WHEN 'human' THEN -cc.id END, cr.id DESC, cc.rank LIMIT 1)`;
