-- Precomputed for ordering results: lower-case name, and how complete the public profile is (0-5).
ALTER TABLE structures ADD COLUMN sort_name text GENERATED ALWAYS AS (lower(name)) STORED;
ALTER TABLE structures ADD COLUMN completeness int GENERATED ALWAYS AS (
  (description IS NOT NULL)::int + (website IS NOT NULL)::int
  + (public_email IS NOT NULL OR public_phone IS NOT NULL)::int + (cardinality(labels) > 0)::int
  + (etp IS NOT NULL OR employees_insertion IS NOT NULL)::int) STORED;
DROP INDEX IF EXISTS structures_name_idx;
CREATE INDEX structures_sort_name_idx ON structures (sort_name);

-- Bumped by every write to the directory: search caches (one per process) compare it.
CREATE TABLE directory_state (
  id int PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
);
INSERT INTO directory_state (id, version) VALUES (1, 1);
