import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'

/**
 * One per user (named by the user key): the single place where that user's counters are exact,
 * worldwide. State lives in the object's SQLite storage.
 */
export class UserObject extends DurableObject<Env> {}
