-- Reference data: kinds, prestation types, sectors, networks, labels, territories.
CREATE TABLE structure_kinds (
  code text PRIMARY KEY,
  name text NOT NULL,
  family text NOT NULL CHECK (family IN ('insertion', 'handicap')),
  description text NOT NULL,
  position int NOT NULL
);

INSERT INTO structure_kinds (code, name, family, description, position) VALUES
 ('EI', 'Entreprise d''insertion', 'insertion', 'Entreprise du secteur marchand qui embauche des personnes éloignées de l''emploi et les accompagne vers un emploi durable.', 1),
 ('AI', 'Association intermédiaire', 'insertion', 'Association qui met des personnes en parcours d''insertion à disposition de particuliers, d''entreprises ou de collectivités.', 2),
 ('ACI', 'Atelier et chantier d''insertion', 'insertion', 'Activité portée par une association ou une collectivité, qui fait travailler et accompagne des personnes très éloignées de l''emploi.', 3),
 ('ETTI', 'Entreprise de travail temporaire d''insertion', 'insertion', 'Agence d''intérim dont les missions servent de parcours d''insertion, avec un accompagnement social et professionnel.', 4),
 ('EITI', 'Entreprise d''insertion par le travail indépendant', 'insertion', 'Structure qui accompagne des personnes en insertion dans l''exercice d''une activité de travailleur indépendant.', 5),
 ('GEIQ', 'Groupement d''employeurs pour l''insertion et la qualification', 'insertion', 'Groupement d''entreprises qui embauche des personnes en alternance et les qualifie pour les métiers de ses membres.', 6),
 ('SEP', 'Produits et services réalisés en prison', 'insertion', 'Travail proposé aux personnes détenues, en atelier pénitentiaire ou par des entreprises concessionnaires.', 7),
 ('EA', 'Entreprise adaptée', 'handicap', 'Entreprise du milieu ordinaire dont la majorité des salariés sont des travailleurs handicapés.', 8),
 ('EATT', 'Entreprise adaptée de travail temporaire', 'handicap', 'Entreprise adaptée qui propose des missions d''intérim à des travailleurs handicapés.', 9),
 ('ESAT', 'Établissement et service d''accompagnement par le travail', 'handicap', 'Établissement médico-social qui offre une activité professionnelle et un accompagnement à des personnes handicapées orientées par la MDPH.', 10);

CREATE TABLE service_types (
  code text PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL,
  position int NOT NULL
);

INSERT INTO service_types (code, name, description, position) VALUES
 ('DISP', 'Mise à disposition / intérim', 'Du personnel mis à disposition ou en mission d''intérim chez le client.', 1),
 ('PREST', 'Prestation de service', 'Un service réalisé pour le client (nettoyage, espaces verts, logistique…).', 2),
 ('BUILD', 'Fabrication et vente de biens', 'Des biens fabriqués, transformés ou vendus par la structure.', 3);

CREATE TABLE sector_groups (
  slug text PRIMARY KEY,
  name text NOT NULL,
  position int NOT NULL
);

CREATE TABLE sectors (
  slug text PRIMARY KEY,
  name text NOT NULL,
  group_slug text NOT NULL REFERENCES sector_groups (slug),
  position int NOT NULL
);
CREATE INDEX sectors_group_idx ON sectors (group_slug);

CREATE TABLE networks (
  slug text PRIMARY KEY,
  name text NOT NULL,
  brand text,
  website text
);

CREATE TABLE labels (
  slug text PRIMARY KEY,
  name text NOT NULL,
  website text
);

-- Territories, INSEE codes. "key" is typed so that codes of different levels never collide
-- (région 11 and département 11): C<commune>, E<EPCI SIREN>, D<département>, R<région>.
CREATE TABLE territories (
  key text PRIMARY KEY,
  type text NOT NULL CHECK (type IN ('commune', 'epci', 'departement', 'region')),
  code text NOT NULL,
  name text NOT NULL,
  search_name text NOT NULL,
  department_code text,
  region_code text,
  epci_code text,
  postal_codes text[] NOT NULL DEFAULT '{}',
  lat float8,
  lon float8,
  population int
);
CREATE UNIQUE INDEX territories_type_code_idx ON territories (type, code);
CREATE INDEX territories_search_trgm_idx ON territories USING gin (search_name gin_trgm_ops);
CREATE INDEX territories_postal_idx ON territories USING gin (postal_codes);
