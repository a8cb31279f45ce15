#!/usr/bin/env node
/**
 * `npm run user -- <command>`: manages the accounts of the D1 directory (src/accounts/) from a
 * terminal, through `wrangler d1 execute`: the local database of `npm run dev` by default, the
 * deployed one with --remote. This is how the first admin of a fresh deploy is made; after that
 * the admin API (`/admin/users`) does the same from anywhere.
 *
 * The rules are the Worker's own (src/accounts/username.mjs): usernames are compared ignoring case
 * and Unicode form, roles must be tiers of TIERS, passwords are PBKDF2-SHA256 (100 000 iterations,
 * workerd's ceiling) and at least 8 characters, read without echo from the terminal or from stdin.
 *
 * Changes that concern live sessions (set-role, disable, remove) reach the user's Durable Object
 * through the Worker's scheduled run (every minute once deployed); a running `npm run dev` is
 * asked to run it at once.
 */
import { spawnSync } from 'node:child_process'
import { webcrypto as crypto } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { canonicalUsername, foldUsername, newUserId, passwordProblem } from '../src/accounts/username.mjs'
import { readDevVars } from './dev-vars.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
const ITERATIONS = 100_000
const INVITE_TTL_MS = 7 * 86_400_000
const DEFAULT_TIERS = ['free', 'premium', 'admin']

const HELP = `Manage the accounts that log in at the edge (the D1 directory).

Usage: npm run user -- <command> [options]

Commands:
  add <username> [--role ROLE] [--invite]   create an account; asks for its password (no echo) or
                                            reads it from stdin; --invite prints a one-time link instead
  list [--search TEXT]                      list accounts
  set-role <username> <role>                change the role (a tier of TIERS)
  disable <username>                        refuse its logins and end its sessions
  enable <username>                         let it log in again
  invite <username>                         a new one-time link to set the password (a reset)
  remove <username>                         delete the account; the Worker erases all its data

Options:
  --role ROLE     with add: free (default), premium, admin or another tier of TIERS
  --remote        the deployed database (wrangler must be logged in); default: the local one of npm run dev
  --persist-to DIR  the local database of a \`wrangler dev --persist-to DIR\` (default: .wrangler/state)
  --url URL       where invite links point (default: http://127.0.0.1:$PORT, PORT defaulting to 8787)
  -h, --help      this help

Examples:
  npm run user -- add alice --role admin
  echo 'a long password' | npm run user -- add bob
  npm run user -- set-role bob premium --remote`

class UsageError extends Error {}

const b64url = (bytes) => Buffer.from(bytes).toString('base64url')
/** A SQL string literal (D1's execute takes no parameters; every value passes through here). */
const q = (value) => (value === null || value === undefined ? 'NULL' : typeof value === 'number' ? String(value) : `'${String(value).replace(/'/g, "''")}'`)

async function hashPassword(password) {
  const salt = crypto.getRandomValues(new Uint8Array(16))
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password.normalize('NFC')), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: ITERATIONS }, key, 256)
  return `pbkdf2-sha256$${ITERATIONS}$${b64url(salt)}$${b64url(new Uint8Array(bits))}`
}

async function sha256(text) {
  return b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))))
}

/** The tiers a role may name: the defaults and TIERS (environment, .dev.vars, or wrangler.toml [vars]). */
function knownRoles(remote) {
  const raw = process.env.TIERS ?? (remote ? undefined : readDevVars().TIERS) ?? tiersFromWranglerToml()
  if (!raw) return DEFAULT_TIERS
  try {
    return [...new Set([...DEFAULT_TIERS, ...Object.keys(JSON.parse(raw))])]
  } catch {
    throw new Error('TIERS is not valid JSON')
  }
}

function tiersFromWranglerToml() {
  const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8')
  const vars = /^\[vars\]\s*$([\s\S]*?)(?=^\[)/m.exec(toml)?.[1] ?? ''
  const m = /^TIERS\s*=\s*'(.*)'\s*$/m.exec(vars) ?? /^TIERS\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/m.exec(vars)
  return m?.[1]
}

function username(arg) {
  if (!arg) throw new UsageError('give the username')
  const canonical = canonicalUsername(arg)
  if (typeof canonical === 'string') throw new UsageError(`"${arg}": ${canonical}`)
  return canonical
}

function role(arg, remote) {
  const roles = knownRoles(remote)
  if (!roles.includes(arg)) throw new UsageError(`"${arg}" is not a tier of TIERS (${roles.join(', ')})`)
  return arg
}

/** Runs SQL in the directory with wrangler; the rows of each statement. One file: one transaction. */
function execute(sql, { remote, persistTo }) {
  const dir = mkdtempSync(join(tmpdir(), 'cosyvoice-user-'))
  const file = join(dir, 'change.sql')
  try {
    writeFileSync(file, sql, { mode: 0o600 })
    const run = () =>
      spawnSync(process.execPath, [WRANGLER, 'd1', 'execute', 'DB', remote ? '--remote' : '--local', ...persistArgs(persistTo), '--json', '--file', file], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
      })
    let result = run()
    if (result.status !== 0 && /no such table/.test(result.stdout + result.stderr)) {
      if (remote) throw new Error('the deployed database has no tables: run `npx wrangler d1 migrations apply DB --remote` first')
      applyLocalMigrations(persistTo)
      result = run()
    }
    if (result.status !== 0) throw new Error(wranglerError(result))
    return JSON.parse(result.stdout).map((r) => r.results ?? [])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `--persist-to DIR`: the local state of a `wrangler dev --persist-to DIR` (tests run the Worker on their own state). */
const persistArgs = (persistTo) => (persistTo ? ['--persist-to', persistTo] : [])

function applyLocalMigrations(persistTo) {
  const result = spawnSync(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', ...persistArgs(persistTo)], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' },
  })
  if (result.status !== 0) throw new Error(`applying migrations/ to the local database failed: ${wranglerError(result)}`)
}

/** wrangler's own message, on one line. */
function wranglerError(result) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing terminal colour codes (ESC [ … m) is the point
  const out = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '')
  try {
    const text = JSON.parse(result.stdout).error?.text
    if (text) return `wrangler: ${text}`
  } catch {}
  const line =
    out.split('\n').find((l) => /\[ERROR\]|error:/i.test(l)) ??
    out
      .split('\n')
      .filter((l) => l.trim())
      .pop() ??
    `exit code ${result.status}`
  return `wrangler: ${line.replace(/^.*\[ERROR\]\s*/, '').trim()}`
}

/** The password from a TTY prompt (not echoed, asked twice) or, when piped, the first line of stdin. */
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
      const done = (error) => {
        stdin.setRawMode(false)
        stdin.pause()
        stdin.off('data', onData)
        process.stderr.write('\n')
        if (error) reject(error)
        else resolve(text)
      }
      const onData = (chunk) => {
        for (const ch of chunk) {
          if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'))
          if (ch === '\r' || ch === '\n') return done()
          if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1)
          else text += ch
        }
      }
      stdin.on('data', onData)
    })
  const first = await ask('Password: ')
  const problem = passwordProblem(first)
  if (problem) throw new Error(problem)
  if ((await ask('Again: ')) !== first) throw new Error('the passwords differ')
  return first
}

function inviteBase(url) {
  return (url ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`).replace(/\/+$/, '')
}

async function newInviteSql(userIdSql, now) {
  const token = b64url(crypto.getRandomValues(new Uint8Array(32)))
  const sql = `INSERT INTO invites (token_hash, user_id, created_at, expires_at, created_by) SELECT ${q(await sha256(token))}, id, ${now}, ${now + INVITE_TTL_MS}, 'cli' FROM users WHERE ${userIdSql};`
  return { token, sql }
}

/** Asks a running `npm run dev` to deliver changes to the users' Durable Objects now (best effort). */
async function nudgeLocalWorker() {
  try {
    const res = await fetch(`http://127.0.0.1:${process.env.PORT ?? 8787}/__scheduled?cron=*+*+*+*+*`, { signal: AbortSignal.timeout(3000) })
    return res.ok
  } catch {
    return false
  }
}

const when = (ms) => (ms ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '-')

async function main(argv) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        role: { type: 'string' },
        invite: { type: 'boolean' },
        search: { type: 'string' },
        remote: { type: 'boolean' },
        local: { type: 'boolean' },
        url: { type: 'string' },
        'persist-to': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (caught) {
    const e = /** @type {NodeJS.ErrnoException} */ (caught)
    const option = /'(-[^' ]*)/.exec(e.message)?.[1]
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option} (--help lists them)`)
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(/does not take/.test(e.message) ? `${option} takes no value` : `${option} needs a value`)
    throw new UsageError(e.message.split('\n')[0])
  }
  const { positionals, values } = parsed
  if (values.help) {
    console.log(HELP)
    return
  }
  const [command, ...args] = positionals
  const remote = values.remote === true
  if (remote && values.local) throw new UsageError('choose --local or --remote, not both')
  if (remote && values['persist-to']) throw new UsageError('--persist-to is for the local database only')
  const where = { remote, persistTo: values['persist-to'] }
  const expectArgs = (n, usage) => {
    if (args.length !== n) throw new UsageError(`usage: npm run user -- ${usage}`)
  }
  const now = Date.now()
  const delivered = async (what) => {
    if (remote) console.log(`${what}; live sessions follow within a minute (the Worker's scheduled run).`)
    else if (await nudgeLocalWorker()) console.log(`${what}; the running \`npm run dev\` applied it to live sessions.`)
    else console.log(`${what}; live sessions follow when \`npm run dev\` next runs its scheduled job.`)
  }

  switch (command) {
    case 'add': {
      expectArgs(1, 'add <username> [--role ROLE] [--invite]')
      const name = username(args[0])
      const r = role(values.role ?? 'free', remote)
      const id = newUserId()
      const password = values.invite ? null : await readPassword()
      if (password !== null) {
        const problem = passwordProblem(password)
        if (problem) throw new Error(problem)
      }
      const hash = password === null ? null : await hashPassword(password)
      const invite = values.invite ? await newInviteSql(`id = ${q(id)}`, now) : null
      const [created] = execute(
        `INSERT INTO users (id, username, username_key, role, password_hash, status, version, synced_version, created_at, updated_at)
         SELECT ${q(id)}, ${q(name.username)}, ${q(name.key)}, ${q(r)}, ${q(hash)}, 'active', 1, 1, ${now}, ${now}
         WHERE NOT EXISTS (SELECT 1 FROM deleted_users WHERE id = ${q(id)})
         ON CONFLICT (username_key) DO NOTHING RETURNING id;
         ${invite?.sql ?? ''}`,
        where,
      )
      if (!created?.length) throw new Error(`the username "${name.username}" is taken (names are compared ignoring case and Unicode form)`)
      console.log(`created ${name.username} (${r}), id ${id}`)
      if (invite) console.log(`invite link (works once, for 7 days): ${inviteBase(values.url)}/auth/invite/${invite.token}`)
      return
    }
    case 'list': {
      expectArgs(0, 'list [--search TEXT]')
      const search = values.search ? `WHERE instr(username_key, ${q(foldUsername(values.search))}) > 0` : ''
      const [rows] = execute(
        `SELECT username, role, status, password_hash IS NOT NULL AS has_password, created_at, last_login_at, id FROM users ${search} ORDER BY username_key;`,
        where,
      )
      if (!rows.length) {
        console.log('no accounts')
        return
      }
      const table = [
        ['USERNAME', 'ROLE', 'STATUS', 'CREATED', 'LAST LOGIN', 'ID'],
        ...rows.map((u) => [u.username, u.role, u.has_password ? u.status : `${u.status} (invited)`, when(u.created_at), when(u.last_login_at), u.id]),
      ]
      const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)))
      for (const row of table)
        console.log(
          row
            .map((cell, i) => String(cell).padEnd(widths[i]))
            .join('  ')
            .trimEnd(),
        )
      return
    }
    case 'set-role':
    case 'disable':
    case 'enable': {
      if (command === 'set-role') expectArgs(2, 'set-role <username> <role>')
      else expectArgs(1, `${command} <username>`)
      const name = username(args[0])
      const change =
        command === 'set-role'
          ? `role = ${q(role(args[1], remote))}, role_changed_at = CASE WHEN role != ${q(args[1])} THEN ${now} ELSE role_changed_at END`
          : `status = ${q(command === 'disable' ? 'disabled' : 'active')}`
      const [rows] = execute(`UPDATE users SET ${change}, version = version + 1, updated_at = ${now} WHERE username_key = ${q(name.key)} RETURNING username, role, status;`, where)
      if (!rows?.length) throw new Error(`no account "${name.username}"`)
      await delivered(`${rows[0].username}: role ${rows[0].role}, ${rows[0].status}`)
      return
    }
    case 'invite': {
      expectArgs(1, 'invite <username>')
      const name = username(args[0])
      const invite = await newInviteSql(`username_key = ${q(name.key)}`, now)
      const [, , rows] = execute(
        `DELETE FROM invites WHERE used_at IS NULL AND user_id IN (SELECT id FROM users WHERE username_key = ${q(name.key)});
         ${invite.sql}
         SELECT username FROM users WHERE username_key = ${q(name.key)};`,
        where,
      )
      if (!rows?.length) throw new Error(`no account "${name.username}"`)
      console.log(`invite link for ${rows[0].username} (works once, for 7 days; earlier links stop working): ${inviteBase(values.url)}/auth/invite/${invite.token}`)
      return
    }
    case 'remove': {
      expectArgs(1, 'remove <username>')
      const name = username(args[0])
      const job = `job_${b64url(crypto.getRandomValues(new Uint8Array(16)))}`
      const key = q(name.key)
      const results = execute(
        `INSERT OR IGNORE INTO deleted_users (id, username, deleted_at, deleted_by) SELECT id, username, ${now}, 'cli' FROM users WHERE username_key = ${key};
         INSERT INTO deletion_jobs (id, user_id, username, requested_by, state, created_at, updated_at) SELECT ${q(job)}, id, username, 'cli', 'pending', ${now}, ${now} FROM users WHERE username_key = ${key} RETURNING username;
         DELETE FROM invites WHERE user_id IN (SELECT id FROM users WHERE username_key = ${key});
         DELETE FROM users WHERE username_key = ${key};`,
        where,
      )
      if (!results[1]?.length) throw new Error(`no account "${name.username}"`)
      await delivered(`removed ${results[1][0].username}; deletion job ${job} erases its data`)
      return
    }
    case undefined:
      throw new UsageError('give a command: add, list, set-role, disable, enable, invite or remove (--help for more)')
    default:
      throw new UsageError(`unknown command "${command}": add, list, set-role, disable, enable, invite or remove (--help for more)`)
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`user: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exit(e instanceof UsageError ? 2 : 1)
})
