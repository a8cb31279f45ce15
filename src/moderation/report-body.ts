import type { Context } from 'hono'
import { ApiError, badRequest } from '../http/api-error'
import { readBytes, readJson } from '../http/read-json'
import { REPORT_DETAILS_MAX } from '../links/share-page'
import { ABUSE_REASON_CODES, isAbuseReason, type AbuseReason } from '../users/abuse-reasons'

/**
 * Largest report body: the free text at its limit, every character a 3-byte UTF-8 one,
 * percent-encoded (9 bytes each) by the form, and room for the reason.
 */
const MAX_BODY_BYTES = REPORT_DETAILS_MAX * 9 + 1024

export interface ReportInput {
  reason: AbuseReason
  details: string | null
}

/**
 * A report as the share page's form sends it (`application/x-www-form-urlencoded`, no script
 * needed) or as JSON, with the same two fields: `reason`, one of the short list, and optional
 * `details`, free text of at most REPORT_DETAILS_MAX characters (line breaks allowed, other
 * control characters not). Anything else, a field given twice included, is a 400.
 */
export async function readReport(c: Context): Promise<ReportInput> {
  const type = (c.req.header('content-type') ?? '').toLowerCase()
  let fields: Record<string, unknown>
  if (type.startsWith('application/x-www-form-urlencoded')) fields = await readForm(c)
  else if (/^application\/([a-z.+-]*\+)?json\b/.test(type)) {
    const body = await readJson(c, MAX_BODY_BYTES)
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('send a JSON object with "reason" and "details"', 'invalid_request')
    fields = body as Record<string, unknown>
  } else throw new ApiError(415, 'unsupported_media_type', 'send the report form (application/x-www-form-urlencoded) or JSON')

  const unknown = Object.keys(fields).find((k) => k !== 'reason' && k !== 'details')
  if (unknown !== undefined) throw badRequest(`unknown field "${unknown.slice(0, 40)}"`, 'invalid_request')
  if (!isAbuseReason(fields.reason)) throw badRequest(`choose a reason: one of ${ABUSE_REASON_CODES.join(', ')}`, 'invalid_request')
  return { reason: fields.reason, details: details(fields.details) }
}

function details(value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw badRequest('details must be text', 'invalid_request')
  const text = value.replace(/\r\n?/g, '\n').trim()
  // UTF-16 units, as the form's maxlength counts them.
  if (text.length > REPORT_DETAILS_MAX) throw badRequest(`details are over ${REPORT_DETAILS_MAX} characters`, 'invalid_request')
  if (/[^\P{Cc}\n\t]/u.test(text)) throw badRequest('details must not contain control characters other than line breaks', 'invalid_request')
  return text || null
}

async function readForm(c: Context): Promise<Record<string, string>> {
  const bytes = await readBytes(c, MAX_BODY_BYTES, 'the report')
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw badRequest('the form is not valid UTF-8', 'invalid_request')
  }
  // No prototype: a field named "__proto__" is a field like any other (and then an unknown one).
  const fields = Object.create(null) as Record<string, string>
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, name)) throw badRequest(`"${name.slice(0, 40)}" is given twice`, 'invalid_request')
    fields[name] = value
  }
  return fields
}
