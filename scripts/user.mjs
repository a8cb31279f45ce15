#!/usr/bin/env node
/**
 * Manages the users who may log in at POST /auth/login: the AUTH_USERS secret.
 *
 *   npm run user -- add alice --role premium   # prompts for the password (or reads it from stdin)
 *   npm run user -- remove alice
 *   npm run user -- list
 *
 * Writes the AUTH_USERS line of .dev.vars (or the file named by --file), prints it, and prints the
 * plain JSON for `wrangler secret put`. Passwords
 * are stored only as PBKDF2-SHA256 hashes (100 000 iterations: workerd's WebCrypto ceiling, see
 * src/auth/password-hash.ts) with a random 16-byte salt. For production:
 *   npx wrangler secret put AUTH_USERS   # paste the JSON printed here
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { webcrypto as crypto } from 'node:crypto'
import { parseArgs } from 'node:util'

const ITERATIONS = 100_000
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/
const ROLE = /^[a-z][a-z0-9_-]{0,31}$/

const b64url = (bytes) => Buffer.from(bytes).toString('base64url')

export async function hashPassword(password, salt = crypto.getRandomValues(new Uint8Array(16)), iterations = ITERATIONS) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password.normalize('NFC')), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256)
  return `pbkdf2-sha256$${iterations}$${b64url(salt)}$${b64url(new Uint8Array(bits))}`
}

function readUsers(file) {
  if (!existsSync(file)) return {}
  const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('AUTH_USERS='))
  if (!line) return {}
  const value = line.slice('AUTH_USERS='.length).replace(/^'(.*)'$/, '$1')
  return JSON.parse(value.replace(/\\\$/g, '$'))
}

function writeUsers(file, users) {
  // wrangler expands $NAME in .dev.vars (dotenv-expand), and the hashes contain '$': escape them.
  const line = `AUTH_USERS='${JSON.stringify(users).replace(/\$/g, '\\$')}'`
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => !l.startsWith('AUTH_USERS=')) : []
  while (lines.length && lines[lines.length - 1] === '') lines.pop()
  writeFileSync(file, [...lines, line, ''].join('\n'), { mode: 0o600 })
  return line
}

/** The password from a TTY prompt (not echoed) or, when piped, the first line of stdin. */
async function readPassword() {
  const stdin = process.stdin
  if (!stdin.isTTY) {
    let text = ''
    for await (const chunk of stdin) text += chunk
    return text.split(/\r?\n/)[0] ?? ''
  }
  const ask = (prompt) =>
    new Promise((resolve, reject) => {
      process.stderr.write(prompt)
      let text = ''
      stdin.setRawMode(true)
      stdin.resume()
      stdin.setEncoding('utf8')
      const onData = (ch) => {
        if (ch === '\u0003') {
          stdin.setRawMode(false)
          reject(new Error('cancelled'))
        } else if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false)
          stdin.pause()
          stdin.off('data', onData)
          process.stderr.write('\n')
          resolve(text)
        } else if (ch === '\u007f') text = text.slice(0, -1)
        else text += ch
      }
      stdin.on('data', onData)
    })
  const first = await ask('Password: ')
  const again = await ask('Again: ')
  if (first !== again) throw new Error('the passwords differ')
  return first
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string', default: 'free' }, file: { type: 'string', default: '.dev.vars' } },
  })
  const [command, name] = positionals
  const users = readUsers(values.file)
  if (command === 'list') {
    for (const [user, { role }] of Object.entries(users)) console.log(`${user}\t${role}`)
    return
  }
  if ((command !== 'add' && command !== 'remove') || !name) {
    console.error('usage: npm run user -- add <name> [--role free|premium|admin] | remove <name> | list   [--file .dev.vars]')
    process.exit(2)
  }
  if (!USERNAME.test(name)) throw new Error(`"${name}" is not a valid username (${USERNAME.source})`)
  if (command === 'remove') delete users[name]
  else {
    if (!ROLE.test(values.role)) throw new Error(`"${values.role}" is not a valid role`)
    const password = await readPassword()
    if (password.length < 8) throw new Error('use a password of at least 8 characters')
    users[name] = { role: values.role, password: await hashPassword(password) }
  }
  console.log(writeUsers(values.file, users))
  console.error(`${values.file} updated. For a deployment, give this JSON to \`npx wrangler secret put AUTH_USERS\`:`)
  console.error(JSON.stringify(users))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`error: ${e.message}`)
    process.exit(1)
  })
}
