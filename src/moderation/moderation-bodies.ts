import * as v from 'valibot'
import { optionalNote } from '../http/request-body'
import { ABUSE_REASON_CODES } from '../users/abuse-reasons'
import { TAKEDOWN_KINDS } from '../users/takedown-ledger'
import { REPORT_ACTIONS } from './report-ledger'

const MAX_NOTE_CHARS = 1000

/** `POST /admin/takedowns`. */
export const TakedownBody = v.strictObject({
  kind: v.picklist(TAKEDOWN_KINDS, `kind must be one of ${TAKEDOWN_KINDS.join(', ')}`),
  owner: v.union([v.string(), v.object({ sub: v.unknown(), iss: v.optional(v.unknown()) })], 'owner must be {"sub": "…", "iss"?: "…"}'),
  id: v.pipe(v.string('id must be a string'), v.maxLength(200, 'id is too long')),
  reason: v.picklist(ABUSE_REASON_CODES, `reason must be one of ${ABUSE_REASON_CODES.join(', ')}`),
  note: optionalNote(MAX_NOTE_CHARS),
  report_id: v.optional(v.nullable(v.pipe(v.string('report_id must be a string'), v.maxLength(64, 'report_id is too long'))), null),
})

/** `POST /admin/reports/<id>/resolve`. */
export const ResolveBody = v.strictObject({
  action: v.picklist(REPORT_ACTIONS, `action must be one of ${REPORT_ACTIONS.join(', ')}`),
  note: optionalNote(MAX_NOTE_CHARS),
})
