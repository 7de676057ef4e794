// Directory types and validation schemas (zod): structures, activities, search filters.
import { z } from 'zod';
import { isValidSiret } from '../../core/siret.ts';

export const KIND_CODES = ['EI', 'AI', 'ACI', 'ETTI', 'EITI', 'GEIQ', 'SEP', 'EA', 'EATT', 'ESAT'] as const;
export const SERVICE_TYPE_CODES = ['DISP', 'PREST', 'BUILD'] as const;
export type KindCode = (typeof KIND_CODES)[number];
export type ServiceTypeCode = (typeof SERVICE_TYPE_CODES)[number];
export const KIND_FAMILY: Record<KindCode, 'insertion' | 'handicap'> = {
  EI: 'insertion', AI: 'insertion', ACI: 'insertion', ETTI: 'insertion', EITI: 'insertion', GEIQ: 'insertion', SEP: 'insertion',
  EA: 'handicap', EATT: 'handicap', ESAT: 'handicap',
};

/** Area served by an activity. Territory references are typed: "commune:59350", "departement:59", "region:32", "epci:200093201". */
export const AreaSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('country') }),
  z.object({ kind: z.literal('radius'), radiusKm: z.number().int().min(1).max(1000) }),
  z.object({ kind: z.literal('territories'), territories: z.array(z.string()).min(1) }),
]);
export type Area = z.infer<typeof AreaSchema>;

export const ActivityInputSchema = z.object({
  sector: z.string().min(1),
  serviceTypes: z.array(z.enum(SERVICE_TYPE_CODES)).min(1),
  area: AreaSchema,
});
export type ActivityInput = z.infer<typeof ActivityInputSchema>;

export const CommitmentSchema = z.object({
  type: z.enum(['social', 'environmental']),
  label: z.string().min(1).max(200),
  detail: z.string().max(1000).optional(),
});
export type Commitment = z.infer<typeof CommitmentSchema>;

const optText = (max = 500) => z.string().trim().max(max).optional().nullable();

export const StructureInputSchema = z.object({
  siret: z.string().refine(isValidSiret, 'SIRET invalide'),
  name: z.string().trim().min(1).max(255),
  brand: optText(255),
  kind: z.enum(KIND_CODES),
  legalForm: optText(100),
  nafCode: optText(10),
  description: optText(10000),
  address: optText(),
  postalCode: optText(10),
  communeCode: optText(5),
  communeName: optText(200),
  /** Helps to find the commune from its name when the postal code is missing or shared. */
  department: optText(3),
  lat: z.number().min(-90).max(90).optional().nullable(),
  lon: z.number().min(-180).max(180).optional().nullable(),
  website: optText(2000),
  publicEmail: optText(320),
  publicPhone: optText(40),
  privateContact: z
    .object({ name: optText(200), email: optText(320), phone: optText(40) })
    .optional()
    .nullable(),
  etp: z.number().min(0).optional().nullable(),
  employeesInsertion: z.number().int().min(0).optional().nullable(),
  employeesPermanent: z.number().int().min(0).optional().nullable(),
  yearFounded: z.number().int().min(1800).max(2100).optional().nullable(),
  labels: z.array(z.string()).default([]),
  networks: z.array(z.string()).default([]),
  commitments: z.array(CommitmentSchema).default([]),
  clientReferences: z.array(z.string()).default([]),
  /** undefined keeps the activities already stored; an array replaces them. */
  activities: z.array(ActivityInputSchema).optional(),
  source: z.string().min(1),
  sourceId: optText(200),
  sourceUpdatedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().nullable(),
  isDemo: z.boolean().default(false),
  active: z.boolean().default(true),
  /** Moderation: undefined keeps what is stored (false for a new structure); imports never give it. */
  hidden: z.boolean().optional(),
});
export type StructureInput = z.input<typeof StructureInputSchema>;
export type StructureValid = z.output<typeof StructureInputSchema>;

export interface Activity {
  id: string;
  sector: { slug: string; name: string; groupSlug: string; groupName: string };
  serviceTypes: ServiceTypeCode[];
  area: Area;
  /** French sentence: "Dans tout le pays", "Dans un rayon de 30 km", "Nord (59), Lille (59)". */
  areaLabel: string;
}

/** Public view of a structure: never carries private contacts. */
export interface Structure {
  id: string;
  slug: string;
  siret: string;
  siren: string;
  name: string;
  brand: string | null;
  kind: KindCode;
  kindName: string;
  kindDescription: string;
  family: 'insertion' | 'handicap';
  legalForm: string | null;
  nafCode: string | null;
  nafLabel: string | null;
  description: string | null;
  address: string | null;
  postalCode: string | null;
  commune: { code: string; name: string } | null;
  departmentCode: string | null;
  regionCode: string | null;
  epciCode: string | null;
  lat: number | null;
  lon: number | null;
  website: string | null;
  publicEmail: string | null;
  publicPhone: string | null;
  etp: number | null;
  employeesInsertion: number | null;
  employeesPermanent: number | null;
  yearFounded: number | null;
  labels: { slug: string; name: string }[];
  networks: { slug: string; name: string }[];
  commitments: Commitment[];
  clientReferences: string[];
  activities: Activity[];
  source: string;
  sourceId: string | null;
  sourceUpdatedAt: string | null;
  isDemo: boolean;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export const SOURCE_LABEL: Record<string, string> = {
  demo: 'Données de démonstration (fictives)',
  emplois: 'Les emplois de l’inclusion',
  marche: 'Le Marché de l’inclusion',
  'data-inclusion': 'data·inclusion',
  csv: 'Import CSV',
};
