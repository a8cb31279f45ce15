#!/usr/bin/env node
// Prints an edge token signed with the dev JWT_SECRET (from .dev.vars), and nothing else, for curl.
import { SignJWT } from 'jose'
import { UsageError, integerIn, parseCli, runCli } from './cli.mjs'
import { readDevVars } from './dev-vars.mjs'

const USAGE = `
usage: npm run -s token -- --sub NAME [--role free|premium|admin] [--ttl SECONDS] [--scope "tts audio"]

Prints an access token for the Worker of \`npm run dev\`, signed with JWT_SECRET from .dev.vars
(or the environment). Use -s so npm prints only the token: TOKEN=$(npm run -s token -- --sub alice)

  --sub NAME       the user (required)
  --role ROLE      free (default), premium, admin, or a role defined in TIERS (.dev.vars or the
                   environment); any other role is refused: the Worker would treat it as free
  --ttl SECONDS    life of the token, 1 to 31536000 (default 3600)
  --scope "A B"    space-separated scopes (tts audio voices share admin); default: all
  --issuer ISS     default cosyvoice-edge (JWT_ISSUER)
  --audience AUD   default cosyvoice-edge (JWT_AUDIENCE)
`

const DEFAULT_ROLES = ['free', 'premium', 'admin']
const SCOPES = ['tts', 'audio', 'voices', 'share', 'admin']

await runCli('token', async () => {
  const { values } = parseCli({
    name: 'token',
    usage: USAGE,
    options: {
      sub: { type: 'string' },
      role: { type: 'string', default: 'free' },
      ttl: { type: 'string', default: '3600' },
      scope: { type: 'string' },
      issuer: { type: 'string', default: 'cosyvoice-edge' },
      audience: { type: 'string', default: 'cosyvoice-edge' },
    },
  })
  const vars = { ...readDevVars(), ...process.env }
  const sub = values.sub?.trim()
  if (!sub) throw new UsageError('give the user as --sub NAME (see --help)')
  const roles = knownRoles(vars.TIERS)
  const role = /** @type {string} */ (values.role)
  if (!roles.includes(role)) throw new UsageError(`unknown role "${role}": one of ${roles.join(', ')} (or add it to TIERS)`)
  const ttl = integerIn(values.ttl, '--ttl', 1, 365 * 86400)
  const scopes = values.scope?.split(/\s+/).filter(Boolean)
  const unknown = scopes?.filter((s) => !SCOPES.includes(s))
  if (scopes && scopes.length === 0) throw new UsageError('--scope is empty: leave it out for every scope')
  if (unknown?.length) throw new UsageError(`unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}: one of ${SCOPES.join(', ')}`)
  const secret = vars.JWT_SECRET
  if (!secret) throw new UsageError('no JWT_SECRET: run `npm run dev` once to create .dev.vars')

  const token = await new SignJWT({ role, ...(scopes ? { scope: scopes.join(' ') } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(/** @type {string} */ (values.issuer))
    .setAudience(/** @type {string} */ (values.audience))
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(`${ttl}s`)
    .sign(new TextEncoder().encode(secret))
  process.stdout.write(`${token}\n`)
})

/** The default roles and those TIERS adds (a TIERS that is not JSON is the Worker's to report). */
function knownRoles(tiers) {
  try {
    const parsed = tiers ? JSON.parse(tiers) : {}
    return [...new Set([...DEFAULT_ROLES, ...Object.keys(parsed && typeof parsed === 'object' ? parsed : {})])]
  } catch {
    return DEFAULT_ROLES
  }
}
