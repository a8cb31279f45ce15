/**
 * The production latency model: every call to a Durable Object costs a configurable round trip.
 *
 * Locally a Durable Object lives in the same workerd process as the Worker and answers in well
 * under a millisecond. On Cloudflare, the user's object lives where that user first appeared and
 * the one pool object where it was created (or where ORIGIN_POOL_LOCATION put it), so a call may
 * cross a continent. The model wraps the two namespaces so that each call through one of their
 * stubs waits half the round trip before it reaches the object and half after it answers (what
 * the object sees, and when, stays as in production), and counts the calls by method, so the bench
 * can tell how many a flood cost.
 *
 * Nothing here is part of the edge: bench/workers/edge-model.ts wraps the app's `env` with it.
 */

export interface LatencyModel {
  /** Round trip to a user's object, ms. */
  users: number
  /** Round trip to the origin pool's object, ms. */
  pool: number
}

let model: LatencyModel = { users: 0, pool: 0 }
const counts = new Map<string, number>()
const wrapped = new WeakMap<object, object>()

export function setModel(next: Partial<LatencyModel>): LatencyModel {
  model = { users: Number(next.users ?? 0), pool: Number(next.pool ?? 0) }
  return model
}

/** Calls per `namespace.method` since the last take, e.g. `{"users.admit": 12}`. */
export function takeCounts(): Record<string, number> {
  const taken = Object.fromEntries(counts)
  counts.clear()
  return taken
}

/** `env` with USERS and ORIGIN_POOL behind the model (the same object every time for one env). */
export function modelled<E extends { USERS: object; ORIGIN_POOL: object }>(env: E): E {
  let copy = wrapped.get(env) as E | undefined
  if (!copy) {
    copy = { ...env, USERS: namespace(env.USERS, 'users'), ORIGIN_POOL: namespace(env.ORIGIN_POOL, 'pool') }
    wrapped.set(env, copy)
  }
  return copy
}

function namespace<T extends object>(real: T, name: keyof LatencyModel): T {
  return new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop)
      if (prop !== 'get' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value
      return (...args: unknown[]) => stub(value.apply(target, args) as object, name)
    },
  })
}

function stub<T extends object>(real: T, name: keyof LatencyModel): T {
  return new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop)
      // `then` must stay undefined (a stub is not a promise); `id` and `name` are plain values.
      if (typeof prop !== 'string' || prop === 'then' || typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        const key = `${name}.${prop}`
        counts.set(key, (counts.get(key) ?? 0) + 1)
        const half = model[name] / 2
        if (half > 0) await sleep(half)
        const result = await (target as Record<string, (...a: unknown[]) => Promise<unknown>>)[prop]!(...args)
        if (half > 0) await sleep(half)
        return result
      }
    },
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
