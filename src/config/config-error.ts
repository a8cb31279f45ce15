/** A missing or invalid setting. Answers 500 naming the setting: the service fails closed, never open. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}
