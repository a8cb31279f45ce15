-- The directory of the people who log in at the edge (src/accounts/). D1 is the directory; each
-- user's Durable Object stays the place for their limits, revocations and sessions.
-- Times are milliseconds since the epoch.

-- One row per account. `id` is the `sub` of the user's tokens and names their storage (R2 prefix,
-- Durable Object); it is never reused. `username_key` is the canonical form that makes names unique
-- (src/accounts/username.mjs: NFKC, case-folded), `username` the form shown.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  -- PBKDF2-SHA256 (src/auth/password-hash.ts); NULL until the user sets one with an invite.
  password_hash TEXT,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- Bumped by every change: the ETag of admin edits, and the order in which the user's Durable
  -- Object applies them (an older change never overwrites a newer one).
  version INTEGER NOT NULL DEFAULT 1,
  -- The version the user's Durable Object is known to have applied; below `version`, the Worker
  -- still has to tell it (src/accounts/account-sync.ts).
  synced_version INTEGER NOT NULL DEFAULT 1,
  -- When the role last changed: access tokens issued with the old one are revoked.
  role_changed_at INTEGER,
  -- When the password last changed, and the session that changed it (kept; every other ends).
  password_changed_at INTEGER,
  password_changed_in TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_login_at INTEGER
);
CREATE INDEX users_unsynced ON users (synced_version, version) WHERE synced_version < version;

-- Every id that was ever deleted: a token or link naming one is refused, and no account gets it again.
CREATE TABLE deleted_users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  deleted_at INTEGER NOT NULL,
  deleted_by TEXT
);

-- One-time links that let a user set their password. Only a SHA-256 of the token is stored.
-- `used_nonce` names the request that spent it, so two requests racing for one invite can tell
-- which of them won.
CREATE TABLE invites (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  created_by TEXT,
  used_at INTEGER,
  used_nonce TEXT
);
CREATE INDEX invites_user ON invites (user_id);

-- Erasing a deleted user's data (src/accounts/account-erasure.ts): the user's Durable Object does
-- the work from its alarm and reports here. `pending` until that object has taken the job on.
CREATE TABLE deletion_jobs (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  username TEXT NOT NULL,
  requested_by TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done')),
  objects_deleted INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX deletion_jobs_open ON deletion_jobs (state) WHERE state != 'done';

-- Names imported once from the AUTH_USERS secret (src/accounts/legacy-import.ts), so a user
-- deleted later is not imported again.
CREATE TABLE legacy_imports (
  username_key TEXT PRIMARY KEY,
  imported_at INTEGER NOT NULL
);
