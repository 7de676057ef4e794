// The matching engine's contract: what a need (or a notice, later) asks for, and what comes back.
import type { KindCode, ServiceTypeCode } from '../directory/model.ts';

/** Reserved markets (Code de la commande publique) and the kinds each admits (PRODUCT.md §3). */
export const RESERVATIONS = ['L2113-12', 'L2113-13', 'L2113-14'] as const;
export type Reservation = (typeof RESERVATIONS)[number];

export const RESERVATION_LABEL: Record<Reservation, string> = {
  'L2113-12': 'Marché réservé aux entreprises adaptées et ESAT (article L2113-12)',
  'L2113-13': 'Marché réservé aux structures d’insertion par l’activité économique (article L2113-13)',
  'L2113-14': 'Marché réservé aux deux familles (article L2113-14)',
};

export const RESERVATION_KINDS: Record<Reservation, readonly KindCode[]> = {
  // Handicap: EA, ESAT, and EATT (an EA).
  'L2113-12': ['EA', 'EATT', 'ESAT'],
  // Insertion: SIAE (EI, ETTI, AI, ACI) and equivalent structures (EITI).
  'L2113-13': ['EI', 'ETTI', 'AI', 'ACI', 'EITI'],
  'L2113-14': ['EA', 'EATT', 'ESAT', 'EI', 'ETTI', 'AI', 'ACI', 'EITI'],
};

/** Kinds that can carry a clause sociale d'insertion by subcontracting or provision (not EITI, not SEP by default). */
export const SOCIAL_CLAUSE_KINDS: readonly KindCode[] = ['EI', 'ACI', 'AI', 'ETTI', 'EA', 'EATT', 'ESAT', 'GEIQ'];

/** Where the work is done. */
export type MatchPlace =
  | { kind: 'commune'; code: string }
  /** Typed territory keys: D59, R32, E2000…, C59350. */
  | { kind: 'territories'; keys: string[] }
  | { kind: 'country' };

export interface MatchCriteria {
  place: MatchPlace;
  /** Sector slugs: one activity must have one of them (empty: any sector). */
  sectors: string[];
  /** Prestation types: the activity must offer one of them (empty: any). */
  serviceTypes: ServiceTypeCode[];
  /** Restriction to some kinds (empty: every kind the frame allows). */
  kinds: KindCode[];
  reservation: Reservation | null;
  socialClause: boolean;
}

export interface MatchComponents {
  distance: number;
  specificity: number;
  completeness: number;
  responsiveness: number;
}

export interface Match {
  structureId: string;
  slug: string;
  name: string;
  kind: KindCode;
  /** 0–100, from the weighted components. */
  score: number;
  components: MatchComponents;
  /** Distance from the structure to the place of execution (commune), when known. */
  distanceKm: number | null;
  /** The activity that matched (sector, prestation and place together). */
  activityId: string;
  /** Why, in French, one sentence per rule. */
  reasons: string[];
}
