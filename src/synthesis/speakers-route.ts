import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { requireUser } from '../auth/require-user'
import { getConfig } from '../config/app-config'
import { speakerCatalog } from './speakers'

/** `GET /v1/speakers` (any valid token): the preset speakers `sft` can use, and the available modes. */
export const speakersRoutes = new Hono<AppEnv>().get('/v1/speakers', requireUser(), (c) =>
  c.json(speakerCatalog(getConfig(c.env).origins), 200, { 'Cache-Control': 'private, max-age=60' }),
)
