import type { Env } from '../env'

/** The Durable Object of the user with this key (auth/user-key.ts): one place names it. */
export const userObjectByKey = (env: Env, userKey: string) => env.USERS.get(env.USERS.idFromName(userKey))

/** The Durable Object of a verified caller. */
export const userObject = (env: Env, user: { key: string }) => userObjectByKey(env, user.key)
