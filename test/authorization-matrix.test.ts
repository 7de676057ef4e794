// The authorisation matrix: every route of the application, called by each kind of actor, is allowed or
// refused as the rules say. A route added without a line here makes this test fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign, signingKey } from '../src/core/signing.ts';
import { sha256 } from '../src/core/tokens.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { addMember, createOrganisation, createPerson, type Session, signIn, TEST_PASSWORD } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { siret, structure } from './helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;

// "member" and "admin" are of the structure's organisation; "buyer" is a member of the need's buyer
// organisation; "otherOrgMember" administers another buyer organisation.
const ROLES = ['anonymous', 'otherOrgMember', 'member', 'admin', 'facilitator', 'platformAdmin', 'buyer'] as const;
type Role = (typeof ROLES)[number];
const SIGNED_IN: Role[] = ['otherOrgMember', 'member', 'admin', 'facilitator', 'platformAdmin', 'buyer'];
const EVERYONE: Role[] = [...ROLES];
const STRUCTURE_TEAM: Role[] = ['member', 'admin', 'facilitator', 'platformAdmin'];
const DECIDERS: Role[] = ['admin', 'facilitator', 'platformAdmin'];
const MANAGERS: Role[] = ['admin', 'platformAdmin'];
const BACK_OFFICE: Role[] = ['facilitator', 'platformAdmin'];
const PLATFORM: Role[] = ['platformAdmin'];
const NOBODY: Role[] = [];

/** What each test call acts on: a structure of the Nord with its team, a pending claim, a token, other organisations. */
interface Fixture {
  structureId: string;
  structureSlug: string;
  structureOrg: string;
  colleagueId: string;
  claimId: string;
  tokenId: string;
  unverifiedOrg: string;
  /** A need of the Nord being sent (the structure received it three days ago, without answering yet). */
  sentNeed: string;
  /** A need of the Nord submitted and waiting for qualification. */
  submittedNeed: string;
  attachmentId: string;
  /** A groupement for the sent need, led by another structure, that invited the structure. */
  consortiumId: string;
  /** A public notice (tender watch). */
  noticeId: number;
  /** A saved search made by a colleague for the structure's organisation, and its unsubscribe token. */
  searchId: string;
  unsubscribeToken: string;
  /** A person who can sign in with TEST_PASSWORD. */
  knownEmail: string;
  sessions: Record<Exclude<Role, 'anonymous'>, Session>;
}

interface Call {
  url: string;
  /** A form (page) or JSON (API) body. */
  form?: Record<string, string>;
  json?: unknown;
  /** Called from this machine (127.0.0.1) rather than from a network address. */
  local?: boolean;
}

interface Rule {
  call: (f: Fixture) => Call;
  allowed: Role[];
}

// One line per route: how to call it, and who may.
const MATRIX: Record<string, Rule> = {
  'GET /api/v1/health': { call: () => ({ url: '/api/v1/health' }), allowed: EVERYONE },
  'GET /api/v1/structures': { call: () => ({ url: '/api/v1/structures' }), allowed: EVERYONE },
  'GET /api/v1/structures/by-siret/:siret': { call: () => ({ url: `/api/v1/structures/by-siret/${siret(9001)}` }), allowed: EVERYONE },
  'GET /api/v1/structures/:id': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}` }), allowed: EVERYONE },
  'GET /api/v1/referentials/kinds': { call: () => ({ url: '/api/v1/referentials/kinds' }), allowed: EVERYONE },
  'GET /api/v1/referentials/sectors': { call: () => ({ url: '/api/v1/referentials/sectors' }), allowed: EVERYONE },
  'GET /api/v1/referentials/service-types': { call: () => ({ url: '/api/v1/referentials/service-types' }), allowed: EVERYONE },
  'GET /api/v1/territories': { call: () => ({ url: '/api/v1/territories?q=lille' }), allowed: EVERYONE },
  'GET /api/v1/openapi.json': { call: () => ({ url: '/api/v1/openapi.json' }), allowed: EVERYONE },
  'GET /': { call: () => ({ url: '/' }), allowed: EVERYONE },
  'GET /structures': { call: () => ({ url: '/structures' }), allowed: EVERYONE },
  'GET /structures/:slug': { call: (f) => ({ url: `/structures/${f.structureSlug}` }), allowed: EVERYONE },
  'GET /accessibilite': { call: () => ({ url: '/accessibilite' }), allowed: EVERYONE },
  'GET /mentions-legales': { call: () => ({ url: '/mentions-legales' }), allowed: EVERYONE },
  'GET /uploads/:folder/:file': { call: () => ({ url: `/uploads/logos/${'0'.repeat(32)}.webp` }), allowed: EVERYONE },
  // From this machine only (see the security tests for other addresses).
  'GET /dev/mails': { call: () => ({ url: '/dev/mails', local: true }), allowed: EVERYONE },
  'GET /dev/mails/:id': { call: () => ({ url: '/dev/mails/1', local: true }), allowed: EVERYONE },

  // Accounts: public forms, then the person's own space.
  'GET /inscription': { call: () => ({ url: '/inscription' }), allowed: EVERYONE },
  'POST /inscription': { call: () => ({ url: '/inscription', form: { email: 'x', password: 'x' } }), allowed: EVERYONE },
  'GET /inscription/envoyee': { call: () => ({ url: '/inscription/envoyee' }), allowed: EVERYONE },
  'GET /compte/confirmer': { call: () => ({ url: '/compte/confirmer?jeton=abc' }), allowed: EVERYONE },
  'POST /compte/confirmer': { call: () => ({ url: '/compte/confirmer', form: { jeton: 'abc' } }), allowed: EVERYONE },
  'GET /connexion': { call: () => ({ url: '/connexion' }), allowed: EVERYONE },
  'POST /connexion': { call: (f) => ({ url: '/connexion', form: { email: f.knownEmail, password: TEST_PASSWORD } }), allowed: EVERYONE },
  'POST /connexion/demande-de-lien': { call: () => ({ url: '/connexion/demande-de-lien', form: { email: 'personne@exemple.fr' } }), allowed: EVERYONE },
  'GET /connexion/lien': { call: () => ({ url: '/connexion/lien?jeton=abc' }), allowed: EVERYONE },
  'POST /connexion/lien': { call: () => ({ url: '/connexion/lien', form: { jeton: 'abc' } }), allowed: EVERYONE },
  'GET /mot-de-passe/oublie': { call: () => ({ url: '/mot-de-passe/oublie' }), allowed: EVERYONE },
  'POST /mot-de-passe/oublie': { call: () => ({ url: '/mot-de-passe/oublie', form: { email: 'personne@exemple.fr' } }), allowed: EVERYONE },
  'GET /mot-de-passe/nouveau': { call: () => ({ url: '/mot-de-passe/nouveau?jeton=abc' }), allowed: EVERYONE },
  'POST /mot-de-passe/nouveau': { call: () => ({ url: '/mot-de-passe/nouveau', form: { jeton: 'abc', password: 'x' } }), allowed: EVERYONE },
  'POST /deconnexion': { call: () => ({ url: '/deconnexion', form: {} }), allowed: EVERYONE },
  'GET /compte/supprime': { call: () => ({ url: '/compte/supprime' }), allowed: EVERYONE },
  'GET /invitation': { call: () => ({ url: '/invitation?jeton=abc' }), allowed: EVERYONE },
  'POST /invitation': { call: () => ({ url: '/invitation', form: { jeton: 'abc' } }), allowed: SIGNED_IN },
  'POST /espace/deconnexion-partout': { call: () => ({ url: '/espace/deconnexion-partout', form: {} }), allowed: SIGNED_IN },
  'GET /espace': { call: () => ({ url: '/espace' }), allowed: SIGNED_IN },
  'POST /espace/nom': { call: () => ({ url: '/espace/nom', form: { name: 'Nom' } }), allowed: SIGNED_IN },
  'GET /espace/donnees': { call: () => ({ url: '/espace/donnees' }), allowed: SIGNED_IN },
  'GET /espace/donnees.json': { call: () => ({ url: '/espace/donnees.json' }), allowed: SIGNED_IN },
  'POST /espace/suppression': { call: () => ({ url: '/espace/suppression', form: { confirmEmail: 'pas-la-bonne@exemple.fr' } }), allowed: SIGNED_IN },
  'GET /api/v1/me': { call: () => ({ url: '/api/v1/me' }), allowed: SIGNED_IN },
  'GET /api/v1/me/export': { call: () => ({ url: '/api/v1/me/export' }), allowed: SIGNED_IN },
  'DELETE /api/v1/me': { call: () => ({ url: '/api/v1/me', json: { confirmEmail: 'pas-la-bonne@exemple.fr' } }), allowed: SIGNED_IN },

  // Organisations: the structure's organisation.
  'GET /organisations/nouvelle': { call: () => ({ url: '/organisations/nouvelle' }), allowed: SIGNED_IN },
  'POST /organisations/nouvelle': { call: () => ({ url: '/organisations/nouvelle', form: { type: 'buyer', name: 'Acheteur', buyerCategory: 'public_etat' } }), allowed: SIGNED_IN },
  'GET /organisations/:id': { call: (f) => ({ url: `/organisations/${f.structureOrg}` }), allowed: STRUCTURE_TEAM },
  'POST /organisations/:id/invitations': { call: (f) => ({ url: `/organisations/${f.structureOrg}/invitations`, form: { email: 'invite@exemple.fr', role: 'member' } }), allowed: MANAGERS },
  'POST /organisations/:id/membres/:personId/role': { call: (f) => ({ url: `/organisations/${f.structureOrg}/membres/${f.colleagueId}/role`, form: { role: 'admin' } }), allowed: MANAGERS },
  'POST /organisations/:id/membres/:personId/retrait': { call: (f) => ({ url: `/organisations/${f.structureOrg}/membres/${f.colleagueId}/retrait`, form: {} }), allowed: MANAGERS },
  'POST /organisations/:id/verification': { call: (f) => ({ url: `/organisations/${f.unverifiedOrg}/verification`, form: {} }), allowed: PLATFORM },
  'GET /organisations/:id/jetons': { call: (f) => ({ url: `/organisations/${f.structureOrg}/jetons` }), allowed: MANAGERS },
  'POST /organisations/:id/jetons': { call: (f) => ({ url: `/organisations/${f.structureOrg}/jetons`, form: { name: 'ERP', scopes: 'read', expiresInDays: '90' } }), allowed: MANAGERS },
  'POST /organisations/:id/jetons/:tokenId/revocation': { call: (f) => ({ url: `/organisations/${f.structureOrg}/jetons/${f.tokenId}/revocation`, form: {} }), allowed: MANAGERS },
  'GET /api/v1/organisations/:id': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}` }), allowed: STRUCTURE_TEAM },
  'GET /api/v1/organisations/:id/members': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}/members` }), allowed: ['member', 'admin', 'platformAdmin'] },
  'GET /api/v1/organisations/:id/tokens': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}/tokens` }), allowed: MANAGERS },
  'POST /api/v1/organisations/:id/tokens': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}/tokens`, json: { name: 'ERP', scopes: ['read'], expiresInDays: 90 } }), allowed: MANAGERS },
  'DELETE /api/v1/organisations/:id/tokens/:tokenId': { call: (f) => ({ url: `/api/v1/organisations/${f.structureOrg}/tokens/${f.tokenId}` }), allowed: MANAGERS },

  // Claims: anyone signed in may claim; the structure's administrators, facilitators of its territory and
  // the platform decide; only the claimant (nobody here) cancels.
  'GET /structures/rattachement': { call: () => ({ url: '/structures/rattachement?q=recyclerie' }), allowed: EVERYONE },
  'GET /structures/rattachement/:id': { call: (f) => ({ url: `/structures/rattachement/${f.structureId}` }), allowed: SIGNED_IN },
  'POST /structures/rattachement/:id': { call: (f) => ({ url: `/structures/rattachement/${f.structureId}`, form: { message: 'Je dirige la structure.' } }), allowed: SIGNED_IN },
  'GET /espace/rattachements': { call: () => ({ url: '/espace/rattachements' }), allowed: SIGNED_IN },
  'POST /espace/rattachements/:id/annulation': { call: (f) => ({ url: `/espace/rattachements/${f.claimId}/annulation`, form: {} }), allowed: NOBODY },
  'GET /admin/rattachements': { call: () => ({ url: '/admin/rattachements' }), allowed: BACK_OFFICE },
  'GET /rattachements/:id': { call: (f) => ({ url: `/rattachements/${f.claimId}` }), allowed: DECIDERS },
  'POST /rattachements/:id/decision': { call: (f) => ({ url: `/rattachements/${f.claimId}/decision`, form: { decision: 'refuse', reason: 'Inconnu de la structure.' } }), allowed: DECIDERS },
  'GET /api/v1/claims': { call: () => ({ url: '/api/v1/claims' }), allowed: SIGNED_IN },
  'POST /api/v1/claims': { call: (f) => ({ url: '/api/v1/claims', json: { structureId: f.structureId, message: 'Je dirige la structure.' } }), allowed: SIGNED_IN },
  'GET /api/v1/claims/:id': { call: (f) => ({ url: `/api/v1/claims/${f.claimId}` }), allowed: DECIDERS },
  'POST /api/v1/claims/:id/decision': { call: (f) => ({ url: `/api/v1/claims/${f.claimId}/decision`, json: { decision: 'refuse', reason: 'Inconnu de la structure.' } }), allowed: DECIDERS },
  'POST /api/v1/claims/:id/cancel': { call: (f) => ({ url: `/api/v1/claims/${f.claimId}/cancel`, json: {} }), allowed: NOBODY },

  // Editing the structure's profile.
  'GET /structures/modifier/:id': { call: (f) => ({ url: `/structures/modifier/${f.structureId}` }), allowed: STRUCTURE_TEAM },
  'POST /structures/modifier/:id': { call: (f) => ({ url: `/structures/modifier/${f.structureId}`, form: { description: 'Nouvelle description.' } }), allowed: STRUCTURE_TEAM },
  'POST /structures/modifier/:id/logo': { call: (f) => ({ url: `/structures/modifier/${f.structureId}/logo`, form: {} }), allowed: STRUCTURE_TEAM },
  'POST /structures/modifier/:id/logo/suppression': { call: (f) => ({ url: `/structures/modifier/${f.structureId}/logo/suppression`, form: {} }), allowed: STRUCTURE_TEAM },
  'PATCH /api/v1/structures/:id': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}`, json: { description: 'Nouvelle description.' } }), allowed: STRUCTURE_TEAM },
  'PUT /api/v1/structures/:id/logo': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}/logo`, json: {} }), allowed: STRUCTURE_TEAM },
  'DELETE /api/v1/structures/:id/logo': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}/logo` }), allowed: STRUCTURE_TEAM },

  // Back office.
  'GET /admin': { call: () => ({ url: '/admin' }), allowed: BACK_OFFICE },
  'GET /admin/organisations': { call: () => ({ url: '/admin/organisations' }), allowed: BACK_OFFICE },
  'GET /admin/organisations/:id': { call: (f) => ({ url: `/admin/organisations/${f.structureOrg}` }), allowed: BACK_OFFICE },
  'GET /admin/journal': { call: () => ({ url: '/admin/journal' }), allowed: BACK_OFFICE },
  'GET /admin/personnes': { call: () => ({ url: '/admin/personnes' }), allowed: PLATFORM },
  'GET /admin/personnes/:id': { call: (f) => ({ url: `/admin/personnes/${f.colleagueId}` }), allowed: PLATFORM },
  'GET /api/v1/admin/organisations': { call: () => ({ url: '/api/v1/admin/organisations' }), allowed: BACK_OFFICE },
  'GET /api/v1/admin/audit': { call: () => ({ url: '/api/v1/admin/audit' }), allowed: BACK_OFFICE },
  'GET /api/v1/admin/people': { call: () => ({ url: '/api/v1/admin/people' }), allowed: PLATFORM },

  // Purchasing needs: posting (public form, buyers), qualification (facilitators of the place, platform).
  'GET /besoins': { call: () => ({ url: '/besoins' }), allowed: EVERYONE },
  'GET /besoins/impact': { call: () => ({ url: '/besoins/impact' }), allowed: EVERYONE },
  'GET /api/v1/needs/impact': { call: () => ({ url: '/api/v1/needs/impact' }), allowed: EVERYONE },
  'GET /besoins/deposer': { call: () => ({ url: '/besoins/deposer' }), allowed: EVERYONE },
  // Guests and members of a buyer organisation post; people of other organisations have no buyer to post for.
  'POST /besoins/deposer': { call: () => ({ url: '/besoins/deposer', form: { kind: 'QUOTE', title: 'Nettoyage des locaux', description: 'Nettoyage quotidien de 800 m² de bureaux.' } }), allowed: ['anonymous', 'otherOrgMember', 'buyer'] },
  'GET /besoins/:id/etape/:step': { call: (f) => ({ url: `/besoins/${f.submittedNeed}/etape/1` }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  'POST /besoins/:id/etape/:step': { call: (f) => ({ url: `/besoins/${f.submittedNeed}/etape/3`, form: { amountRange: '15-20K', serviceTypes: 'PREST', sectors: 'nettoyage-de-locaux-16', sectorsPosted: '1' } }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  // Links by mail: the signed token is the credential (a wrong one is refused alike for everyone).
  'GET /besoins/:id/reprendre': { call: (f) => ({ url: `/besoins/${f.submittedNeed}/reprendre?jeton=faux` }), allowed: EVERYONE },
  'GET /besoins/confirmation': { call: (f) => ({ url: `/besoins/confirmation?besoin=${f.submittedNeed}&jeton=faux` }), allowed: EVERYONE },
  'POST /besoins/confirmation': { call: (f) => ({ url: '/besoins/confirmation', form: { besoin: f.submittedNeed, jeton: 'faux' } }), allowed: EVERYONE },
  'GET /besoins/:id': { call: (f) => ({ url: `/besoins/${f.sentNeed}` }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  'POST /besoins/:id/cloture': { call: (f) => ({ url: `/besoins/${f.sentNeed}/cloture`, form: {} }), allowed: ['buyer'] },
  'GET /besoins/:id/pieces/:attachmentId': { call: (f) => ({ url: `/besoins/${f.sentNeed}/pieces/${f.attachmentId}` }), allowed: ['buyer', 'member', 'admin', 'facilitator', 'platformAdmin'] },
  'GET /admin/besoins': { call: () => ({ url: '/admin/besoins' }), allowed: BACK_OFFICE },
  'GET /admin/besoins/:id': { call: (f) => ({ url: `/admin/besoins/${f.submittedNeed}` }), allowed: BACK_OFFICE },
  'POST /admin/besoins/:id/decision': { call: (f) => ({ url: `/admin/besoins/${f.submittedNeed}/decision`, form: { decision: 'validate' } }), allowed: BACK_OFFICE },
  'POST /api/v1/needs': { call: () => ({ url: '/api/v1/needs', json: {} }), allowed: ['otherOrgMember', 'buyer'] },
  'GET /api/v1/needs': { call: () => ({ url: '/api/v1/needs' }), allowed: SIGNED_IN },
  'GET /api/v1/needs/:id': { call: (f) => ({ url: `/api/v1/needs/${f.sentNeed}` }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  'PATCH /api/v1/needs/:id': { call: (f) => ({ url: `/api/v1/needs/${f.submittedNeed}`, json: { title: 'Nettoyage des locaux (1 200 m²)' } }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  'POST /api/v1/needs/:id/submit': { call: (f) => ({ url: `/api/v1/needs/${f.submittedNeed}/submit`, json: {} }), allowed: ['buyer'] },
  'POST /api/v1/needs/:id/qualification': { call: (f) => ({ url: `/api/v1/needs/${f.submittedNeed}/qualification`, json: { decision: 'validate' } }), allowed: BACK_OFFICE },
  'GET /api/v1/needs/:id/matches': { call: (f) => ({ url: `/api/v1/needs/${f.sentNeed}/matches` }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },

  // The structure's side: its team (or its signed link, tested in the needs tests).
  'GET /besoins/:id/structure/:structureId': { call: (f) => ({ url: `/besoins/${f.sentNeed}/structure/${f.structureId}` }), allowed: ['member', 'admin'] },
  'POST /besoins/:id/structure/:structureId/reponse': { call: (f) => ({ url: `/besoins/${f.sentNeed}/structure/${f.structureId}/reponse`, form: { action: 'interessee' } }), allowed: ['member', 'admin'] },
  'GET /besoins/:id/structure/:structureId/pieces/:attachmentId': { call: (f) => ({ url: `/besoins/${f.sentNeed}/structure/${f.structureId}/pieces/${f.attachmentId}` }), allowed: ['member', 'admin'] },
  'GET /besoins/:id/structure/:structureId/groupement': { call: (f) => ({ url: `/besoins/${f.sentNeed}/structure/${f.structureId}/groupement` }), allowed: ['member', 'admin'] },
  'POST /besoins/:id/structure/:structureId/groupement': { call: (f) => ({ url: `/besoins/${f.sentNeed}/structure/${f.structureId}/groupement`, form: { action: 'creer', note: 'Groupement' } }), allowed: ['member', 'admin'] },
  'GET /groupements/:consortiumId/invitation/:structureId': { call: (f) => ({ url: `/groupements/${f.consortiumId}/invitation/${f.structureId}` }), allowed: ['member', 'admin'] },
  'POST /groupements/:consortiumId/invitation/:structureId': { call: (f) => ({ url: `/groupements/${f.consortiumId}/invitation/${f.structureId}`, form: { action: 'refuser' } }), allowed: ['member', 'admin'] },
  'GET /espace/besoins': { call: () => ({ url: '/espace/besoins' }), allowed: SIGNED_IN },
  'GET /api/v1/structures/:id/needs': { call: (f) => ({ url: `/api/v1/structures/${f.structureId}/needs` }), allowed: ['member', 'admin', 'platformAdmin'] },
  'POST /api/v1/needs/:needId/answers/:structureId': { call: (f) => ({ url: `/api/v1/needs/${f.sentNeed}/answers/${f.structureId}`, json: { status: 'interested' } }), allowed: ['member', 'admin'] },

  // The buyer's follow-up: answers (facilitators and the platform read them too), reminders, outcome.
  'GET /besoins/:id/reponses': { call: (f) => ({ url: `/besoins/${f.sentNeed}/reponses` }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  'GET /besoins/:id/reponses.csv': { call: (f) => ({ url: `/besoins/${f.sentNeed}/reponses.csv` }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  'GET /besoins/:id/reponses.xlsx': { call: (f) => ({ url: `/besoins/${f.sentNeed}/reponses.xlsx` }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  'GET /api/v1/needs/:id/answers': { call: (f) => ({ url: `/api/v1/needs/${f.sentNeed}/answers` }), allowed: ['buyer', 'facilitator', 'platformAdmin'] },
  'POST /besoins/:id/relance': { call: (f) => ({ url: `/besoins/${f.sentNeed}/relance`, form: {} }), allowed: ['buyer'] },
  'POST /api/v1/needs/:id/reminders': { call: (f) => ({ url: `/api/v1/needs/${f.sentNeed}/reminders`, json: {} }), allowed: ['buyer'] },
  'GET /besoins/:id/resultat': { call: (f) => ({ url: `/besoins/${f.sentNeed}/resultat` }), allowed: ['buyer'] },
  'POST /besoins/:id/resultat': { call: (f) => ({ url: `/besoins/${f.sentNeed}/resultat`, form: { attribue: 'no' } }), allowed: ['buyer'] },
  'POST /api/v1/needs/:id/outcome': { call: (f) => ({ url: `/api/v1/needs/${f.sentNeed}/outcome`, json: { awarded: 'no' } }), allowed: ['buyer'] },

  // Tender watch: notices are public; a saved search is its author's and its organisation's (members
  // read it, the author and the organisation's administrators change it), the platform team sees all.
  'GET /appels-d-offres': { call: () => ({ url: '/appels-d-offres?reserve=handicap' }), allowed: EVERYONE },
  'GET /appels-d-offres/:id': { call: (f) => ({ url: `/appels-d-offres/${f.noticeId}` }), allowed: EVERYONE },
  'GET /api/v1/notices': { call: () => ({ url: '/api/v1/notices?socialClause=true' }), allowed: EVERYONE },
  'GET /api/v1/notices/:id': { call: (f) => ({ url: `/api/v1/notices/${f.noticeId}` }), allowed: EVERYONE },
  'GET /api/v1/notices/:id/classification': { call: (f) => ({ url: `/api/v1/notices/${f.noticeId}/classification` }), allowed: EVERYONE },
  'GET /api/v1/notices/:id/raw': { call: (f) => ({ url: `/api/v1/notices/${f.noticeId}/raw` }), allowed: EVERYONE },
  'GET /api/v1/notices/:id/matches': { call: (f) => ({ url: `/api/v1/notices/${f.noticeId}/matches` }), allowed: EVERYONE },
  'GET /api/v1/awards': { call: () => ({ url: `/api/v1/awards?siret=${siret(9001)}` }), allowed: EVERYONE },
  'GET /veilles': { call: () => ({ url: '/veilles' }), allowed: SIGNED_IN },
  'POST /veilles': { call: () => ({ url: '/veilles', form: { filtres: 'clause=on', name: 'Clauses sociales' } }), allowed: SIGNED_IN },
  'GET /veilles/:id': { call: (f) => ({ url: `/veilles/${f.searchId}` }), allowed: ['member', 'admin', 'platformAdmin'] },
  'POST /veilles/:id': { call: (f) => ({ url: `/veilles/${f.searchId}`, form: { name: 'Renommée', digest: 'on' } }), allowed: MANAGERS },
  'POST /veilles/:id/suppression': { call: (f) => ({ url: `/veilles/${f.searchId}/suppression`, form: {} }), allowed: MANAGERS },
  // The unsubscribe link: the signed token is the credential.
  'GET /veilles/:id/desabonnement': { call: (f) => ({ url: `/veilles/${f.searchId}/desabonnement?jeton=${encodeURIComponent(f.unsubscribeToken)}` }), allowed: EVERYONE },
  'POST /veilles/:id/desabonnement': { call: (f) => ({ url: `/veilles/${f.searchId}/desabonnement`, form: { jeton: f.unsubscribeToken } }), allowed: EVERYONE },
  'GET /api/v1/notice-searches': { call: () => ({ url: '/api/v1/notice-searches' }), allowed: SIGNED_IN },
  'POST /api/v1/notice-searches': { call: () => ({ url: '/api/v1/notice-searches', json: { name: 'Réservés', filters: { reserved: ['any'] } } }), allowed: SIGNED_IN },
  'GET /api/v1/notice-searches/:id': { call: (f) => ({ url: `/api/v1/notice-searches/${f.searchId}` }), allowed: ['member', 'admin', 'platformAdmin'] },
  'PATCH /api/v1/notice-searches/:id': { call: (f) => ({ url: `/api/v1/notice-searches/${f.searchId}`, json: { name: 'Renommée' } }), allowed: MANAGERS },
  'DELETE /api/v1/notice-searches/:id': { call: (f) => ({ url: `/api/v1/notice-searches/${f.searchId}` }), allowed: MANAGERS },
};

let t: TestApp;
let seq = 0;

/** A fresh world for one call, so that a change made by one call never decides the next one. */
async function fixture(): Promise<Fixture> {
  const db = t.db;
  const n = ++seq;
  const report = await importStructures(db, [
    { line: 1, input: structure({ siret: siret(5000 + n), name: `Recyclerie matrice ${n}`, kind: 'ACI', communeCode: '59350', website: 'https://www.recyclerie-matrice.fr' }) },
  ]);
  expect(report.rejected).toEqual([]);
  const s = (await db.one<{ id: string; slug: string }>('SELECT id, slug FROM structures WHERE siret = $1', [siret(5000 + n)])) as { id: string; slug: string };
  const structureOrg = await createOrganisation(db, { type: 'structure', structureId: s.id, name: `Recyclerie matrice ${n}` });
  const admin = await createPerson(db);
  const member = await createPerson(db);
  const colleague = await createPerson(db);
  await addMember(db, structureOrg, admin.id, 'admin');
  await addMember(db, structureOrg, member.id, 'member');
  await addMember(db, structureOrg, colleague.id, 'member');
  const buyerOrg = await createOrganisation(db, { type: 'buyer', category: 'public_etat' });
  const other = await createPerson(db);
  await addMember(db, buyerOrg, other.id, 'admin');
  const facilitatorOrg = await createOrganisation(db, { type: 'facilitator', territoryKeys: ['D59'], category: 'clauses_sociales' });
  const facilitator = await createPerson(db);
  await addMember(db, facilitatorOrg, facilitator.id, 'admin');
  const platformOrg = await createOrganisation(db, { type: 'platform' });
  const boss = await createPerson(db);
  await addMember(db, platformOrg, boss.id, 'admin');
  const unverifiedOrg = await createOrganisation(db, { type: 'facilitator', territoryKeys: ['D62'], verified: false });
  // Purchasing needs of a buyer organisation, in the Nord.
  const needBuyerOrg = await createOrganisation(db, { type: 'buyer', category: 'public_collectivite', name: `Ville ${n}` });
  const buyer = await createPerson(db);
  await addMember(db, needBuyerOrg, buyer.id, 'member');
  const insertNeed = async (status: string, extra: string) =>
    ((await db.one<{ id: string }>(
      `INSERT INTO needs (reference, status, kind, title, description, place_kind, place_commune, answer_deadline, sectors, service_types, buyer_organisation_id, author_id,
         contact_name, contact_email, contact_phone, buyer_name ${extra ? `, ${extra.split('=')[0]}` : ''})
       VALUES ($1, $2, 'QUOTE', 'Nettoyage des locaux', 'Nettoyage quotidien de bureaux et sanitaires.', 'commune', '59350', current_date + 30, '{nettoyage-de-locaux-16}', '{PREST}', $3, $4,
         'Dominique Acheteuse', 'dominique@ville.example', '0320000000', 'Ville' ${extra ? `, ${extra.split('=')[1]}` : ''}) RETURNING id`,
      [`B-T-${n}-${status}`, status, needBuyerOrg, buyer.id],
    )) as { id: string }).id;
  const sentNeed = await insertNeed('sending', `first_sent_at=now() - interval '3 days'`);
  const submittedNeed = await insertNeed('submitted', `submitted_at=now()`);
  await db.query(`INSERT INTO need_recipients (need_id, structure_id, score, sent_at) VALUES ($1, $2, 80, now() - interval '3 days')`, [sentNeed, s.id]);
  const attachmentId = ((await db.one<{ id: string }>(
    `INSERT INTO need_attachments (need_id, file_path, original_name, content_type, size_bytes) VALUES ($1, 'needs/${'0'.repeat(32)}.pdf', 'cahier.pdf', 'application/pdf', 10) RETURNING id`,
    [sentNeed],
  )) as { id: string }).id;
  const leadReport = await importStructures(db, [{ line: 1, input: structure({ siret: siret(6000 + n), name: `Mandataire matrice ${n}`, kind: 'EI', communeCode: '59350', publicEmail: 'contact@mandataire.example' }) }]);
  expect(leadReport.rejected).toEqual([]);
  const lead = ((await db.one<{ id: string }>('SELECT id FROM structures WHERE siret = $1', [siret(6000 + n)])) as { id: string }).id;
  await db.query(`INSERT INTO need_recipients (need_id, structure_id, score, sent_at, interested_at) VALUES ($1, $2, 70, now() - interval '3 days', now())`, [sentNeed, lead]);
  const consortiumId = ((await db.one<{ id: string }>(`INSERT INTO consortia (need_id, lead_structure_id) VALUES ($1, $2) RETURNING id`, [sentNeed, lead])) as { id: string }).id;
  await db.query(`INSERT INTO consortium_members (consortium_id, need_id, structure_id, role, status) VALUES ($1, $2, $3, 'lead', 'accepted'), ($1, $2, $4, 'member', 'invited')`, [consortiumId, sentNeed, lead, s.id]);
  const noticeId = Number(((await db.one<{ id: number }>(
    `INSERT INTO notices (source, source_id, title, nature, departements, reserved, classification, raw, content_hash, words)
     VALUES ('boamp', $1, 'Nettoyage des locaux', 'contract', '{59}', '{handicap}', '{"source":"boamp","id":"x","reserved":["handicap"],"socialClause":false,"socialCriterion":false,"environmental":false,"insertionHours":null,"findings":[],"lots":[]}', '{}', 'x', to_tsvector('fr_unaccent', 'Nettoyage des locaux')) RETURNING id`,
    [`26-M${n}`],
  )) as { id: number }).id);
  const searchId = ((await db.one<{ id: string }>(`INSERT INTO notice_searches (person_id, organisation_id, name, filters) VALUES ($1, $2, 'Veille de la structure', '{"socialClause":true}') RETURNING id`, [colleague.id, structureOrg])) as { id: string }).id;
  const unsubscribeToken = sign(await signingKey(db), 'notice-search-unsubscribe', searchId, new Date(Date.now() + 86_400_000));
  const claimant = await createPerson(db);
  const claim = (await db.one<{ id: string }>(`INSERT INTO claims (structure_id, person_id, status, message) VALUES ($1, $2, 'pending', 'Bonjour') RETURNING id`, [s.id, claimant.id])) as { id: string };
  const token = (await db.one<{ id: string }>(
    `INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at) VALUES ($1, 'ERP', $2, 'pas_abcd', '{read,write}', now() + interval '30 days') RETURNING id`,
    [structureOrg, sha256(`pas_matrix_${n}`)],
  )) as { id: string };
  return {
    structureId: s.id,
    structureSlug: s.slug,
    structureOrg,
    colleagueId: colleague.id,
    claimId: claim.id,
    tokenId: token.id,
    unverifiedOrg,
    sentNeed,
    submittedNeed,
    attachmentId,
    consortiumId,
    noticeId,
    searchId,
    unsubscribeToken,
    knownEmail: other.email,
    sessions: {
      otherOrgMember: await signIn(db, other.id),
      member: await signIn(db, member.id),
      admin: await signIn(db, admin.id),
      facilitator: await signIn(db, facilitator.id),
      platformAdmin: await signIn(db, boss.id),
      buyer: await signIn(db, buyer.id),
    },
  };
}

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('authorisation matrix', () => {
  it('knows every route of the application', () => {
    const registered = t.app.routeAccess.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered.filter((r) => !(r in MATRIX)), 'routes missing from the matrix').toEqual([]);
    expect(Object.keys(MATRIX).filter((k) => !registered.includes(k)), 'matrix lines without a route').toEqual([]);
  });

  for (const [route, rule] of Object.entries(MATRIX)) {
    it(`${route}: allowed to ${rule.allowed.length ? rule.allowed.join(', ') : 'nobody here'}`, async () => {
      const method = route.split(' ')[0] as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      for (const role of ROLES) {
        const f = await fixture();
        const call = rule.call(f);
        const session = role === 'anonymous' ? null : f.sessions[role];
        // Anonymous visitors of a form hold a CSRF cookie too: refusals are about rights, not CSRF.
        const csrf = session?.csrf ?? 'jeton-csrf-anonyme-de-test-0123456789';
        const cookie = session?.cookie ?? `pa_csrf=${csrf}`;
        const headers: Record<string, string> = { cookie };
        let payload: string | undefined;
        if (method !== 'GET') {
          headers['x-csrf-token'] = csrf;
          if (call.form) {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            payload = new URLSearchParams({ _csrf: csrf, ...call.form }).toString();
          } else if (call.json !== undefined) {
            headers['content-type'] = 'application/json';
            payload = JSON.stringify(call.json);
          }
        }
        const res = await t.app.inject({ method, url: call.url, headers, payload, remoteAddress: call.local ? '127.0.0.1' : `10.8.${seq % 250}.${(seq * 7) % 250}` });
        const toSignIn = res.statusCode === 303 && String(res.headers.location).startsWith('/connexion?retour=');
        const refused = res.statusCode === 401 || res.statusCode === 403 || toSignIn || (!rule.allowed.includes(role) && res.statusCode === 404);
        const what = `${route} as ${role}: ${res.statusCode} ${res.statusCode >= 400 ? res.body.slice(0, 300) : ''}`;
        expect(res.statusCode, what).toBeLessThan(500);
        expect(refused, what).toBe(!rule.allowed.includes(role));
        if (role === 'anonymous' && refused && method === 'GET' && !route.includes('/api/')) expect(toSignIn, what).toBe(true);
      }
    });
  }
});
