-- Finding free slugs fast: "nom-commune-2" has the base "nom-commune".
CREATE INDEX structures_slug_base_idx ON structures ((substring(slug from '^(.*)-[0-9]+$')));
