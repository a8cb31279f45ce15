import * as v from 'valibot'
import { optionalNote } from '../http/request-body'
import { TtlSeconds } from './link-ttl'

/** `POST /v1/audio/<id>/link`: the link's life (default 5 minutes) and whether it plays in a browser or downloads. */
export const LinkBody = v.strictObject({
  ttl_seconds: TtlSeconds,
  disposition: v.optional(v.picklist(['attachment', 'inline'], 'disposition must be "attachment" or "inline"'), 'attachment'),
})

const MAX_DOWNLOADS = 1_000_000
const MAX_NOTE_CHARS = 500

/** `POST /v1/audio/<id>/shares`: life, download cap and a note for the owner. */
export const ShareBody = v.strictObject({
  ttl_seconds: TtlSeconds,
  max_downloads: v.optional(
    v.nullable(
      v.pipe(
        v.number('max_downloads must be a number'),
        v.integer('max_downloads must be a whole number'),
        v.minValue(1, 'max_downloads must be at least 1'),
        v.maxValue(MAX_DOWNLOADS, `max_downloads may be at most ${MAX_DOWNLOADS}`),
      ),
    ),
    null,
  ),
  note: optionalNote(MAX_NOTE_CHARS),
})
