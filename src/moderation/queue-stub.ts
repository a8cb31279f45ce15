import type { Env } from '../env'

/** The moderation queue (moderation-queue.ts): one object for the whole deployment. */
export const moderationQueue = (env: Env) => env.MODERATION.get(env.MODERATION.idFromName('reports'))
