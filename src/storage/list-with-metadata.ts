/**
 * `R2Bucket.list` with `include`, so a listing carries each object's custom metadata (names,
 * transcripts) without a `head` per object. The runtime has honoured `include` since the 2022-08-04
 * compatibility date (`r2_list_honor_include`); the default workers-types entry we compile against
 * predates it and lacks the option.
 */
export type R2ListWithMetadata = R2ListOptions & { include?: ('httpMetadata' | 'customMetadata')[] }

export function listWithMetadata(bucket: R2Bucket, options: Omit<R2ListWithMetadata, 'include'>): Promise<R2Objects> {
  const withMetadata: R2ListWithMetadata = { ...options, include: ['customMetadata', 'httpMetadata'] }
  return bucket.list(withMetadata)
}
