-- Purchasing needs (besoins d'achat): the need, its attachments, the structures it is sent to with the
-- answer funnel as timestamps (one row per need and structure), consortia (groupements), the outcome.

-- Secrets the processes share: the key that signs login-free links when SECRET_KEY is not given.
CREATE TABLE platform_secrets (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE needs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Short reference people can quote ("B-2026-00042").
  reference text NOT NULL UNIQUE,
  -- draft → (guest: awaiting_confirmation) → submitted → validated → sending → closed;
  -- submitted → changes_requested → submitted; submitted → rejected.
  status text NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'awaiting_confirmation', 'submitted', 'changes_requested', 'validated', 'sending', 'closed', 'rejected')),
  kind text NOT NULL CHECK (kind IN ('QUOTE', 'TENDER', 'SOURCING')),
  title text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  -- Place of execution: a commune, listed territories (typed keys D59, R32…), or the whole country.
  place_kind text CHECK (place_kind IN ('commune', 'territories', 'country')),
  place_commune text,
  place_keys text[] NOT NULL DEFAULT '{}',
  answer_deadline date,
  start_date date,
  amount_min numeric,
  amount_max numeric,
  service_types text[] NOT NULL DEFAULT '{}',
  sectors text[] NOT NULL DEFAULT '{}',
  -- Optional restriction to some structure kinds.
  structure_kinds text[] NOT NULL DEFAULT '{}',
  -- Social and environmental frame.
  reservation text CHECK (reservation IN ('L2113-12', 'L2113-13', 'L2113-14')),
  social_clause boolean NOT NULL DEFAULT false,
  insertion_hours int CHECK (insertion_hours IS NULL OR insertion_hours >= 0),
  social_criterion boolean NOT NULL DEFAULT false,
  environmental_requirements text NOT NULL DEFAULT '',
  -- Questions for the answering structures: [{id, text}].
  questions jsonb NOT NULL DEFAULT '[]',
  -- Who: a buyer organisation and its member, or a guest (no account) who confirmed by mail.
  buyer_organisation_id uuid REFERENCES organisations (id) ON DELETE SET NULL,
  author_id uuid REFERENCES people (id) ON DELETE SET NULL,
  -- The contact interested structures see (personal data: never public, never in exports to others).
  contact_name text NOT NULL DEFAULT '',
  contact_email text NOT NULL DEFAULT '',
  contact_phone text NOT NULL DEFAULT '',
  buyer_name text NOT NULL DEFAULT '',
  source text NOT NULL DEFAULT 'form' CHECK (source IN ('form', 'api')),
  -- Qualification by a facilitator.
  submitted_at timestamptz,
  qualified_by uuid REFERENCES people (id) ON DELETE SET NULL,
  validated_at timestamptz,
  changes_requested_at timestamptz,
  changes_message text,
  rejected_at timestamptz,
  rejection_reason text,
  -- Sending: batches of batch_size, at most daily_limit a day, until enough_interested say yes.
  batch_size int NOT NULL DEFAULT 10 CHECK (batch_size BETWEEN 1 AND 500),
  daily_limit int NOT NULL DEFAULT 50 CHECK (daily_limit BETWEEN 1 AND 5000),
  enough_interested int NOT NULL DEFAULT 6 CHECK (enough_interested >= 1),
  first_sent_at timestamptz,
  last_sent_at timestamptz,
  closed_at timestamptz,
  closed_reason text CHECK (closed_reason IN ('enough_interested', 'deadline', 'closed_by_buyer', 'no_answer_to_changes', 'nobody_left')),
  reminders_sent int NOT NULL DEFAULT 0 CHECK (reminders_sent BETWEEN 0 AND 2),
  last_reminder_at timestamptz,
  -- Outcome, asked after the deadline.
  outcome_asked_at timestamptz,
  outcome_answered_at timestamptz,
  outcome_awarded text CHECK (outcome_awarded IN ('yes', 'no', 'not_yet')),
  outcome_amount numeric CHECK (outcome_amount IS NULL OR outcome_amount >= 0),
  outcome_structure_id uuid REFERENCES structures (id) ON DELETE SET NULL,
  outcome_consortium_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (amount_min IS NULL OR amount_max IS NULL OR amount_min <= amount_max)
);
CREATE INDEX needs_status_idx ON needs (status, created_at DESC);
CREATE INDEX needs_buyer_idx ON needs (buyer_organisation_id);
CREATE INDEX needs_author_idx ON needs (author_id);
CREATE SEQUENCE needs_reference_seq;

CREATE TABLE need_attachments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  need_id uuid NOT NULL REFERENCES needs (id) ON DELETE CASCADE,
  file_path text NOT NULL,
  original_name text NOT NULL,
  content_type text NOT NULL,
  size_bytes int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX need_attachments_need_idx ON need_attachments (need_id);

-- One row per (need, structure): the match at sending time and the answer funnel as timestamps.
CREATE TABLE need_recipients (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  need_id uuid NOT NULL REFERENCES needs (id) ON DELETE CASCADE,
  structure_id uuid NOT NULL REFERENCES structures (id) ON DELETE CASCADE,
  -- How the structure came: matched and sent, or reached otherwise (invited to a consortium, opened a link).
  source text NOT NULL DEFAULT 'matching' CHECK (source IN ('matching', 'consortium', 'facilitator')),
  score int,
  reasons jsonb NOT NULL DEFAULT '[]',
  batch int,
  sent_at timestamptz,
  opened_at timestamptz,
  viewed_at timestamptz,
  interested_at timestamptz,
  not_interested_at timestamptz,
  not_interested_reason text,
  partners_at timestamptz,
  -- Answers to the buyer's questions: {questionId: text}.
  answers jsonb NOT NULL DEFAULT '{}',
  reminder_count int NOT NULL DEFAULT 0,
  last_reminded_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (need_id, structure_id)
);
CREATE INDEX need_recipients_structure_idx ON need_recipients (structure_id, sent_at);

-- Consortia (groupements momentanés d'entreprises): a lead structure (mandataire) and co-contractors.
CREATE TABLE consortia (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  need_id uuid NOT NULL REFERENCES needs (id) ON DELETE CASCADE,
  lead_structure_id uuid NOT NULL REFERENCES structures (id) ON DELETE CASCADE,
  created_by uuid REFERENCES people (id) ON DELETE SET NULL,
  note text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (need_id, lead_structure_id)
);

CREATE TABLE consortium_members (
  consortium_id uuid NOT NULL REFERENCES consortia (id) ON DELETE CASCADE,
  structure_id uuid NOT NULL REFERENCES structures (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('lead', 'member')),
  status text NOT NULL CHECK (status IN ('invited', 'accepted', 'refused')),
  invited_at timestamptz NOT NULL DEFAULT now(),
  answered_at timestamptz,
  PRIMARY KEY (consortium_id, structure_id)
);
CREATE INDEX consortium_members_structure_idx ON consortium_members (structure_id);

ALTER TABLE needs ADD CONSTRAINT needs_outcome_consortium_fk FOREIGN KEY (outcome_consortium_id) REFERENCES consortia (id) ON DELETE SET NULL;
