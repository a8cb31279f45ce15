import { Hono } from 'hono'
import type { AppEnv } from '../app-env'
import { adminUserRoutes } from './admin-user-routes'
import { inviteRoutes } from './invite-routes'
import { passwordRoutes } from './password-route'
import { sessionRoutes } from './session-routes'

/** Every route of the account directory: the admin API, invites, password change, sessions. */
export const accountRoutes = new Hono<AppEnv>().route('/', adminUserRoutes).route('/', inviteRoutes).route('/', passwordRoutes).route('/', sessionRoutes)
