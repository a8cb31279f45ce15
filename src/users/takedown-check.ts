import type { Env } from '../env'
import { ApiError } from '../http/api-error'
import type { TakedownKind, TakedownNotice } from './takedown-ledger'
import { userObjectByKey } from './user-stub'

/** Who is asking: the object's owner learns why; anyone else only that an administrator removed it. */
export type Viewer = 'owner' | 'visitor'

const NOUN: Record<TakedownKind, string> = { audio: 'this audio', voice: 'this voice', share: 'this share' }

/**
 * A held object answers **451 `taken_down`**, whoever asks and by whatever route. 451 because it
 * is what the status means in practice (an operator blocked this one resource on purpose, RFC
 * 7725) and no other state uses it: 404 would look like a bug or a deletion, and 410 is already
 * what a share its owner revoked or that expired answers. It is not permanent (an admin may
 * release it), so the answer is never cached (`no-store`, as every error here). The owner's
 * message carries the reason code; a visitor's does not.
 */
export function takenDownError(notice: TakedownNotice, viewer: Viewer): ApiError {
  const what = NOUN[notice.kind]
  const message =
    viewer === 'owner'
      ? `${what} was removed by an administrator (reason: ${notice.reason}); it is kept as evidence and cannot be used, shared or deleted until an administrator releases it`
      : `${what} was removed by an administrator`
  return new ApiError(451, 'taken_down', message)
}

/** A suspended account's shares and links, to their visitors: neutral, saying nothing of why. */
export const notAvailableError = (kind: TakedownKind) => new ApiError(410, 'not_available', `${NOUN[kind]} is not available`)

/**
 * Refuses a request for one of `ownerKey`'s objects while an admin holds it (and, for a visitor,
 * while the owner's account is suspended). One call to the owner's Durable Object, where the
 * takedown was written, so it holds from that moment on every route that asks.
 */
export async function refuseIfTakenDown(env: Env, check: { ownerKey: string; kind: TakedownKind; objectId: string; viewer: Viewer }): Promise<void> {
  refuseByNotice(await userObjectByKey(env, check.ownerKey).takedownNotice(check.kind, check.objectId), check.kind, check.viewer)
}

/** The same refusal, from a takedown notice the caller already asked the owner's object for. */
export function refuseByNotice(notice: { takedown: TakedownNotice | null; suspended: boolean }, kind: TakedownKind, viewer: Viewer): void {
  if (notice.takedown) throw takenDownError(notice.takedown, viewer)
  if (notice.suspended && viewer === 'visitor') throw notAvailableError(kind)
}

/** How a listing shows an item: null, or when and why an administrator removed it. */
export type TakedownView = { reason: string; taken_at: string } | null

/** The takedown view of each of a listing page's objects, in one call to the owner's object. */
export async function takedownViews(env: Env, ownerKey: string, kind: TakedownKind, objectIds: string[]): Promise<(id: string) => TakedownView> {
  const held = objectIds.length ? await userObjectByKey(env, ownerKey).takedownsAmong(kind, objectIds) : []
  const byId = new Map(held.map((n) => [n.objectId, { reason: n.reason, taken_at: new Date(n.takenAt).toISOString() }]))
  return (id) => byId.get(id) ?? null
}

/**
 * Before an owner deletes an object: refused (451) while it is held as evidence. Otherwise the
 * delete is announced to the owner's object, so that a takedown racing it cannot hold an object
 * that is about to vanish (takedown-ledger.ts).
 */
export async function announceOwnerDelete(env: Env, ownerKey: string, kind: TakedownKind, objectId: string): Promise<void> {
  const held = await userObjectByKey(env, ownerKey).announceDelete(kind, objectId)
  if (held) throw takenDownError(held, 'owner')
}
