-- Accounts: people, organisations and roles, sessions, one-time links, API tokens, claims, audit log;
-- plus the platform's plumbing they need: a job queue, the mail outbox, rate-limit counters.

CREATE TABLE people (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Always stored lower-case and trimmed.
  email text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name text NOT NULL DEFAULT '',
  password_hash text,
  email_confirmed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_sign_in_at timestamptz
);

CREATE TABLE organisations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  type text NOT NULL CHECK (type IN ('structure', 'buyer', 'facilitator', 'network', 'platform')),
  name text NOT NULL CHECK (length(name) > 0),
  -- A structure organisation is the directory entry's team: one organisation per structure.
  structure_id uuid UNIQUE REFERENCES structures (id) ON DELETE CASCADE,
  -- Buyers: public or private, and their category; facilitators: their kind.
  category text,
  -- Facilitators and networks act on a territory (typed keys such as D59, R32; empty = nowhere).
  territory_keys text[] NOT NULL DEFAULT '{}',
  -- Networks: slug of the network in the referential.
  network_slug text,
  -- Facilitators and networks act for others only once a platform administrator has verified them.
  verified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((type = 'structure') = (structure_id IS NOT NULL))
);
CREATE INDEX organisations_type_idx ON organisations (type);
CREATE INDEX organisations_name_idx ON organisations (lower(name));

CREATE TABLE memberships (
  organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, person_id)
);
CREATE INDEX memberships_person_idx ON memberships (person_id);

-- Sessions: the cookie holds a random token, the database its SHA-256.
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_person_idx ON sessions (person_id);

-- Links sent by mail (confirm an email, sign in, reset a password, join an organisation): single use, expiring.
CREATE TABLE one_time_tokens (
  token_hash text PRIMARY KEY,
  purpose text NOT NULL CHECK (purpose IN ('confirm', 'sign_in', 'reset', 'invite')),
  person_id uuid REFERENCES people (id) ON DELETE CASCADE,
  email text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX one_time_tokens_person_idx ON one_time_tokens (person_id);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) > 0),
  token_hash text NOT NULL UNIQUE,
  -- First characters of the token, to recognise it in a list.
  prefix text NOT NULL,
  scopes text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write']::text[] AND cardinality(scopes) > 0),
  expires_at timestamptz NOT NULL,
  created_by uuid REFERENCES people (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_organisation_idx ON api_tokens (organisation_id);

-- Claims of a structure by a person: accepted at once on a matching email domain, otherwise decided.
CREATE TABLE claims (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  structure_id uuid NOT NULL REFERENCES structures (id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('pending', 'accepted', 'refused', 'cancelled')),
  -- What the person says about their link to the structure.
  message text NOT NULL DEFAULT '',
  -- How it was decided: email_domain (automatic), structure_admin, facilitator, platform_admin.
  decided_by_rule text,
  decided_by uuid REFERENCES people (id) ON DELETE SET NULL,
  decision_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz
);
CREATE UNIQUE INDEX claims_pending_once_idx ON claims (structure_id, person_id) WHERE status = 'pending';
CREATE INDEX claims_status_idx ON claims (status, created_at);
CREATE INDEX claims_person_idx ON claims (person_id);

-- Sensitive actions: who, what, when, before/after. The actor is kept as an id (removed with the person).
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_id uuid REFERENCES people (id) ON DELETE SET NULL,
  -- Kind of actor when there is no person: 'system', 'api_token:<id>', 'cli'.
  actor_kind text NOT NULL DEFAULT 'person',
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text NOT NULL,
  organisation_id uuid REFERENCES organisations (id) ON DELETE SET NULL,
  before jsonb,
  after jsonb,
  reason text
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);

-- Background jobs, written in the same transaction as the change that causes them (outbox).
CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL DEFAULT 5,
  run_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  locked_by text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX jobs_ready_idx ON jobs (run_at, id) WHERE status IN ('pending', 'running');

-- Mail delivered without an SMTP server: kept here and shown at /dev/mails outside production.
CREATE TABLE mail_outbox (
  id bigserial PRIMARY KEY,
  job_id bigint UNIQUE,
  to_address text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  html_body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Rate-limit counters, shared by every process: one row per key and fixed window.
CREATE TABLE rate_limits (
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  hits int NOT NULL,
  PRIMARY KEY (key, window_start)
);

-- Profiles edited by their structure: logo, and when and by whom the profile was last edited.
ALTER TABLE structures ADD COLUMN logo_path text;
ALTER TABLE structures ADD COLUMN edited_at timestamptz;
-- Fields the structure has edited itself: later imports from a source leave them alone.
ALTER TABLE structures ADD COLUMN edited_fields text[] NOT NULL DEFAULT '{}';
