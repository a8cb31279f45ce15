// Starting and stopping the dev origin in its own process, and reading a process tree's memory.
import { spawn } from 'node:child_process'
import { createWriteStream, readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
  })
}

/**
 * A child process in its own process group, so stopping it also stops whatever it spawned and
 * nothing else. Output goes to a log file for post-mortems.
 */
function startChild(command, args, { env, logPath, cwd = ROOT }) {
  const log = createWriteStream(logPath)
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.pipe(log)
  child.stderr.pipe(log)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return {
    pid: child.pid,
    exited,
    logPath,
    async stop() {
      // No pid (it never started): -0 would be this process's own group.
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
      const group = -child.pid
      try {
        process.kill(group, 'SIGTERM')
      } catch {
        return
      }
      const timeout = new Promise((resolve) => setTimeout(resolve, 5000, 'timeout'))
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        try {
          process.kill(group, 'SIGKILL')
        } catch {}
      }
    },
  }
}

async function waitForHttp(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let exitCode
  child.exited.then((code) => (exitCode = code ?? 'signal'))
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`process exited (${exitCode}) before ${url} answered; see ${child.logPath}`)
    try {
      // Any answer means it listens (the stock server has no health route: 404 is fine).
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms; see ${child.logPath}`)
}

/** The dev origin (dev/origin.mjs, tone engine, zero delay) in its own process. */
export async function startOriginProcess({ secret, logDir }) {
  const port = await freePort()
  const child = startChild(process.execPath, [join(ROOT, 'bench/support/origin-process.mjs')], {
    env: { BENCH_ORIGIN_PORT: String(port), ORIGIN_SECRET: secret },
    logPath: join(logDir, 'origin.log'),
  })
  const url = `http://127.0.0.1:${port}`
  // Like the stock server, the dev origin has no health route; FastAPI's /docs answers 200.
  await waitForHttp(`${url}/docs`, child, 20_000)
  return { ...child, url, port }
}

function childrenOf() {
  const map = new Map()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // comm may contain spaces and parentheses: fields after the last ')' are fixed.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (!map.has(ppid)) map.set(ppid, [])
      map.get(ppid).push({ pid: Number(entry), comm })
    } catch {}
  }
  return map
}

/** The first process named `comm` below `rootPid` (breadth first), or undefined. */
export function findDescendant(rootPid, comm) {
  const children = childrenOf()
  const queue = [rootPid]
  while (queue.length) {
    for (const child of children.get(queue.shift()) ?? []) {
      if (child.comm === comm) return child.pid
      queue.push(child.pid)
    }
  }
  return undefined
}

/** Resident set size of a process in bytes (VmRSS), or undefined if it is gone. */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}
