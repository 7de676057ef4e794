// Who may see and act on a need: its buyer, the facilitators of its place, the platform team; structures
// through their recipient row (their space, or the signed link of their mail).
import type { Actor } from '../accounts/model.ts';
import { facilitatorMemberships, isPlatformAdmin, membershipOf } from '../accounts/policy.ts';
import type { Need } from './repository.ts';
import { needPlaceKeys } from './repository.ts';

/** The buyer's side: the author, or a member of the buyer organisation (a token of it too). */
export const isNeedBuyer = (a: Actor, n: Need) =>
  (a.person !== null && n.authorId === a.person.id) || (n.buyerOrganisationId !== null && !!membershipOf(a, n.buyerOrganisationId));

/** Facilitators qualify the needs of their territory; a need for the whole country is for any of them. */
export function facilitatesNeed(a: Actor, n: Need): boolean {
  const facilitators = facilitatorMemberships(a);
  if (!facilitators.length) return false;
  const keys = needPlaceKeys(n);
  if (keys === null) return true;
  return facilitators.some((m) => m.territoryKeys.some((k) => keys.includes(k)));
}

export const canQualifyNeed = (a: Actor, n: Need) => facilitatesNeed(a, n) || isPlatformAdmin(a);

export const canSeeNeed = (a: Actor, n: Need) => isNeedBuyer(a, n) || canQualifyNeed(a, n);

/** The buyer edits while the need is a draft or when changes were asked; facilitators while qualifying. */
export function canEditNeed(a: Actor, n: Need): boolean {
  if (isNeedBuyer(a, n)) return n.status === 'draft' || n.status === 'changes_requested' || n.status === 'awaiting_confirmation';
  return canQualifyNeed(a, n) && (n.status === 'submitted' || n.status === 'changes_requested');
}
