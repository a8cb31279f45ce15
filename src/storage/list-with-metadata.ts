import { badRequest } from '../http/api-error'

/**
 * `R2Bucket.list` with `include`, so a listing carries each object's custom metadata (names,
 * transcripts) without a `head` per object. The runtime has honoured `include` since the 2022-08-04
 * compatibility date (`r2_list_honor_include`); the default workers-types entry we compile against
 * predates it and lacks the option.
 */
export type R2ListWithMetadata = R2ListOptions & { include?: ('httpMetadata' | 'customMetadata')[] }

/**
 * One page of a listing. A client's cursor R2 refuses is a 400 `invalid_cursor`; any other failure
 * (R2 itself) stays what it is, a 500, rather than passing for the client's mistake.
 */
export async function listWithMetadata(bucket: R2Bucket, options: Omit<R2ListWithMetadata, 'include'>): Promise<R2Objects> {
  const withMetadata: R2ListWithMetadata = { ...options, include: ['customMetadata', 'httpMetadata'] }
  try {
    return await bucket.list(withMetadata)
  } catch (e) {
    if (options.cursor) throw badRequest('invalid cursor', 'invalid_cursor')
    throw e
  }
}
