import { migrate, type MigrationStep } from '../sql/migrations'

const SCHEMA: readonly MigrationStep[] = ['CREATE TABLE IF NOT EXISTS voice_transcripts (key TEXT PRIMARY KEY, text TEXT NOT NULL)']

/**
 * The transcripts of a user's voices, in their Durable Object, by the voice's R2 key. Not in R2
 * custom metadata: that holds 2 KB in all, and a transcript of 1000 Chinese characters is 3 KB of
 * UTF-8 (issue 13 found a 500 there). Voices stored before this kept theirs in the metadata, where
 * the routes still look when this table has none.
 */
export class VoiceTranscripts {
  readonly #sql: SqlStorage

  constructor(sql: SqlStorage) {
    this.#sql = sql
    migrate(sql, 'voice_transcripts', SCHEMA)
  }

  set(key: string, text: string): void {
    this.#sql.exec('INSERT INTO voice_transcripts (key, text) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET text = excluded.text', key, text)
  }

  get(key: string): string | null {
    return this.#sql.exec<{ text: string }>('SELECT text FROM voice_transcripts WHERE key = ?', key).toArray()[0]?.text ?? null
  }

  /** Those of `keys` that have a transcript here (one statement: a listing page holds up to 1000 keys). */
  many(keys: readonly string[]): Record<string, string> {
    const rows = this.#sql
      .exec<{ key: string; text: string }>('SELECT key, text FROM voice_transcripts WHERE key IN (SELECT value FROM json_each(?))', JSON.stringify(keys))
      .toArray()
    return Object.fromEntries(rows.map((r) => [r.key, r.text]))
  }

  delete(key: string): void {
    this.#sql.exec('DELETE FROM voice_transcripts WHERE key = ?', key)
  }
}
