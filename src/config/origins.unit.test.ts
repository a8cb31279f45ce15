import { describe, expect, it } from 'vitest'
import { parseOrigins } from './origins'

const failure = (origins: unknown) => {
  try {
    parseOrigins(typeof origins === 'string' ? origins : JSON.stringify(origins))
  } catch (e) {
    return (e as Error).message
  }
  throw new Error('parsed')
}

describe('parseOrigins: one schema, each mistake named by its place in ORIGINS', () => {
  it('fills the defaults, trims a trailing slash and takes plain URLs, as a list or comma-separated', () => {
    expect(parseOrigins('http://gpu-1:50000/, https://gpu-2')).toEqual([
      { url: 'http://gpu-1:50000', concurrency: 1, weight: 1, model: 'cosyvoice3', name: null, speakers: [], canary: { mode: 'cross_lingual', text: 'Hello.' } },
      { url: 'https://gpu-2', concurrency: 1, weight: 1, model: 'cosyvoice3', name: null, speakers: [], canary: { mode: 'cross_lingual', text: 'Hello.' } },
    ])
    expect(
      parseOrigins(
        JSON.stringify([{ url: 'http://a', concurrency: 3, weight: 0.5, model: 'cosyvoice2', name: 'gpu', speakers: ['x'], canary: { mode: 'sft', speaker: 'x', text: 'Hi.' } }]),
      ),
    ).toEqual([{ url: 'http://a', concurrency: 3, weight: 0.5, model: 'cosyvoice2', name: 'gpu', speakers: ['x'], canary: { mode: 'sft', speaker: 'x', text: 'Hi.' } }])
  })

  it.each([
    [[], 'ORIGINS must be a non-empty list'],
    [[5], 'ORIGINS[0] must be a URL or an object with "url"'],
    [[{}], 'ORIGINS[0].url is required'],
    ['not a url', 'ORIGINS[0].url is not a URL'],
    [[{ url: 'ftp://gpu' }], 'ORIGINS[0].url must be http(s)'],
    [[{ url: 'http://a' }, { url: 'http://b', concurrency: 1.5 }], 'ORIGINS[1].concurrency must be a positive integer'],
    [[{ url: 'http://a', weight: 0 }], 'ORIGINS[0].weight must be a positive number'],
    ['[{"url":"http://a","weight":1e999}]', 'ORIGINS[0].weight must be a positive number'],
    ['[{"url":"http://a","__proto__":{}}]', 'ORIGINS[0].__proto__ is not an origin setting (url, concurrency, weight, model, name, speakers, canary)'],
    ['[{"url":"http://a","canary":{"mode":"cross_lingual","toString":1}}]', 'ORIGINS[0].canary.toString is not a canary setting (mode, speaker, text)'],
    [[{ url: 'http://a', model: 'cosyvoice1' }], 'ORIGINS[0].model must be "cosyvoice3" or "cosyvoice2"'],
    [[{ url: 'http://a', concurency: 4 }], 'ORIGINS[0].concurency is not an origin setting (url, concurrency, weight, model, name, speakers, canary)'],
    [[{ url: 'http://a', speakers: ['a', 'a'] }], 'ORIGINS[0].speakers lists "a" twice'],
    [[{ url: 'http://a', speakers: ['ok', ' b'] }], 'ORIGINS[0].speakers[1] must be a speaker name of 1 to 64 characters without surrounding spaces'],
    [[{ url: 'http://a', canary: { mode: 'sft' } }], 'ORIGINS[0].canary.speaker is required'],
    [[{ url: 'http://a', speakers: ['a'], canary: { mode: 'sft', speaker: 'b' } }], "ORIGINS[0].canary.speaker must be one of this origin's speakers"],
    [[{ url: 'http://a', canary: { mode: 'cross_lingual', speaker: 'a' } }], 'ORIGINS[0].canary.speaker is only for mode "sft"'],
    [[{ url: 'http://a', canary: { mode: 'zero_shot' } }], 'ORIGINS[0].canary.mode must be "sft" or "cross_lingual"'],
    [[{ url: 'http://a' }, { url: 'http://a/' }], 'ORIGINS[1].url is listed twice: give the machine one entry with its total concurrency'],
  ])('%j: %s', (origins, message) => {
    expect(failure(origins)).toBe(message)
  })
})
