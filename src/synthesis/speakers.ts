import type { OriginConfig } from '../config/origins'
import { ApiError } from '../http/api-error'
import { SYNTHESIS_MODES, type SynthesisMode } from '../origin/cosyvoice-form'

export interface SpeakerCatalog {
  /** Preset speakers some origin declares, in the order ORIGINS first lists them. */
  speakers: string[]
  /** `sft` only when some origin has a speaker; the voice modes always (every model has them). */
  modes: SynthesisMode[]
}

const catalogs = new WeakMap<readonly OriginConfig[], SpeakerCatalog>()

/** What the pool can synthesize, from the operator's declarations (never guessed from the model). */
export function speakerCatalog(origins: readonly OriginConfig[]): SpeakerCatalog {
  let catalog = catalogs.get(origins)
  if (!catalog) {
    const speakers = [...new Set(origins.flatMap((o) => o.speakers))]
    catalog = { speakers, modes: SYNTHESIS_MODES.filter((mode) => mode !== 'sft' || speakers.length > 0) }
    catalogs.set(origins, catalog)
  }
  return catalog
}

/**
 * The origins an `sft` request for `speaker` must not go to (they do not have it). Refuses with 400
 * when no origin has it: the stock server would fail it after its 200, so it is never sent.
 */
export function originsWithoutSpeaker(origins: readonly OriginConfig[], speaker: string): string[] {
  const without = origins.filter((o) => !o.speakers.includes(speaker)).map((o) => o.url)
  if (without.length === origins.length) {
    throw new ApiError(400, 'unknown_speaker', `speaker ${JSON.stringify(speaker)} is not offered here: GET /v1/speakers lists the preset speakers`)
  }
  return without
}
