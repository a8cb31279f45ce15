/**
 * The floor: a bare passthrough Worker on the same runtime as the edge, in front of the same origin.
 * It forwards the request it gets (method, headers, body) to `ORIGIN_URL` + the same path and
 * returns the origin's response as it streams. No auth, no limits, no storage: whatever the edge
 * adds over this is the edge's own cost; whatever this adds over calling the origin directly is
 * the runtime's.
 */
interface PassthroughEnv {
  ORIGIN_URL: string
}

export default {
  fetch(request: Request, env: PassthroughEnv): Promise<Response> {
    const url = new URL(request.url)
    return fetch(`${env.ORIGIN_URL}${url.pathname}`, request)
  },
} satisfies ExportedHandler<PassthroughEnv>
