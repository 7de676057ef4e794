// Claims over HTTP: the pages (« Rattacher ma structure », the person's claims, the deciders' queue) and
// the API (/api/v1/claims). Claims are made and decided by people: every route needs a session ('person'),
// an API token acts for an organisation and cannot claim.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import { kickJobs } from '../../core/jobs.ts';
import type { Platform } from '../../core/platform.ts';
import { pagination } from '../../web/components.ts';
import { formatDate } from '../../web/format.ts';
import { csrfField, formError, inputField, notice, selectField, textareaField } from '../../web/forms.ts';
import { ErrorSchema } from '../directory/schemas.ts';
import { SearchQuerySchema, searchStructures } from '../directory/search.ts';
import {
  CLAIM_STATUS_LABEL,
  CLAIM_STATUSES,
  type ClaimStatus,
  type ClaimView,
  DECISION_RULE_LABEL,
  cancelClaim,
  canDecideClaimsOf,
  claimContext,
  createClaim,
  decideClaim,
  getClaim,
  listClaims,
} from './claims.ts';
import { clientIp, csrfToken } from './http.ts';
import type { Actor } from './model.ts';
import { renderPage, safeReturn } from './pages.ts';
import { sendHtml } from '../../web/reply.ts';

type Body = Record<string, string | undefined>;

const STATUS_BADGE: Record<ClaimStatus, string> = { pending: 'fr-badge--new', accepted: 'fr-badge--success', refused: 'fr-badge--error', cancelled: '' };
const statusBadge = (s: ClaimStatus) => html`<p class="fr-badge fr-badge--sm ${STATUS_BADGE[s]}">${CLAIM_STATUS_LABEL[s]}</p>`;
const place = (c: ClaimView) => (c.structure.commune ? ` (${c.structure.commune.name}${c.structure.departmentCode ? `, ${c.structure.departmentCode}` : ''})` : '');

/** The pending claims of a structure that the actor decides (for the structure's edit page). */
export async function decidableClaimsOf(p: Platform, actor: Actor, structureId: string): Promise<ClaimView[]> {
  if (!(await canDecideClaimsOf(p, actor, structureId))) return [];
  return (await listClaims(p, actor, { scope: 'toDecide', status: 'pending', structureId, perPage: 50 })).items;
}

/** Pending claims with their two forms: accept, or refuse with a reason. `back` is where to go after deciding. */
export function claimDecisionList(claims: ClaimView[], csrf: string, back: string, headingLevel: 'h3' | 'h2' = 'h3'): Html {
  return html`<ul class="fr-raw-list">${claims.map((c) => html`<li class="pl-box fr-mb-3w">${claimDecision(c, csrf, back, headingLevel)}</li>`)}</ul>`;
}

function claimDecision(c: ClaimView, csrf: string, back: string, headingLevel: 'h3' | 'h2', error?: { message: string; field?: string }, reason?: string): Html {
  const title = html`<a href="/structures/${c.structure.slug}">${c.structure.name}</a>${place(c)}`;
  const who = c.claimant.name ? `${c.claimant.name} (${c.claimant.email})` : c.claimant.email;
  return html`${headingLevel === 'h2' ? html`<h2 class="fr-h5">${title}</h2>` : html`<h3 class="fr-h5">${title}</h3>`}
<p class="fr-mb-1w">Demande de <strong>${who}</strong>, le ${formatDate(c.createdAt)}. SIRET de la structure : ${c.structure.siret}.</p>
${c.message ? html`<p class="fr-mb-1w">Son message :</p><blockquote class="fr-mb-2w"><p>${c.message}</p></blockquote>` : html`<p>Sans message.</p>`}
${c.status !== 'pending' ? html`<p>${statusBadge(c.status)}</p>` : html`<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-4">
<form method="post" action="/rattachements/${c.id}/decision">
${csrfField(csrf)}<input type="hidden" name="retour" value="${back}"><input type="hidden" name="decision" value="accept">
<button class="fr-btn" type="submit">Accepter<span class="fr-sr-only"> la demande de ${who} pour ${c.structure.name}</span></button>
</form>
</div>
<div class="fr-col-12 fr-col-md-8">
<form method="post" action="/rattachements/${c.id}/decision" novalidate>
${csrfField(csrf)}<input type="hidden" name="retour" value="${back}"><input type="hidden" name="decision" value="refuse">
${textareaField({ id: `motif-${c.id}`, name: 'reason', label: 'Motif du refus (transmis à la personne)', rows: 2, maxlength: 2000, value: reason, errors: error?.field === 'reason' ? { reason: error.message } : undefined })}
<button class="fr-btn fr-btn--secondary" type="submit">Refuser<span class="fr-sr-only"> la demande de ${who} pour ${c.structure.name}</span></button>
</form>
</div>
</div>`}`;
}

// Pages -----------------------------------------------------------------------------------------------

async function searchPage(p: Platform, req: FastifyRequest): Promise<string> {
  const query = req.query as Body;
  const q = (query.q ?? '').trim().slice(0, 200);
  const page = Math.max(1, Math.min(1000, Number.parseInt(query.page ?? '1', 10) || 1));
  const result = q ? await searchStructures(p.db, SearchQuerySchema.parse({ q, page, perPage: 10 })) : null;
  const pages = result ? Math.ceil(result.total / result.perPage) : 0;
  return renderPage(p, {
    title: 'Rattacher ma structure',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: 'Rattacher ma structure' }],
    main: html`<div class="fr-container fr-mt-4w">
<h1>Rattacher ma structure</h1>
<p>Vous travaillez dans une structure de l’annuaire ? Rattachez-la à votre compte pour compléter sa fiche : présentation, activités, zones d’intervention, contacts, logo.</p>
<p class="fr-text--sm">Avec une adresse électronique au nom de domaine de la structure (celui de son site ou de son adresse publique), la demande est acceptée immédiatement. Sinon, un administrateur de la structure, un facilitateur de son territoire ou l’équipe de la plateforme l’examine.</p>
<form method="get" action="/structures/rattachement" role="search" class="fr-mb-4w">
<div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
<div class="fr-col-12 fr-col-md-8">${inputField({ id: 'recherche-structure', name: 'q', label: 'Nom ou SIRET de la structure', value: q, maxlength: 200 })}</div>
<div class="fr-col-12 fr-col-md-4"><button class="fr-btn" type="submit">Rechercher</button></div>
</div>
</form>
${
  result
    ? html`<h2>${result.total === 0 ? 'Aucune structure trouvée' : result.total === 1 ? '1 structure trouvée' : `${result.total} structures trouvées`}</h2>
${result.total === 0 ? html`<p>Vérifiez l’orthographe ou cherchez par SIRET (14 chiffres). Votre structure n’est pas dans l’annuaire ? Contactez l’équipe de la plateforme.</p>` : ''}
<ul class="fr-raw-list">${result.items.map(
        (s) => html`<li class="pl-box fr-mb-2w">
<h3 class="fr-h6 fr-mb-1w"><a href="/structures/${s.slug}">${s.name}</a></h3>
<p class="fr-mb-1w">${s.kindName} (${s.kind})${s.commune ? ` · ${s.commune.name}${s.departmentCode ? ` (${s.departmentCode})` : ''}` : ''} · SIRET ${s.siret}</p>
<a class="fr-btn fr-btn--sm fr-btn--secondary" href="/structures/rattachement/${s.id}">Rattacher cette structure<span class="fr-sr-only"> : ${s.name}</span></a>
</li>`,
      )}</ul>
${pagination(page, pages, (n) => `/structures/rattachement?q=${encodeURIComponent(q)}&page=${n}`)}`
    : ''
}
</div>`,
  });
}

async function claimFormPage(p: Platform, req: FastifyRequest, reply: FastifyReply, id: string, o: { error?: AppError; message?: string } = {}): Promise<string> {
  const ctx = await claimContext(p, req.actor, id);
  const csrf = csrfToken(req, reply, p.config);
  const person = req.actor.person as NonNullable<Actor['person']>;
  const s = ctx.structure;
  const field = (o.error?.details as { field?: string } | undefined)?.field;
  let body: Html;
  if (ctx.managed) {
    body = html`${notice('info', 'Vous gérez déjà cette structure.')}<p><a class="fr-btn" href="/structures/modifier/${s.id}">Modifier la fiche</a></p>`;
  } else if (ctx.pending) {
    body = html`${notice('info', 'Votre demande est en attente.', `Envoyée le ${formatDate(ctx.pending.createdAt)} : vous recevrez un courriel dès qu’elle sera examinée.`)}
<form method="post" action="/espace/rattachements/${ctx.pending.id}/annulation">${csrfField(csrf)}<button class="fr-btn fr-btn--secondary" type="submit">Annuler ma demande</button></form>`;
  } else if (!ctx.emailConfirmed) {
    body = notice('warning', 'Confirmez d’abord votre adresse électronique.', 'Un rattachement repose sur votre adresse : cliquez sur le lien reçu à l’inscription, puis revenez sur cette page.');
  } else {
    body = html`${
      ctx.domainMatch
        ? notice('success', 'Votre demande sera acceptée immédiatement.', `Votre adresse ${person.email} est au nom de domaine ${ctx.domainMatch === 'website' ? 'du site internet' : 'de l’adresse publique'} de la structure.`)
        : notice(
            'info',
            'Votre demande sera examinée.',
            `Votre adresse ${person.email} n’est pas au nom de domaine de la structure : un administrateur de la structure, un facilitateur de son territoire ou l’équipe de la plateforme examinera votre demande. Vous serez prévenu par courriel.`,
          )
    }
${formError(o.error?.message)}
<form method="post" action="/structures/rattachement/${s.id}" novalidate>
${csrfField(csrf)}
${textareaField({ id: 'message', name: 'message', label: 'Votre lien avec la structure', hint: 'Votre fonction, depuis quand, qui peut le confirmer. Ce message est lu par la personne qui examine la demande.', rows: 4, maxlength: 2000, value: o.message, errors: field === 'message' && o.error ? { message: o.error.message } : undefined })}
<ul class="fr-btns-group fr-btns-group--inline-md"><li><button class="fr-btn" type="submit">Envoyer la demande</button></li></ul>
</form>`;
  }
  return renderPage(p, {
    title: `Rattacher ${s.name}`,
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Rattacher ma structure', href: '/structures/rattachement' }, { label: s.name }],
    main: html`<div class="fr-container fr-mt-4w">
<h1>Rattacher « ${s.name} » à mon compte</h1>
<p><a class="fr-link" href="/structures/${s.slug}">Voir la fiche publique</a></p>
${body}
</div>`,
  });
}

const MY_MESSAGES: Record<string, [string, string]> = {
  acceptee: ['Demande acceptée : vous gérez maintenant la structure.', 'Vous pouvez compléter sa fiche.'],
  envoyee: ['Demande envoyée.', 'Vous recevrez un courriel dès qu’elle sera examinée.'],
  annulee: ['Demande annulée.', ''],
};

async function myClaimsPage(p: Platform, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const csrf = csrfToken(req, reply, p.config);
  const { items } = await listClaims(p, req.actor, { scope: 'mine', perPage: 100 });
  const m = MY_MESSAGES[String((req.query as Body).message ?? '')];
  const accepted = String((req.query as Body).structure ?? '');
  return renderPage(p, {
    title: 'Mes demandes de rattachement',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: 'Mes demandes de rattachement' }],
    main: html`<div class="fr-container fr-mt-4w">
${m ? notice('success', m[0], m[1] || undefined) : ''}
${m && accepted && /^[0-9a-f-]{36}$/.test(accepted) ? html`<p><a class="fr-btn" href="/structures/modifier/${accepted}">Compléter la fiche</a></p>` : ''}
<h1>Mes demandes de rattachement</h1>
${
  items.length
    ? html`<div class="fr-table"><table>
<caption>Vos demandes pour gérer des structures de l’annuaire</caption>
<thead><tr><th scope="col">Structure</th><th scope="col">Demandée le</th><th scope="col">Statut</th><th scope="col">Décision</th><th scope="col">Actions</th></tr></thead>
<tbody>${items.map(
        (c) => html`<tr>
<td><a href="/structures/${c.structure.slug}">${c.structure.name}</a>${place(c)}</td>
<td>${formatDate(c.createdAt)}</td>
<td>${statusBadge(c.status)}</td>
<td>${c.decidedByRule ? html`${c.status === 'accepted' ? 'Acceptée' : 'Refusée'} ${DECISION_RULE_LABEL[c.decidedByRule]}${c.decidedAt ? ` le ${formatDate(c.decidedAt)}` : ''}${c.decisionReason ? html`<br>Motif : ${c.decisionReason}` : ''}` : '—'}</td>
<td>${
          c.status === 'pending'
            ? html`<form method="post" action="/espace/rattachements/${c.id}/annulation">${csrfField(csrf)}<button class="fr-btn fr-btn--sm fr-btn--tertiary" type="submit">Annuler<span class="fr-sr-only"> la demande pour ${c.structure.name}</span></button></form>`
            : c.status === 'accepted'
              ? html`<a class="fr-link" href="/structures/modifier/${c.structure.id}">Modifier la fiche<span class="fr-sr-only"> de ${c.structure.name}</span></a>`
              : '—'
        }</td>
</tr>`,
      )}</tbody>
</table></div>`
    : html`<p>Vous n’avez fait aucune demande.</p>`
}
<p><a class="fr-btn fr-btn--secondary" href="/structures/rattachement">Rattacher une structure</a></p>
</div>`,
  });
}

const STATUS_FILTER: Record<string, ClaimStatus | undefined> = { 'en-attente': 'pending', acceptees: 'accepted', refusees: 'refused', annulees: 'cancelled', toutes: undefined };

async function queuePage(p: Platform, req: FastifyRequest, reply: FastifyReply): Promise<string> {
  const query = req.query as Body;
  const q = (query.q ?? '').trim().slice(0, 200);
  const statut = query.statut && query.statut in STATUS_FILTER ? query.statut : 'en-attente';
  const page = Math.max(1, Math.min(10000, Number.parseInt(query.page ?? '1', 10) || 1));
  const list = await listClaims(p, req.actor, { scope: 'toDecide', status: STATUS_FILTER[statut], q, page, perPage: 20 });
  const pages = Math.ceil(list.total / list.perPage);
  const csrf = csrfToken(req, reply, p.config);
  const here = `/admin/rattachements?${new URLSearchParams({ ...(q ? { q } : {}), statut, page: String(page) }).toString()}`;
  const decided = query.message === 'decision';
  return renderPage(p, {
    title: 'Demandes de rattachement',
    section: 'admin',
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Administration', href: '/admin' }, { label: 'Demandes de rattachement' }],
    main: html`<div class="fr-container fr-mt-4w">
${decided ? notice('success', 'Décision enregistrée.', 'La personne a été prévenue par courriel.') : ''}
<h1>Demandes de rattachement</h1>
<p>Les demandes des structures ${req.actor.memberships.some((m) => m.type === 'platform') ? 'de toute la plateforme' : 'de vos territoires'} qu’une adresse au nom de domaine de la structure n’a pas suffi à accepter.</p>
<form method="get" action="/admin/rattachements" class="fr-mb-4w">
<div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
<div class="fr-col-12 fr-col-md-5">${inputField({ id: 'filtre-q', name: 'q', label: 'Structure, SIRET ou personne', value: q, maxlength: 200 })}</div>
<div class="fr-col-12 fr-col-md-4">${selectField({ id: 'filtre-statut', name: 'statut', label: 'Statut', value: statut, options: [{ value: 'en-attente', label: 'En attente' }, { value: 'acceptees', label: 'Acceptées' }, { value: 'refusees', label: 'Refusées' }, { value: 'annulees', label: 'Annulées' }, { value: 'toutes', label: 'Toutes' }] })}</div>
<div class="fr-col-12 fr-col-md-3"><button class="fr-btn" type="submit">Filtrer</button></div>
</div>
</form>
<h2>${list.total === 0 ? 'Aucune demande' : list.total === 1 ? '1 demande' : `${list.total} demandes`}</h2>
${
  statut === 'en-attente'
    ? claimDecisionList(list.items, csrf, `${here}&message=decision`)
    : html`<ul class="fr-raw-list">${list.items.map(
        (c) => html`<li class="pl-box fr-mb-2w"><h3 class="fr-h6 fr-mb-1w"><a href="/structures/${c.structure.slug}">${c.structure.name}</a>${place(c)}</h3>
<p class="fr-mb-1w">${c.claimant.name ? `${c.claimant.name} (${c.claimant.email})` : c.claimant.email} · demandée le ${formatDate(c.createdAt)}</p>
${statusBadge(c.status)}
${c.decidedByRule ? html`<p class="fr-mb-0 fr-mt-1w">${DECISION_RULE_LABEL[c.decidedByRule]}${c.decisionReason ? ` — motif : ${c.decisionReason}` : ''}</p>` : ''}</li>`,
      )}</ul>`
}
${pagination(page, pages, (n) => `/admin/rattachements?${new URLSearchParams({ ...(q ? { q } : {}), statut, page: String(n) }).toString()}`)}
</div>`,
  });
}

/** One claim: its status for the claimant, the decision forms for a decider (also shown again after an invalid decision). */
async function claimPage(p: Platform, req: FastifyRequest, reply: FastifyReply, id: string, o: { error?: AppError; back?: string; reason?: string } = {}): Promise<string> {
  const c = await getClaim(p, req.actor, id);
  const csrf = csrfToken(req, reply, p.config);
  const mine = c.claimant.id === req.actor.person?.id;
  const field = (o.error?.details as { field?: string } | undefined)?.field;
  return renderPage(p, {
    title: `Demande de rattachement : ${c.structure.name}`,
    breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: `Demande de rattachement : ${c.structure.name}` }],
    main: html`<div class="fr-container fr-mt-4w">
${formError(o.error?.message)}
<h1>Demande de rattachement</h1>
${
  mine
    ? html`<p><a href="/structures/${c.structure.slug}">${c.structure.name}</a>${place(c)} · ${statusBadge(c.status)}</p><p><a class="fr-link" href="/espace/rattachements">Mes demandes</a></p>`
    : claimDecision(c, csrf, o.back ?? '/admin/rattachements?message=decision', 'h2', o.error ? { message: o.error.message, field } : undefined, o.reason)
}
</div>`,
  });
}

// Routes ----------------------------------------------------------------------------------------------

const ClaimSchema = z.object({
  id: z.string(),
  status: z.enum(CLAIM_STATUSES),
  message: z.string(),
  structure: z.object({ id: z.string(), slug: z.string(), name: z.string(), siret: z.string(), commune: z.object({ code: z.string(), name: z.string() }).nullable(), departmentCode: z.string().nullable() }),
  claimant: z.object({ id: z.string(), name: z.string(), email: z.string() }),
  decidedByRule: z.enum(['email_domain', 'structure_admin', 'facilitator', 'platform_admin']).nullable().describe('Comment la demande a été décidée'),
  decisionReason: z.string().nullable(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
});

const ClaimIdParams = z.object({ id: z.string().max(100) });

export async function claimPages(app: FastifyInstance, p: Platform): Promise<void> {
  const pub = { config: { access: 'public' as const } };
  const person = { config: { access: 'person' as const } };
  type Id = { Params: { id: string } };

  app.get('/structures/rattachement', pub, async (req, reply) => sendHtml(reply, await searchPage(p, req)));
  app.get<Id>('/structures/rattachement/:id', person, async (req, reply) => sendHtml(reply, await claimFormPage(p, req, reply, req.params.id)));
  app.post<Id & { Body: Body }>('/structures/rattachement/:id', person, async (req, reply) => {
    let claim: ClaimView;
    try {
      claim = await createClaim(p, req.actor, { structureId: req.params.id, message: req.body?.message ?? '' }, { ip: clientIp(req) });
    } catch (err) {
      if (!(err instanceof AppError) || err.status === 401 || err.status === 404) throw err;
      return sendHtml(reply, await claimFormPage(p, req, reply, req.params.id, { error: err, message: req.body?.message }), err.status);
    }
    kickJobs();
    return reply.redirect(claim.status === 'accepted' ? `/espace/rattachements?message=acceptee&structure=${claim.structure.id}` : '/espace/rattachements?message=envoyee', 303);
  });

  app.get('/espace/rattachements', person, async (req, reply) => sendHtml(reply, await myClaimsPage(p, req, reply)));
  app.post<Id>('/espace/rattachements/:id/annulation', person, async (req, reply) => {
    await cancelClaim(p, req.actor, req.params.id);
    return reply.redirect('/espace/rattachements?message=annulee', 303);
  });

  app.get('/admin/rattachements', { config: { access: 'backOffice' } }, async (req, reply) => sendHtml(reply, await queuePage(p, req, reply)));
  app.get<Id>('/rattachements/:id', person, async (req, reply) => sendHtml(reply, await claimPage(p, req, reply, req.params.id)));
  app.post<Id & { Body: Body }>('/rattachements/:id/decision', person, async (req, reply) => {
    const back = safeReturn(req.body?.retour);
    try {
      await decideClaim(p, req.actor, req.params.id, { decision: req.body?.decision, reason: req.body?.reason });
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 422) throw err;
      return sendHtml(reply, await claimPage(p, req, reply, req.params.id, { error: err, back, reason: req.body?.reason }), err.status);
    }
    kickJobs();
    return reply.redirect(back, 303);
  });

  // API ---------------------------------------------------------------------------------------------
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema };
  r.get(
    '/api/v1/claims',
    {
      config: { access: 'person' },
      schema: {
        tags: ['Comptes'],
        summary: 'Demandes de rattachement',
        description: '`scope=mine` (par défaut) : mes demandes ; `scope=toDecide` : celles que je peux décider (administrateur de la structure, facilitateur de son territoire, équipe de la plateforme). Demande une session.',
        querystring: z.object({
          scope: z.enum(['mine', 'toDecide']).default('mine'),
          status: z.enum(CLAIM_STATUSES).optional(),
          q: z.string().max(200).optional().describe('Structure, SIRET ou personne'),
          page: z.coerce.number().int().min(1).max(10000).default(1),
          perPage: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: z.object({ items: z.array(ClaimSchema), total: z.number(), page: z.number(), perPage: z.number() }), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema },
      },
    },
    async (req) => listClaims(p, req.actor, req.query),
  );
  r.post(
    '/api/v1/claims',
    {
      config: { access: 'person' },
      schema: {
        tags: ['Comptes'],
        summary: 'Demander à gérer une structure',
        description:
          'Acceptée immédiatement (`status: accepted`) quand l’adresse électronique confirmée de la personne est au nom de domaine du site ou de l’adresse publique de la structure (hors messageries grand public) ; sinon en attente. Une seule demande en attente par structure et par personne (409).',
        body: z.object({ structureId: z.string().max(100), message: z.string().max(2000).optional() }),
        response: { 201: ClaimSchema, 400: ErrorSchema, ...errors },
      },
    },
    async (req, reply) => {
      const claim = await createClaim(p, req.actor, req.body, { ip: clientIp(req) });
      kickJobs();
      return reply.status(201).send(claim);
    },
  );
  r.get(
    '/api/v1/claims/:id',
    { config: { access: 'person' }, schema: { tags: ['Comptes'], summary: 'Une demande de rattachement', params: ClaimIdParams, response: { 200: ClaimSchema, ...errors } } },
    async (req) => getClaim(p, req.actor, req.params.id),
  );
  r.post(
    '/api/v1/claims/:id/decision',
    {
      config: { access: 'person' },
      schema: {
        tags: ['Comptes'],
        summary: 'Accepter ou refuser une demande de rattachement',
        description: 'Pour un administrateur de la structure, un facilitateur vérifié de son territoire ou l’équipe de la plateforme. Un refus demande un motif (`reason`), transmis par courriel.',
        params: ClaimIdParams,
        body: z.object({ decision: z.enum(['accept', 'refuse']), reason: z.string().max(2000).optional() }),
        response: { 200: ClaimSchema, 400: ErrorSchema, ...errors },
      },
    },
    async (req) => {
      const claim = await decideClaim(p, req.actor, req.params.id, req.body);
      kickJobs();
      return claim;
    },
  );
  r.post(
    '/api/v1/claims/:id/cancel',
    { config: { access: 'person' }, schema: { tags: ['Comptes'], summary: 'Annuler ma demande en attente', params: ClaimIdParams, response: { 200: ClaimSchema, ...errors } } },
    async (req) => cancelClaim(p, req.actor, req.params.id),
  );
}
