import type { ServerTiming } from '../http/server-timing'
import { WavRecorder, type RecordingOptions } from '../storage/wav-recorder'

/** The recorder, with its commit to R2 at the end timed as the `r2` stage (the synthesis' log line). */
export class TimedRecorder extends WavRecorder {
  readonly #timing: ServerTiming

  constructor(options: RecordingOptions, timing: ServerTiming) {
    super(options)
    this.#timing = timing
  }

  override finish(): Promise<R2Object> {
    return this.#timing.time('r2', super.finish())
  }
}
