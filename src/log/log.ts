/**
 * The Worker's structured log: one JSON object per line, as Workers Logs indexes it (wrangler.toml
 * `[observability]`). Fields are snake_case; a line about a request carries its `request_id`.
 * Nothing secret goes in: no tokens, link or share ids (request-context.ts redacts paths), no
 * passwords.
 */
export const log = {
  /** What happened: a request's summary line, the end of a synthesis. */
  info(fields: Record<string, unknown>): void {
    console.log(JSON.stringify(fields))
  },
  /** Something failed that the client may never see (work after the response): `level: "error"`. */
  error(fields: Record<string, unknown>): void {
    console.error(JSON.stringify({ level: 'error', ...fields }))
  },
}
