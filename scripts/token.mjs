#!/usr/bin/env node
// `npm run -s token -- --sub alice [--role free] [--ttl 3600] [--scope "tts audio"]`: prints a
// token signed with the dev JWT_SECRET from `.dev.vars`, and nothing else, for use in curl.
import { parseArgs } from 'node:util'
import { SignJWT } from 'jose'
import { readDevVars } from './dev-vars.mjs'

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    role: { type: 'string', default: 'free' },
    ttl: { type: 'string', default: '3600' },
    scope: { type: 'string' },
    issuer: { type: 'string', default: 'cosyvoice-edge' },
    audience: { type: 'string', default: 'cosyvoice-edge' },
  },
})
const fail = (message) => {
  process.stderr.write(`token: ${message}\n`)
  process.exit(2)
}
if (!values.sub) fail('give the user as --sub NAME')
const ttl = Number(values.ttl)
if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl must be a positive number of seconds')
const secret = process.env.JWT_SECRET ?? readDevVars().JWT_SECRET
if (!secret) fail('no JWT_SECRET: run `npm run dev` once to create .dev.vars')

const token = await new SignJWT({ role: values.role, ...(values.scope ? { scope: values.scope } : {}) })
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(values.sub)
  .setIssuer(values.issuer)
  .setAudience(values.audience)
  .setIssuedAt()
  .setJti(crypto.randomUUID())
  .setExpirationTime(`${ttl}s`)
  .sign(new TextEncoder().encode(secret))
process.stdout.write(`${token}\n`)
