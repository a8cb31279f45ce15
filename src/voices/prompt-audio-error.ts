export type PromptAudioErrorCode = 'unsupported_media_type' | 'invalid_audio'

/** Thrown for anything that must not reach the origin; `code` maps to the HTTP error. */
export class PromptAudioError extends Error {
  readonly code: PromptAudioErrorCode

  constructor(code: PromptAudioErrorCode, message: string) {
    super(message)
    this.name = 'PromptAudioError'
    this.code = code
  }
}

export function invalidAudio(message: string): PromptAudioError {
  return new PromptAudioError('invalid_audio', message)
}
