// Response schemas of the directory API (they document the OpenAPI and shape the JSON).
import { z } from 'zod';
import { AreaSchema, CommitmentSchema, KIND_CODES, SERVICE_TYPE_CODES } from './model.ts';

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .describe('Erreur : code stable pour les programmes, message en français pour les personnes');

const CommuneRef = z.object({ code: z.string(), name: z.string() }).nullable();

export const SearchItemSchema = z.object({
  id: z.string(),
  slug: z.string(),
  siret: z.string(),
  name: z.string(),
  brand: z.string().nullable(),
  kind: z.enum(KIND_CODES),
  kindName: z.string(),
  family: z.enum(['insertion', 'handicap']),
  commune: CommuneRef,
  departmentCode: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  distanceKm: z.number().optional().describe('Distance au lieu recherché, quand on cherche autour d’une commune ou d’un point'),
  sectors: z.array(z.string()),
  matchReasons: z.array(z.string()).describe('Pourquoi la structure correspond (lieu desservi, activité…)'),
});

export const FacetSchema = z.object({ value: z.string(), label: z.string(), count: z.number() });

export const SearchResponseSchema = z.object({
  items: z.array(SearchItemSchema),
  total: z.number(),
  page: z.number(),
  perPage: z.number(),
  facets: z.object({
    kinds: z.array(FacetSchema),
    families: z.array(FacetSchema),
    sectorGroups: z.array(FacetSchema),
    sectors: z.array(FacetSchema),
    serviceTypes: z.array(FacetSchema),
    departments: z.array(FacetSchema),
  }),
  place: z.object({ label: z.string(), kind: z.enum(['disc', 'territory']), radiusKm: z.number().optional() }).nullable(),
  correctedQuery: z.string().nullable(),
});

export const ActivitySchema = z.object({
  id: z.string(),
  sector: z.object({ slug: z.string(), name: z.string(), groupSlug: z.string(), groupName: z.string() }),
  serviceTypes: z.array(z.enum(SERVICE_TYPE_CODES)),
  area: AreaSchema,
  areaLabel: z.string(),
});

export const StructureSchema = z.object({
  id: z.string(),
  slug: z.string(),
  siret: z.string(),
  siren: z.string(),
  name: z.string(),
  brand: z.string().nullable(),
  kind: z.enum(KIND_CODES),
  kindName: z.string(),
  kindDescription: z.string(),
  family: z.enum(['insertion', 'handicap']),
  legalForm: z.string().nullable(),
  nafCode: z.string().nullable(),
  nafLabel: z.string().nullable().describe('Libellé NAF rév. 2 du code APE'),
  description: z.string().nullable(),
  address: z.string().nullable(),
  postalCode: z.string().nullable(),
  commune: CommuneRef,
  departmentCode: z.string().nullable(),
  regionCode: z.string().nullable(),
  epciCode: z.string().nullable(),
  lat: z.number().nullable(),
  lon: z.number().nullable(),
  website: z.string().nullable(),
  publicEmail: z.string().nullable(),
  publicPhone: z.string().nullable(),
  etp: z.number().nullable(),
  employeesInsertion: z.number().nullable(),
  employeesPermanent: z.number().nullable(),
  yearFounded: z.number().nullable(),
  labels: z.array(z.object({ slug: z.string(), name: z.string() })),
  networks: z.array(z.object({ slug: z.string(), name: z.string() })),
  commitments: z.array(CommitmentSchema),
  clientReferences: z.array(z.string()),
  activities: z.array(ActivitySchema),
  source: z.string(),
  sourceId: z.string().nullable(),
  sourceUpdatedAt: z.string().nullable(),
  isDemo: z.boolean(),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** One structure's profile: the search item plus its logo and when the structure last edited it. */
export const StructureProfileSchema = StructureSchema.extend({
  logoUrl: z.string().nullable().describe('Adresse du logo envoyé par la structure'),
  editedAt: z.string().nullable().describe('Date de la dernière modification par la structure'),
});
