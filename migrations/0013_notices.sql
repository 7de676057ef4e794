-- Tender watch: public procurement notices (BOAMP, eForms, DECP) in one normalised shape with their
-- classification, the award holders (DECP and award notices) that the directory shows, and saved searches
-- with a daily digest.

CREATE TABLE notices (
  id bigserial PRIMARY KEY,
  -- Idempotent imports: a notice seen twice is updated, never duplicated.
  source text NOT NULL CHECK (source IN ('boamp', 'eforms', 'decp')),
  source_id text NOT NULL,
  url text,
  buyer_name text,
  buyer_siret char(14),
  title text NOT NULL,
  description text,
  procedure text,
  nature text NOT NULL CHECK (nature IN ('contract', 'award', 'modification', 'prior', 'other')),
  cpv text[] NOT NULL DEFAULT '{}',
  -- Sectors of the taxonomy, from the CPV codes (data/procurement/cpv-sectors.csv).
  sectors text[] NOT NULL DEFAULT '{}',
  departements text[] NOT NULL DEFAULT '{}',
  communes text[] NOT NULL DEFAULT '{}',
  published_on date,
  deadline timestamptz,
  amount numeric,
  lots jsonb NOT NULL DEFAULT '[]',
  awards jsonb NOT NULL DEFAULT '[]',
  places jsonb NOT NULL DEFAULT '{}',
  -- Classification (the object `passerelles classify notices` prints), and its flags for filters.
  reserved text[] NOT NULL DEFAULT '{}',
  social_clause boolean NOT NULL DEFAULT false,
  social_criterion boolean NOT NULL DEFAULT false,
  environmental boolean NOT NULL DEFAULT false,
  insertion_hours numeric,
  classification jsonb NOT NULL,
  -- The record as read, for audit (XML notices: their text as a JSON string).
  raw jsonb NOT NULL,
  -- Hash of what was read: a re-import of the same record writes nothing.
  content_hash text NOT NULL,
  words tsvector NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (source, source_id)
);
CREATE INDEX notices_published_idx ON notices (published_on DESC NULLS LAST, id DESC);
CREATE INDEX notices_first_seen_idx ON notices (first_seen_at);
CREATE INDEX notices_deadline_idx ON notices (deadline);
CREATE INDEX notices_words_idx ON notices USING gin (words);
CREATE INDEX notices_departements_idx ON notices USING gin (departements);
CREATE INDEX notices_sectors_idx ON notices USING gin (sectors);
CREATE INDEX notices_reserved_idx ON notices USING gin (reserved);

-- Who won what: one row per holder of an award (DECP records and award notices), found by SIRET from
-- a structure's profile.
CREATE TABLE notice_awards (
  notice_id bigint NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
  position int NOT NULL,
  lot text,
  holder_siret char(14),
  holder_name text,
  amount numeric,
  awarded_on date,
  PRIMARY KEY (notice_id, position)
);
CREATE INDEX notice_awards_siret_idx ON notice_awards (holder_siret);

-- Saved searches: a person's own, or one kept for an organisation (its members see it; the digest goes
-- to the person who saved it).
CREATE TABLE notice_searches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  organisation_id uuid REFERENCES organisations(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  filters jsonb NOT NULL,
  digest boolean NOT NULL DEFAULT true,
  -- Notices first seen after this moment are "new" for the next digest.
  last_digest_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notice_searches_person_idx ON notice_searches (person_id);
CREATE INDEX notice_searches_organisation_idx ON notice_searches (organisation_id);

-- Scheduled fetches of notices (NOTICES_FETCH_URL): one row per run, its report.
CREATE TABLE notice_fetches (
  id bigserial PRIMARY KEY,
  url text NOT NULL,
  format text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  report jsonb,
  error text
);
CREATE INDEX notice_fetches_started_idx ON notice_fetches (started_at DESC);
