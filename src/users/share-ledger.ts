import { etagMatches, parseRange } from '../http/range'
import type { KnownObject } from '../http/serve-object'
import { migrate } from '../sql/migrations'

/** A share as its owner sees it. Times are milliseconds since the epoch. */
export interface Share {
  shareId: string
  audioId: string
  createdAt: number
  expiresAt: number
  /** null: unlimited until expiry. */
  maxDownloads: number | null
  downloads: number
  revokedAt: number | null
  note: string | null
}

export interface NewShare {
  shareId: string
  audioId: string
  /** R2 key of the audio, and what it was when shared (objects are immutable once written). */
  audioKey: string
  etag: string
  size: number
  expiresAt: number
  maxDownloads: number | null
  note: string | null
}

/** What an anonymous request asks of a share: enough to tell a download from a piece of one. */
export interface ShareRequest {
  /** False when the response carries no audio: a HEAD, or the share's HTML page. */
  body: boolean
  range: string | null
  ifNoneMatch: string | null
  /** A salted hash of the client's address (see share-routes.ts), never the address. */
  client: string
}

export type ShareRefusal = 'not_found' | 'share_revoked' | 'share_expired' | 'share_exhausted'
/** A claim granted: the audio's key, and its size and ETag as shared (what the claim was decided on: serving needs no `head`). */
export type Claim = { ok: true; share: Share; audioKey: string; object: KnownObject; counted: boolean } | { ok: false; code: ShareRefusal }

/**
 * How downloads are counted (`max_downloads`), so that one listen in a browser does not burn a
 * one-time link and a one-time link never becomes unlimited:
 *
 * - A request without a usable Range (a plain GET, a download button, curl) is a **download**: it
 *   always counts, so N parallel plain GETs of an N-download share give exactly N bodies.
 * - A request for a byte range (how `<audio>` fetches: `bytes=0-`, then a piece per seek; Safari
 *   starts with `bytes=0-1`) is a **piece**. The first piece counts as a download and opens a
 *   session for that client (salted address hash) on that share. Further pieces from the same
 *   client within SESSION_MS are free while the session stays within its allowance: at most
 *   MAX_FREE_PIECES pieces, and at most SESSION_COPIES × the object's size in bytes served in the
 *   whole session (the counted request included; a range is charged its full length when it is
 *   granted, since a client may read all of it). A piece past the allowance is a new download:
 *   it counts and opens a fresh session, or is refused when none is left.
 * - The HTML page, HEAD, a 304 revalidation (If-None-Match matching the shared object) and an
 *   unsatisfiable range (416) carry no audio and never count; they still fail once the share is
 *   gone, and once it is used up unless the asking client's session is open.
 *
 * What holds: each counted download releases at most SESSION_COPIES × size bytes (a `bytes=0-`
 * play, then seeks or a replay adding up to one more copy), in at most 1 + MAX_FREE_PIECES
 * bodies, within SESSION_MS, all to one client address. So an N-download share serves at most
 * N × SESSION_COPIES × size bytes in all. A "client" is an address: people behind one address
 * (a NAT, a shared proxy) share a session, so one of them may receive part of the allowance that
 * another paid for, never more than it. Every check and count is one synchronous SQLite
 * transaction in the owner's Durable Object, so it is exact under any concurrency.
 */
const SESSION_MS = 30 * 60_000
export const MAX_FREE_PIECES = 32
/** Bytes one counted download may release, in copies of the object: a play plus seeks, not repeated copies. */
export const SESSION_COPIES = 2
/** Expired and revoked shares stay listed this long, then are dropped. */
const KEEP_MS = 30 * 86_400_000

interface ShareRow extends Record<string, SqlStorageValue> {
  id: string
  audio_id: string
  audio_key: string
  etag: string
  size: number
  created_at: number
  expires_at: number
  max_downloads: number | null
  downloads: number
  revoked_at: number | null
  note: string | null
}

/** One user's share links and their download counts, in their Durable Object's SQLite storage. */
export class ShareLedger {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'shares', [
      (sql) => {
        sql.exec(`CREATE TABLE IF NOT EXISTS shares (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, audio_id TEXT NOT NULL,
      audio_key TEXT NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, max_downloads INTEGER, downloads INTEGER NOT NULL DEFAULT 0,
      revoked_at INTEGER, note TEXT)`)
        sql.exec('CREATE INDEX IF NOT EXISTS shares_by_audio ON shares (audio_id)')
        // Sessions live minutes, so the first layout (`share_sessions`, without `bytes`) is dropped rather than migrated.
        sql.exec('DROP TABLE IF EXISTS share_sessions')
        sql.exec(`CREATE TABLE IF NOT EXISTS download_sessions (
      share_id TEXT NOT NULL, client TEXT NOT NULL, started_at INTEGER NOT NULL, pieces INTEGER NOT NULL,
      bytes INTEGER NOT NULL, PRIMARY KEY (share_id, client))`)
      },
    ])
  }

  /** Shares that can still be downloaded (for a per-user cap). */
  activeCount(now: number): number {
    return this.#sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM shares WHERE revoked_at IS NULL AND expires_at > ?', now).one().n
  }

  create(s: NewShare, now: number): Share {
    this.#sql.exec('DELETE FROM shares WHERE expires_at < ? OR revoked_at < ?', now - KEEP_MS, now - KEEP_MS)
    this.#sql.exec(
      'INSERT INTO shares (id, audio_id, audio_key, etag, size, created_at, expires_at, max_downloads, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      s.shareId,
      s.audioId,
      s.audioKey,
      s.etag,
      s.size,
      now,
      s.expiresAt,
      s.maxDownloads,
      s.note,
    )
    return this.#get(s.shareId)!.share
  }

  /** Newest first; `before` is the `seq` cursor of the previous page. */
  list(limit: number, before?: number): { shares: Share[]; next: number | null } {
    const rows = this.#sql.exec<ShareRow & { seq: number }>('SELECT * FROM shares WHERE seq < ? ORDER BY seq DESC LIMIT ?', before ?? Number.MAX_SAFE_INTEGER, limit + 1).toArray()
    const page = rows.slice(0, limit)
    return { shares: page.map(toShare), next: rows.length > limit ? page[page.length - 1]!.seq : null }
  }

  /** Revokes at once; revoking twice keeps the first time. Null when there is no such share. */
  revoke(shareId: string, now: number): Share | null {
    this.#sql.exec('UPDATE shares SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now, shareId)
    this.#sql.exec('DELETE FROM download_sessions WHERE share_id = ?', shareId)
    return this.#get(shareId)?.share ?? null
  }

  /** Deleting audio revokes every share of it. */
  revokeAudio(audioId: string, now: number): number {
    this.#sql.exec('DELETE FROM download_sessions WHERE share_id IN (SELECT id FROM shares WHERE audio_id = ?)', audioId)
    return this.#sql.exec('UPDATE shares SET revoked_at = ? WHERE audio_id = ? AND revoked_at IS NULL', now, audioId).rowsWritten
  }

  /** A share in any state (live, revoked, expired, used up), or null when there is none. */
  get(shareId: string): Share | null {
    return this.#get(shareId)?.share ?? null
  }

  /** Decides one anonymous request against a share, counting it if it is a download (see above). */
  claim(shareId: string, request: ShareRequest, now: number): Claim {
    this.#sql.exec('DELETE FROM download_sessions WHERE started_at <= ?', now - SESSION_MS)
    const found = this.#get(shareId)
    if (!found) return { ok: false, code: 'not_found' }
    const { share, row } = found
    if (share.revokedAt !== null) return { ok: false, code: 'share_revoked' }
    if (now >= share.expiresAt) return { ok: false, code: 'share_expired' }
    const session = this.#sql
      .exec<{ pieces: number; bytes: number }>('SELECT pieces, bytes FROM download_sessions WHERE share_id = ? AND client = ?', shareId, request.client)
      .toArray()[0]
    const usedUp = share.maxDownloads !== null && share.downloads >= share.maxDownloads
    const asked = requestKind(request, row)
    const granted = { audioKey: row.audio_key, object: { size: row.size, httpEtag: row.etag } }
    if (asked.kind === 'check') return usedUp && !session ? { ok: false, code: 'share_exhausted' } : { ok: true, share, ...granted, counted: false }
    if (asked.kind === 'piece' && session && session.pieces < MAX_FREE_PIECES && session.bytes + asked.bytes <= SESSION_COPIES * row.size) {
      this.#sql.exec('UPDATE download_sessions SET pieces = pieces + 1, bytes = bytes + ? WHERE share_id = ? AND client = ?', asked.bytes, shareId, request.client)
      return { ok: true, share, ...granted, counted: false }
    }
    if (usedUp) return { ok: false, code: 'share_exhausted' }
    this.#sql.exec('UPDATE shares SET downloads = downloads + 1 WHERE id = ?', shareId)
    this.#sql.exec('INSERT OR REPLACE INTO download_sessions (share_id, client, started_at, pieces, bytes) VALUES (?, ?, ?, 0, ?)', shareId, request.client, now, asked.bytes)
    return { ok: true, share: { ...share, downloads: share.downloads + 1 }, ...granted, counted: true }
  }

  #get(shareId: string): { share: Share; row: ShareRow } | null {
    const row = this.#sql.exec<ShareRow>('SELECT * FROM shares WHERE id = ?', shareId).toArray()[0]
    return row ? { share: toShare(row), row } : null
  }
}

/** What a request would release: nothing (a check), or a download or piece of so many bytes. */
function requestKind(request: ShareRequest, row: ShareRow): { kind: 'check' } | { kind: 'download' | 'piece'; bytes: number } {
  if (!request.body) return { kind: 'check' }
  if (request.ifNoneMatch && etagMatches(request.ifNoneMatch, row.etag)) return { kind: 'check' }
  const range = request.range ? parseRange(request.range, row.size) : undefined
  if (range === 'unsatisfiable') return { kind: 'check' }
  return range ? { kind: 'piece', bytes: range.end - range.start + 1 } : { kind: 'download', bytes: row.size }
}

function toShare(r: ShareRow): Share {
  return {
    shareId: r.id,
    audioId: r.audio_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    maxDownloads: r.max_downloads,
    downloads: r.downloads,
    revokedAt: r.revoked_at,
    note: r.note,
  }
}
