export type DevOriginFault = 'empty' | 'error' | 'cut' | 'odd' | 'refuse' | 'error500'

export interface DevOriginOptions {
  port?: number
  host?: string
  /** When set, every /inference_* call must carry a valid edge proof (dev/origin-proof.mjs). */
  secret?: string
  engine?: 'espeak' | 'tone'
  /** cosyvoice3 (default) asserts `<|endofprompt|>` in prompt text + text in every mode. */
  model?: 'cosyvoice3' | 'cosyvoice2'
  /** Preset speakers the model ships (default none, like the CosyVoice2/3 downloads). */
  speakers?: readonly string[]
  /** Honour `[[dev:…]]` directives in tts_text and `X-Dev-*` headers (default off: faithful). */
  directives?: boolean
  /** Calls beyond this many at once are served but counted as violations. */
  maxConcurrent?: number
  sampleRate?: number
  /** Applies to every call until changed (`setFault`, or POST /__dev/fault). */
  fault?: DevOriginFault
  delayMs?: number
  log?: boolean | ((line: string) => void)
}

export interface DevOriginStats {
  inFlight: number
  maxInFlight: number
  violations: number
  total: number
}

export interface DevOrigin {
  url: string
  port: number
  close(): Promise<void>
  stats(): DevOriginStats
  requests(requestId?: string): unknown[]
  setFault(fault: DevOriginFault | null): void
  reset(): void
}

/** The speakers the dev origin has voices for (`--speakers presets`). */
export const PRESET_SPEAKERS: readonly string[]

export function startOrigin(options?: DevOriginOptions): Promise<DevOrigin>
