import { Hono } from 'hono'
import type { AppEnv } from './app-env'
import { onError, onNotFound } from './http/error-handler'
import { requestContext } from './audit/request-context'
import { audioRoutes } from './audio/audio-routes'
import { usageRoutes } from './limits/usage-route'
import { auditRoutes } from './audit/audit-routes'
import { ttsRoutes } from './synthesis/tts-route'
import { speakersRoutes } from './synthesis/speakers-route'
import { poolRoutes } from './pool/pool-routes'
import { authRoutes } from './accounts/login-routes'
import { adminTokenRoutes } from './tokens/admin-token-routes'
import { jwksRoutes } from './tokens/jwks-route'
import { linkRoutes } from './links/link-routes'
import { shareRoutes } from './links/share-routes'
import { voiceRoutes } from './voices/voice-routes'
import { sharedVoiceRoutes } from './voices/shared-voice-routes'
import { takedownRoutes } from './moderation/takedown-routes'
import { reportRoutes } from './moderation/report-routes'
import { reportQueueRoutes } from './moderation/report-queue-routes'
import { apiKeyRoutes } from './apikeys/api-key-routes'
import { adminApiKeyRoutes } from './apikeys/admin-api-key-routes'
import { consoleRoutes } from './console/console-routes'
import { cors } from './http/cors'
import { openApiRoutes } from './openapi/openapi-routes'
import { adminUserRoutes } from './accounts/admin-user-routes'
import { inviteRoutes } from './accounts/invite-routes'
import { passwordRoutes } from './accounts/password-route'
import { sessionRoutes } from './accounts/session-routes'
import { syncPendingAccounts } from './accounts/account-sync'
import type { Env } from './env'

export { UserObject } from './users/user-object'
export { OriginPool } from './pool/origin-pool'
export { LoginAddressObject } from './accounts/login-address-object'
export { ModerationQueue } from './moderation/moderation-queue'

const app = new Hono<AppEnv>()
  .use(requestContext())
  .use(cors())
  .get('/health', (c) => c.json({ ok: true }))
  .route('/', authRoutes)
  .route('/', adminTokenRoutes)
  .route('/', jwksRoutes)
  .route('/', ttsRoutes)
  .route('/', speakersRoutes)
  .route('/', audioRoutes)
  .route('/', usageRoutes)
  .route('/', auditRoutes)
  .route('/', poolRoutes)
  .route('/', linkRoutes)
  .route('/', shareRoutes)
  .route('/', voiceRoutes)
  .route('/', sharedVoiceRoutes)
  .route('/', takedownRoutes)
  .route('/', reportRoutes)
  .route('/', reportQueueRoutes)
  .route('/', apiKeyRoutes)
  .route('/', adminApiKeyRoutes)
  .route('/', consoleRoutes)
  .route('/', openApiRoutes)
  .route('/', adminUserRoutes)
  .route('/', inviteRoutes)
  .route('/', passwordRoutes)
  .route('/', sessionRoutes)

app.onError(onError)
app.notFound(onNotFound)

/** The app's routes as types, for `hono/client` (the `cosyvoice-edge/client` subpath). */
export type AppType = typeof app

// The app itself (tests read its routes) with the scheduled run of wrangler.toml [triggers]:
// account changes and deletion jobs that no request delivered (the CLI, a crash).
export default Object.assign(app, {
  scheduled: (_controller: ScheduledController, env: Env, ctx: ExecutionContext) => ctx.waitUntil(syncPendingAccounts(env)),
}) satisfies ExportedHandler<Env>
