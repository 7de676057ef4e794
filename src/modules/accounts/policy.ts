// Who may do what: pure functions over the actor, used by every route and service that acts on someone's behalf.
import { AppError } from '../../core/errors.ts';
import type { Actor, Membership } from './model.ts';

/** Where a structure is, as typed territory keys (commune, EPCI, département, région). */
export interface Located {
  communeCode?: string | null;
  epciCode?: string | null;
  departmentCode?: string | null;
  regionCode?: string | null;
}

export const signedIn = (a: Actor) => a.person !== null;

// Powers over others belong to people: an API token of the platform's or a facilitator's organisation has none.
export const isPlatformAdmin = (a: Actor) => a.person !== null && a.memberships.some((m) => m.type === 'platform');

/** Verified facilitator organisations of the actor (a signed-in person). */
export const facilitatorMemberships = (a: Actor) => (a.person ? a.memberships.filter((m) => m.type === 'facilitator' && m.verified) : []);

export const isFacilitator = (a: Actor) => facilitatorMemberships(a).length > 0;

/** Back office: facilitators and platform administrators. */
export const canUseBackOffice = (a: Actor) => isPlatformAdmin(a) || isFacilitator(a);

function keysOf(l: Located): string[] {
  return [
    l.communeCode ? `C${l.communeCode}` : null,
    l.epciCode ? `E${l.epciCode}` : null,
    l.departmentCode ? `D${l.departmentCode}` : null,
    l.regionCode ? `R${l.regionCode}` : null,
  ].filter((k): k is string => k !== null);
}

/** A facilitator acts on the territories its organisation declared (and a platform administration verified). */
export function facilitatesPlace(m: Membership, place: Located): boolean {
  const keys = keysOf(place);
  return m.territoryKeys.some((k) => keys.includes(k));
}

export const facilitatorOf = (a: Actor, place: Located) => facilitatorMemberships(a).some((m) => facilitatesPlace(m, place));

export const membershipOfStructure = (a: Actor, structureId: string) => a.memberships.find((m) => m.type === 'structure' && m.structureId === structureId);

export const membershipOf = (a: Actor, organisationId: string) => a.memberships.find((m) => m.organisationId === organisationId);

/** Edit a structure's profile: its team, a facilitator of its territory, a platform administrator. */
export const canEditStructure = (a: Actor, s: { id: string } & Located) =>
  !!membershipOfStructure(a, s.id) || facilitatorOf(a, s) || isPlatformAdmin(a);

/** Official fields (SIRET, kind, legal name) are corrected by facilitators or the platform, with a reason. */
export const canCorrectOfficialFields = (a: Actor, s: Located) => facilitatorOf(a, s) || isPlatformAdmin(a);

/** Decide a claim: an administrator of the structure, a facilitator of its territory, a platform administrator. */
export const canDecideClaim = (a: Actor, s: { id: string } & Located) =>
  membershipOfStructure(a, s.id)?.role === 'admin' || facilitatorOf(a, s) || isPlatformAdmin(a);

/** Manage an organisation (invite, roles, API tokens): its administrators, and the platform administration. */
export const canManageOrganisation = (a: Actor, organisationId: string) => membershipOf(a, organisationId)?.role === 'admin' || isPlatformAdmin(a);

export const canSeeOrganisation = (a: Actor, organisationId: string) => !!membershipOf(a, organisationId) || canUseBackOffice(a);

/** Who the members of an organisation are (names, addresses): its members and the platform team only. */
export const canSeeMembers = (a: Actor, organisationId: string) => !!membershipOf(a, organisationId) || isPlatformAdmin(a);

// Errors with stable codes: 401 when nobody is signed in, 403 when the person may not.
export const unauthenticated = () => new AppError('UNAUTHENTICATED', 'Connectez-vous pour accéder à cette page.', 401);
export const forbidden = (message = 'Vous n’avez pas les droits nécessaires pour cette action.') => new AppError('FORBIDDEN', message, 403);

export function requirePerson(a: Actor) {
  if (!a.person) throw unauthenticated();
  return a.person;
}

/** Throws 401 for anonymous actors, 403 when the rule says no. */
export function authorize(a: Actor, allowed: boolean, message?: string): void {
  if (!a.person && !a.token) throw unauthenticated();
  if (!allowed) throw forbidden(message);
}
