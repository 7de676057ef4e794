-- NAF rév. 2 activity codes (INSEE), to name a structure's APE code.
CREATE TABLE naf_codes (
  code text PRIMARY KEY,          -- dotted form: 88.10C
  compact text NOT NULL UNIQUE,   -- APE form: 8810C
  level text NOT NULL,
  section text NOT NULL,
  label text NOT NULL,
  version text NOT NULL DEFAULT 'NAFRev2'
);
