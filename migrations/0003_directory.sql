-- The directory: structures and their activities (the unit of matching).
CREATE TABLE structures (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE,
  siret char(14) NOT NULL UNIQUE CHECK (siret ~ '^[0-9]{14}$'),
  siren char(9) GENERATED ALWAYS AS (substr(siret, 1, 9)) STORED,
  name text NOT NULL CHECK (length(name) > 0),
  brand text,
  kind text NOT NULL REFERENCES structure_kinds (code),
  legal_form text,
  naf_code text,
  description text,
  address text,
  postal_code text,
  commune_code text,
  commune_name text,
  department_code text,
  region_code text,
  epci_code text,
  lat float8,
  lon float8,
  -- Public contact: only what the structure chose to publish.
  website text,
  public_email text,
  public_phone text,
  -- Capacity.
  etp numeric,
  employees_insertion int,
  employees_permanent int,
  year_founded int,
  labels text[] NOT NULL DEFAULT '{}',
  networks text[] NOT NULL DEFAULT '{}',
  commitments jsonb NOT NULL DEFAULT '[]',
  client_references text[] NOT NULL DEFAULT '{}',
  -- Provenance.
  source text NOT NULL,
  source_id text,
  source_updated_at date,
  is_demo boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  hidden boolean NOT NULL DEFAULT false,
  -- Search: French full text, and unaccented lower-case words for trigram typos.
  search_vector tsvector,
  search_text text NOT NULL DEFAULT '',
  -- Hash of the last written input: a second import of the same data changes nothing.
  content_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX structures_siren_idx ON structures (siren);
CREATE INDEX structures_kind_idx ON structures (kind);
CREATE INDEX structures_department_idx ON structures (department_code);
CREATE INDEX structures_region_idx ON structures (region_code);
CREATE INDEX structures_epci_idx ON structures (epci_code);
CREATE INDEX structures_commune_idx ON structures (commune_code);
CREATE INDEX structures_latlon_idx ON structures (lat, lon);
CREATE INDEX structures_search_idx ON structures USING gin (search_vector);
CREATE INDEX structures_search_trgm_idx ON structures USING gin (search_text gin_trgm_ops);
CREATE INDEX structures_name_idx ON structures (lower(name));
CREATE INDEX structures_source_idx ON structures (source, source_id);

-- Private contacts live apart: never read by public pages, the public API or exports.
CREATE TABLE structure_private_contacts (
  structure_id uuid PRIMARY KEY REFERENCES structures (id) ON DELETE CASCADE,
  contact_name text,
  email text,
  phone text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE activities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  structure_id uuid NOT NULL REFERENCES structures (id) ON DELETE CASCADE,
  sector_slug text NOT NULL REFERENCES sectors (slug),
  service_types text[] NOT NULL CHECK (cardinality(service_types) > 0),
  area_kind text NOT NULL CHECK (area_kind IN ('country', 'radius', 'territories')),
  radius_km int CHECK (radius_km IS NULL OR radius_km > 0),
  -- Listed territories (typed keys, see territories.key).
  territory_keys text[] NOT NULL DEFAULT '{}',
  -- Computed on write: for a radius, the EPCI, départements and régions the circle reaches;
  -- for listed territories, the listed keys and every territory that contains one of them.
  cover_keys text[] NOT NULL DEFAULT '{}',
  position int NOT NULL DEFAULT 0,
  CHECK ((area_kind = 'radius') = (radius_km IS NOT NULL)),
  CHECK (area_kind <> 'territories' OR cardinality(territory_keys) > 0)
);
CREATE INDEX activities_structure_idx ON activities (structure_id);
CREATE INDEX activities_sector_idx ON activities (sector_slug);
CREATE INDEX activities_service_types_idx ON activities USING gin (service_types);
CREATE INDEX activities_territories_idx ON activities USING gin (territory_keys);
CREATE INDEX activities_cover_idx ON activities USING gin (cover_keys);

-- Lexemes of the directory, to correct small typos in searched words.
CREATE TABLE search_lexicon (
  word text PRIMARY KEY,
  occurrences int NOT NULL
);
CREATE INDEX search_lexicon_trgm_idx ON search_lexicon USING gin (word gin_trgm_ops);
