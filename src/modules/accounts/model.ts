// Accounts: people, organisations, roles, and who is acting (the actor) in a request.
import { z } from 'zod';

export const ORGANISATION_TYPES = ['structure', 'buyer', 'facilitator', 'network', 'platform'] as const;
export type OrganisationType = (typeof ORGANISATION_TYPES)[number];

export const ORGANISATION_TYPE_LABEL: Record<OrganisationType, string> = {
  structure: 'Structure inclusive',
  buyer: 'Acheteur',
  facilitator: 'Facilitateur',
  network: 'Réseau',
  platform: 'Administration de la plateforme',
};

/** Buyer categories: public buyers by kind, then private ones. */
export const BUYER_CATEGORIES = {
  public_collectivite: 'Acheteur public — collectivité territoriale',
  public_etat: 'Acheteur public — État et ses établissements',
  public_sante: 'Acheteur public — établissement de santé',
  public_bailleur: 'Acheteur public — bailleur social',
  public_autre: 'Acheteur public — autre',
  prive_entreprise: 'Acheteur privé — entreprise (politique d’achats responsables)',
  prive_association: 'Acheteur privé — association, fondation',
} as const;

export const FACILITATOR_CATEGORIES = {
  clauses_sociales: 'Facilitateur des clauses sociales',
  dreets_ddets: 'DREETS / DDETS',
  plie_mde: 'PLIE / Maison de l’emploi',
} as const;

export const ROLES = ['admin', 'member'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_LABEL: Record<Role, string> = { admin: 'Administrateur', member: 'Membre' };

export interface Person {
  id: string;
  email: string;
  name: string;
  emailConfirmedAt: string | null;
}

export interface Membership {
  organisationId: string;
  organisationName: string;
  type: OrganisationType;
  role: Role;
  structureId: string | null;
  territoryKeys: string[];
  /** Facilitators and networks act for others only once verified. */
  verified: boolean;
}

/** Who is acting: a signed-in person (with their memberships), an API token of an organisation, or nobody. */
export interface Actor {
  person: Person | null;
  memberships: Membership[];
  /** Set when the request is authenticated by an API token instead of a session. */
  token: { id: string; organisationId: string; scopes: ('read' | 'write')[] } | null;
}

export const ANONYMOUS: Actor = { person: null, memberships: [], token: null };

export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'Adresse électronique invalide.');

export const NameSchema = z.string().trim().max(120);

export const OrganisationInputSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('buyer'),
    name: z.string().trim().min(2).max(200),
    category: z.enum(Object.keys(BUYER_CATEGORIES) as [keyof typeof BUYER_CATEGORIES]),
  }),
  z.object({
    type: z.literal('facilitator'),
    name: z.string().trim().min(2).max(200),
    category: z.enum(Object.keys(FACILITATOR_CATEGORIES) as [keyof typeof FACILITATOR_CATEGORIES]),
    territoryKeys: z.array(z.string().regex(/^[CEDR][0-9AB]{2,9}$/)).min(1).max(50),
  }),
  z.object({
    type: z.literal('network'),
    name: z.string().trim().min(2).max(200),
    networkSlug: z.string().trim().max(100).optional(),
    territoryKeys: z.array(z.string().regex(/^[CEDR][0-9AB]{2,9}$/)).max(50).default([]),
  }),
]);
export type OrganisationInput = z.infer<typeof OrganisationInputSchema>;
