import { Hono } from 'hono'
import type { AppEnv } from './app-env'
import { onError, onNotFound } from './http/error-handler'
import { requestContext } from './audit/request-context'
import { audioRoutes } from './audio/audio-routes'
import { usageRoutes } from './limits/usage-route'
import { auditRoutes } from './audit/audit-routes'
import { ttsRoutes } from './synthesis/tts-route'
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

export { UserObject } from './users/user-object'
export { OriginPool } from './pool/origin-pool'
export { ModerationQueue } from './moderation/moderation-queue'

const app = new Hono<AppEnv>()
  .use(requestContext())
  .get('/health', (c) => c.json({ ok: true }))
  .route('/', authRoutes)
  .route('/', adminTokenRoutes)
  .route('/', jwksRoutes)
  .route('/', ttsRoutes)
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

app.onError(onError)
app.notFound(onNotFound)

export default app
