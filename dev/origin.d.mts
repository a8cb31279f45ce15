export interface DevOriginOptions {
  port?: number
  host?: string
  /** When set, every /inference_* call must carry a valid edge proof (dev/origin-proof.mjs). */
  secret?: string
  engine?: 'espeak' | 'tone'
  /** Calls beyond this many at once are served but counted as violations. */
  maxConcurrent?: number
  sampleRate?: number
  fault?: 'empty' | 'cut' | 'odd' | 'refuse' | 'error500'
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
  reset(): void
}

export function startOrigin(options?: DevOriginOptions): Promise<DevOrigin>
