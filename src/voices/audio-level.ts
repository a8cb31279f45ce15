/**
 * How loud the loudest moment of some audio is: the RMS of the loudest 50 ms window, with its DC
 * offset removed (a constant level is no sound), in dBFS (a full-scale square wave is 0 dBFS).
 * Fed one sample at a time, normalised to [-1, 1]; keeps a few numbers, never the audio.
 *
 * Speech, even quiet speech, has a loudest 50 ms far above -50 dBFS; hiss, hum from an unplugged
 * input, dither or digital silence stays below. Short windows so a prompt with one spoken phrase
 * and long pauses is still heard.
 */
export class LevelMeter {
  readonly #windowSize: number
  #n = 0
  #sum = 0
  #sumOfSquares = 0
  #loudest = 0

  constructor(sampleRate: number, windowMs = 50) {
    this.#windowSize = Math.max(1, Math.round((sampleRate * windowMs) / 1000))
  }

  add(sample: number): void {
    this.#sum += sample
    this.#sumOfSquares += sample * sample
    if (++this.#n === this.#windowSize) this.#closeWindow()
  }

  /** The loudest window's level; -Infinity for digital silence (or no audio at all). */
  loudestDbfs(): number {
    // A last, partial window counts if it is at least half a window long.
    if (this.#n * 2 >= this.#windowSize) this.#closeWindow()
    return this.#loudest > 0 ? 10 * Math.log10(this.#loudest) : -Infinity
  }

  #closeWindow(): void {
    const mean = this.#sum / this.#n
    // Variance: the power that is left once the window's DC offset is taken away.
    const power = Math.max(0, this.#sumOfSquares / this.#n - mean * mean)
    if (power > this.#loudest) this.#loudest = power
    this.#n = 0
    this.#sum = 0
    this.#sumOfSquares = 0
  }
}
