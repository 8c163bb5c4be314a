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
