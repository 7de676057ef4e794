-- The lexicon keeps real words (unaccented) with their lexeme: a corrected query is shown in words,
-- and typos are compared with words people write, not with stems.
DROP TABLE search_lexicon;
CREATE TABLE search_lexicon (
  word text PRIMARY KEY,
  lexeme text NOT NULL,
  occurrences int NOT NULL
);
CREATE INDEX search_lexicon_lexeme_idx ON search_lexicon (lexeme);
CREATE INDEX search_lexicon_trgm_idx ON search_lexicon USING gin (word gin_trgm_ops);

CREATE OR REPLACE FUNCTION refresh_search_lexicon() RETURNS void LANGUAGE sql AS $$
  DELETE FROM search_lexicon;
  INSERT INTO search_lexicon (word, lexeme, occurrences)
  SELECT x.word, (tsvector_to_array(to_tsvector('fr_unaccent', x.word)))[1], count(*)::int
  FROM (
    SELECT regexp_split_to_table(lower(f_unaccent(
      coalesce(s.name, '') || ' ' || coalesce(s.brand, '') || ' ' || coalesce(s.commune_name, '') || ' ' || coalesce(s.description, ''))),
      '[^a-z0-9]+') AS word
    FROM structures s WHERE s.active AND NOT s.hidden
    UNION ALL
    SELECT regexp_split_to_table(lower(f_unaccent(name)), '[^a-z0-9]+') FROM sectors
    UNION ALL
    SELECT regexp_split_to_table(lower(f_unaccent(name)), '[^a-z0-9]+') FROM sector_groups
    UNION ALL
    SELECT regexp_split_to_table(lower(f_unaccent(name)), '[^a-z0-9]+') FROM structure_kinds
  ) x
  WHERE length(x.word) > 2 AND (tsvector_to_array(to_tsvector('fr_unaccent', x.word)))[1] IS NOT NULL
  GROUP BY x.word;
$$;

SELECT refresh_search_lexicon();
