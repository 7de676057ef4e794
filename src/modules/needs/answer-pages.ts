// Pages of the structures that receive a need: the need behind the mail's personal link (or from their
// space when signed in), their answer, the attachments, the groupement (create, invite, remove), the
// invitation of another structure (accept or refuse), and « Besoins reçus » in the person's space
// (structures and networks). Link users have no account: forms carry the CSRF token (cookie set when
// the page is rendered) and the link's token (hidden field `jeton`).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Html, html } from '../../core/html.ts';
import type { Platform } from '../../core/platform.ts';
import { csrfField, formError, inputField, notice, selectField, textareaField } from '../../web/forms.ts';
import type { Crumb } from '../../web/layout.ts';
import { csrfToken } from '../accounts/http.ts';
import { renderPage } from '../accounts/pages.ts';
import { requirePerson } from '../accounts/policy.ts';
import { RESERVATION_LABEL } from '../matching/model.ts';
import { getReferentials, type Referentials } from '../referentials/service.ts';
import { deadlineLabel, placeLabel } from './answer-mails.ts';
import { contentDisposition, openAttachment, toAttachment } from './attachments.ts';
import {
  type AnswerContext,
  answerAccess,
  answerable,
  answerNeed,
  type AnswerInput,
  buyerContact,
  markSeen,
  NOT_INTERESTED_REASONS,
  networkSlugsOf,
  type ReceivedNeed,
  receivedNeeds,
  recipientStatus,
} from './answers.ts';
import {
  answerInvitation,
  type Consortium,
  consortiumOf,
  createConsortium,
  invitationAccess,
  type InvitationContext,
  invitePath,
  inviteToConsortium,
  pendingInvitations,
  removeFromConsortium,
  searchInvitable,
  suggestedPartners,
} from './consortia.ts';
import { CLOSED_REASON_LABEL, NEED_KIND_LABEL, NEED_STATUS_LABEL, RECIPIENT_STATUS_LABEL, type RecipientStatus } from './model.ts';
import type { Need } from './repository.ts';
import { signingKey } from '../../core/signing.ts';
import './sending.ts';
import { sendHtml } from '../../web/reply.ts';

type Body = Record<string, string | undefined>;
type Params = { id: string; structureId: string };

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** A page path for the structure, with its link's token when it came through one. */
function withJeton(base: string, jeton: string | null, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ ...(jeton ? { jeton } : {}), ...extra });
  const qs = params.toString();
  return qs ? `${base}?${qs}` : base;
}
const needBase = (needId: string, structureId: string) => `/besoins/${needId}/structure/${structureId}`;

const MESSAGES: Record<string, [string, string]> = {
  interessee: ['Votre intérêt est enregistré.', 'L’acheteur le voit dans son suivi ; ses coordonnées sont ci-dessous.'],
  'pas-interessee': ['Votre réponse est enregistrée.', 'Merci : votre motif aide l’acheteur et les facilitateurs.'],
  partenaires: ['C’est noté : vous cherchez des partenaires.', 'Les autres structures qui répondent à ce besoin peuvent vous inviter dans leur groupement.'],
  reponses: ['Vos réponses aux questions sont enregistrées.', ''],
  'groupement-cree': ['Le groupement est créé.', 'Votre structure en est le mandataire : invitez les co-traitants.'],
  'invitation-envoyee': ['L’invitation est envoyée.', 'La structure reçoit un courriel avec un lien pour accepter ou refuser.'],
  'membre-retire': ['La structure est retirée du groupement.', ''],
  'invitation-acceptee': ['Vous avez rejoint le groupement.', 'Le besoin est ci-dessous ; le mandataire coordonne la réponse.'],
  'invitation-refusee': ['Vous avez refusé l’invitation.', ''],
};
const messageOf = (code: unknown) => {
  const m = typeof code === 'string' ? MESSAGES[code] : undefined;
  return m ? notice('success', m[0], m[1] || undefined) : html``;
};

function page(p: Platform, o: { title: string; main: Html; breadcrumb: Crumb[] }): string {
  return renderPage(p, { title: o.title, breadcrumb: o.breadcrumb, section: 'needs', main: html`<div class="fr-container fr-my-4w">${o.main}</div>` });
}

function crumbs(via: AnswerContext['via'], last: string, middle: Crumb[] = []): Crumb[] {
  return via === 'link'
    ? [{ label: 'Accueil', href: '/' }, ...middle, { label: last }]
    : [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: 'Besoins reçus', href: '/espace/besoins' }, ...middle, { label: last }];
}

/** Text typed by people: paragraphs on blank lines, line breaks kept. */
function multiline(text: string): Html[] {
  return text
    .split(/\n{2,}/)
    .filter((x) => x.trim())
    .map((para) => html`<p>${para.split('\n').map((line, i) => (i ? html`<br>${line}` : line))}</p>`);
}

const euros = (v: number) => `${v.toLocaleString('fr-FR')} €`;
function amountLabel(n: Need): string | null {
  if (n.amountMin !== null && n.amountMax !== null) return n.amountMin === n.amountMax ? `${euros(n.amountMin)} HT` : `De ${euros(n.amountMin)} à ${euros(n.amountMax)} HT`;
  if (n.amountMin !== null) return `À partir de ${euros(n.amountMin)} HT`;
  if (n.amountMax !== null) return `Jusqu’à ${euros(n.amountMax)} HT`;
  return null;
}
const frenchDay = (d: string | null) => (d ? new Date(`${d.slice(0, 10)}T12:00:00Z`).toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }) : null);
const frenchDateTime = (d: string | null) => (d ? new Date(d).toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Paris' }) : '—');

const STATUS_BADGE: Record<RecipientStatus, string> = {
  matched: 'fr-badge--info',
  sent: 'fr-badge--info',
  opened: 'fr-badge--new',
  viewed: 'fr-badge--new',
  interested: 'fr-badge--success',
  not_interested: 'fr-badge--warning',
  partners: 'fr-badge--success',
};
const statusBadge = (s: RecipientStatus) => html`<p class="fr-badge ${STATUS_BADGE[s]} fr-badge--no-icon">${RECIPIENT_STATUS_LABEL[s]}</p>`;

/** The need as a structure reads it: never the buyer's contact. */
function needDetails(n: Need, refs: Referentials): Html {
  const rows: [string, string | Html][] = [
    ['Type de besoin', NEED_KIND_LABEL[n.kind]],
    ['Lieu d’exécution', placeLabel(n)],
  ];
  const deadline = deadlineLabel(n);
  if (deadline) rows.push(['Date limite de réponse', deadline]);
  if (n.startDate) rows.push(['Début de la prestation', frenchDay(n.startDate) as string]);
  const amount = amountLabel(n);
  if (amount) rows.push(['Montant estimé', amount]);
  if (n.serviceTypes.length) rows.push(['Type de prestation', n.serviceTypes.map((c) => refs.serviceTypeByCode.get(c)?.name ?? c).join(', ')]);
  if (n.sectors.length) rows.push(['Secteurs d’activité', n.sectors.map((s) => refs.sectorBySlug.get(s)?.name ?? s).join(', ')]);
  if (n.structureKinds.length) rows.push(['Types de structures recherchés', n.structureKinds.map((k) => refs.kindByCode.get(k)?.name ?? k).join(', ')]);
  if (n.reservation) rows.push(['Marché réservé', RESERVATION_LABEL[n.reservation]]);
  if (n.socialClause) rows.push(['Clause sociale d’insertion', n.insertionHours ? `Oui, ${n.insertionHours.toLocaleString('fr-FR')} heures d’insertion` : 'Oui']);
  if (n.socialCriterion) rows.push(['Critère social d’attribution', 'Oui']);
  if (n.environmentalRequirements) rows.push(['Exigences environnementales', n.environmentalRequirements]);
  return html`<h2 class="fr-h4">Le besoin</h2>
${multiline(n.description)}
<dl>
${rows.map(([k, v]) => html`<dt class="fr-text--bold fr-mb-0">${k}</dt><dd class="fr-mb-2w fr-ml-0">${v}</dd>`)}
</dl>`;
}

async function attachmentsOf(p: Platform, needId: string) {
  return p.db.query<{ id: string; original_name: string; content_type: string; size_bytes: number }>(
    `SELECT id, original_name, content_type, size_bytes FROM need_attachments WHERE need_id = $1 ORDER BY created_at, original_name`,
    [needId],
  );
}

const sizeLabel = (b: number) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo` : `${Math.max(1, Math.round(b / 1024))} ko`);
const extOf = (name: string) => (name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toUpperCase() : 'fichier');

async function needPage(p: Platform, req: FastifyRequest, reply: FastifyReply, ctx: AnswerContext, o: { message?: unknown; error?: { message: string; field?: string } } = {}): Promise<string> {
  const csrf = csrfToken(req, reply, p.config);
  const n = ctx.need;
  const r = ctx.recipient;
  const status = recipientStatus(r);
  const refs = await getReferentials(p.db);
  const files = await attachmentsOf(p, n.id);
  const open = answerable(n);
  const consortium = await consortiumOf(p.db, n.id, ctx.structure.id);
  const invitations = await pendingInvitations(p.db, n.id, ctx.structure.id);
  const key = await signingKey(p.db);
  const base = needBase(n.id, ctx.structure.id);
  const action = `${base}/reponse`;
  const hidden = html`${csrfField(csrf)}${ctx.jeton ? html`<input type="hidden" name="jeton" value="${ctx.jeton}">` : ''}`;
  const fields = o.error?.field ? { [o.error.field]: o.error.message } : undefined;
  const contact = r.interestedAt ? await buyerContact(p.db, n) : null;

  const closedNotice = !open.ok
    ? notice('info', 'Ce besoin ne reçoit plus de réponses', n.status === 'closed' && n.closedReason ? `${open.message} (${CLOSED_REASON_LABEL[n.closedReason]}).` : open.message)
    : n.status === 'closed' && n.closedReason
      ? notice('info', 'L’envoi de ce besoin est terminé', `Motif : ${CLOSED_REASON_LABEL[n.closedReason]}. Vous pouvez encore répondre jusqu’à la date limite.`)
      : html``;

  const main = html`<h1>${n.title}</h1>
<p class="fr-text--sm">Besoin ${n.reference} · reçu par <strong>${ctx.structure.name}</strong>${r.sentAt ? ` le ${frenchDateTime(r.sentAt)}` : ''}</p>
<div class="fr-mb-3w"><p class="fr-mb-1v fr-text--sm">Votre réponse actuelle :</p>${statusBadge(status)}</div>
${messageOf(o.message)}
${formError(o.error?.message)}
${closedNotice}
<div class="fr-grid-row fr-grid-row--gutters">
<div class="fr-col-12 fr-col-md-7">
${needDetails(n, refs)}
${
  r.reasons.length
    ? html`<h2 class="fr-h4">Pourquoi votre structure a reçu ce besoin</h2>
<ul>${r.reasons.map((x) => html`<li>${x}</li>`)}</ul>`
    : ''
}
${
  files.length
    ? html`<h2 class="fr-h4">Pièces jointes</h2>
<ul class="fr-links-group">${files.map(
        (f) => html`<li><a class="fr-link fr-link--download" download href="${withJeton(`${base}/pieces/${f.id}`, ctx.jeton)}">${f.original_name} <span class="fr-link__detail">${extOf(f.original_name)} – ${sizeLabel(f.size_bytes)}</span></a></li>`,
      )}</ul>`
    : ''
}
</div>
<div class="fr-col-12 fr-col-md-5">
${
  contact
    ? html`<div class="fr-callout fr-mb-3w">
<h2 class="fr-callout__title fr-h5">Contact de l’acheteur</h2>
<ul class="fr-callout__text fr-text--md">
${contact.organisation ? html`<li>Organisation : ${contact.organisation}</li>` : ''}
${contact.name ? html`<li>Nom : ${contact.name}</li>` : ''}
${contact.email ? html`<li>Courriel : <a href="mailto:${contact.email}">${contact.email}</a></li>` : ''}
${contact.phone ? html`<li>Téléphone : <a href="tel:${contact.phone.replace(/[^+\d]/g, '')}">${contact.phone}</a></li>` : ''}
</ul>
</div>`
    : ''
}
<h2 class="fr-h4">Répondre</h2>
${
  open.ok
    ? html`${
        r.interestedAt
          ? ''
          : html`<form method="post" action="${action}" class="fr-mb-3w">
${hidden}<input type="hidden" name="action" value="interessee">
<p>Intéressée ? Les coordonnées de l’acheteur s’affichent aussitôt et il voit votre réponse.</p>
<button class="fr-btn fr-icon-check-line fr-btn--icon-left" type="submit">Nous sommes intéressés</button>
</form>`
      }
<form method="post" action="${action}" class="fr-mb-3w">
${hidden}<input type="hidden" name="action" value="partenaires">
<p>Vous voulez répondre à plusieurs ? Signalez-le : les autres structures pourront vous inviter dans leur groupement.</p>
<button class="fr-btn fr-btn--secondary" type="submit"${r.partnersAt ? html` disabled` : ''}>${r.partnersAt ? 'Vous cherchez des partenaires' : 'Je cherche des partenaires'}</button>
</form>
<form method="post" action="${action}" class="fr-mb-3w">
${hidden}<input type="hidden" name="action" value="pas-interessee">
<fieldset class="fr-fieldset" aria-labelledby="pas-interessee-legende">
<legend class="fr-fieldset__legend" id="pas-interessee-legende">Pas intéressée</legend>
<div class="fr-fieldset__element">${selectField({ id: 'motif', name: 'motif', label: 'Motif', placeholder: 'Choisir un motif', options: Object.entries(NOT_INTERESTED_REASONS).map(([value, label]) => ({ value, label })), errors: fields })}</div>
<div class="fr-fieldset__element">${textareaField({ id: 'precision', name: 'precision', label: 'Précision (facultative, obligatoire pour « Autre raison »)', rows: 3, maxlength: 1000, errors: fields?.reason ? { precision: fields.reason } : undefined })}</div>
<div class="fr-fieldset__element"><button class="fr-btn fr-btn--tertiary" type="submit">Ce besoin ne nous intéresse pas</button></div>
</fieldset>
</form>`
    : html`<p>Les réponses sont closes.</p>`
}
${
  n.questions.length
    ? html`<h2 class="fr-h4">Questions de l’acheteur</h2>
${
  open.ok
    ? html`<form method="post" action="${action}">
${hidden}<input type="hidden" name="action" value="reponses">
${n.questions.map((q, i) => textareaField({ id: `reponse-${i + 1}`, name: `reponse-${q.id}`, label: q.text, value: r.answers[q.id] ?? '', rows: 4, maxlength: 3000 }))}
<button class="fr-btn fr-btn--secondary" type="submit">Enregistrer les réponses</button>
</form>`
    : html`<ul>${n.questions.map((q) => html`<li><strong>${q.text}</strong><br>${r.answers[q.id] ?? 'Pas de réponse'}</li>`)}</ul>`
}`
    : ''
}
<h2 class="fr-h4 fr-mt-4w">Groupement</h2>
${
  consortium
    ? html`<p>${consortium.leadStructureId === ctx.structure.id ? 'Votre structure est le mandataire d’un groupement' : html`Votre structure fait partie du groupement mené par <strong>${consortium.leadName}</strong>`} (${consortium.members.filter((m) => m.status === 'accepted').length} membre(s)).</p>
<p><a class="fr-link" href="${withJeton(`${base}/groupement`, ctx.jeton)}">Voir le groupement</a></p>`
    : html`<p>Répondez à plusieurs : constituez un groupement dont votre structure sera le mandataire, et invitez des co-traitants.</p>
${open.ok ? html`<p><a class="fr-btn fr-btn--secondary" href="${withJeton(`${base}/groupement`, ctx.jeton)}">Constituer un groupement</a></p>` : ''}`
}
${
  invitations.length
    ? html`<h3 class="fr-h5">Invitations reçues</h3>
<ul>${invitations.map((c) => html`<li>${c.leadName} vous invite dans son groupement : <a href="${ctx.jeton ? invitePath(key, n, c.id, ctx.structure.id, new Date()) : `/groupements/${c.id}/invitation/${ctx.structure.id}`}">voir l’invitation</a></li>`)}</ul>`
    : ''
}
</div>
</div>`;
  return page(p, { title: n.title, breadcrumb: crumbs(ctx.via, n.title), main });
}

function consortiumTable(c: Consortium, o: { canRemove: boolean; action: string; hidden: Html }): Html {
  const label = { accepted: 'Membre', invited: 'Invitée, sans réponse', refused: 'A refusé' } as const;
  return html`<div class="fr-table fr-table--no-caption-top"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content">
<table>
<caption>Membres du groupement</caption>
<thead><tr><th scope="col">Structure</th><th scope="col">Rôle</th><th scope="col">Statut</th>${o.canRemove ? html`<th scope="col">Action</th>` : ''}</tr></thead>
<tbody>
${c.members.map(
  (m) => html`<tr><th scope="row"><a href="/structures/${m.slug}">${m.name}</a></th><td>${m.role === 'lead' ? 'Mandataire' : 'Co-traitant'}</td><td>${m.role === 'lead' ? 'Membre' : label[m.status]}</td>${
    o.canRemove
      ? html`<td>${
          m.role === 'lead'
            ? ''
            : html`<form method="post" action="${o.action}">${o.hidden}<input type="hidden" name="action" value="retirer"><input type="hidden" name="structure" value="${m.structureId}"><button class="fr-btn fr-btn--sm fr-btn--tertiary" type="submit" title="Retirer ${m.name} du groupement">Retirer</button></form>`
        }</td>`
      : ''
  }</tr>`,
)}
</tbody>
</table>
</div></div></div></div>`;
}

async function consortiumPage(p: Platform, req: FastifyRequest, reply: FastifyReply, ctx: AnswerContext, o: { message?: unknown; error?: string; search?: string } = {}): Promise<string> {
  const csrf = csrfToken(req, reply, p.config);
  const n = ctx.need;
  const base = needBase(n.id, ctx.structure.id);
  const action = `${base}/groupement`;
  const hidden = html`${csrfField(csrf)}${ctx.jeton ? html`<input type="hidden" name="jeton" value="${ctx.jeton}">` : ''}`;
  const c = await consortiumOf(p.db, n.id, ctx.structure.id);
  const open = answerable(n);
  const isLead = c?.leadStructureId === ctx.structure.id;
  const inviteButton = (structureId: string, name: string) =>
    html`<form method="post" action="${action}">${hidden}<input type="hidden" name="action" value="inviter"><input type="hidden" name="structure" value="${structureId}"><button class="fr-btn fr-btn--sm fr-btn--secondary" type="submit" title="Inviter ${name}">Inviter</button></form>`;
  const candidateTable = (caption: string, list: Awaited<ReturnType<typeof suggestedPartners>>) =>
    html`<div class="fr-table fr-table--no-caption-top"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content">
<table><caption>${caption}</caption>
<thead><tr><th scope="col">Structure</th><th scope="col">Type</th><th scope="col">Commune</th><th scope="col">Réponse au besoin</th><th scope="col">Action</th></tr></thead>
<tbody>${list.map(
      (s) => html`<tr><th scope="row"><a href="/structures/${s.slug}">${s.name}</a></th><td>${s.kind}</td><td>${s.communeName ?? '—'}</td><td>${s.answer === 'partners' ? 'Cherche des partenaires' : s.answer === 'interested' ? 'Intéressée' : '—'}</td><td>${inviteButton(s.structureId, s.name)}</td></tr>`,
    )}</tbody></table>
</div></div></div></div>`;

  let body: Html;
  if (!c) {
    body = open.ok
      ? html`<p>Votre structure, <strong>${ctx.structure.name}</strong>, sera le mandataire du groupement : elle coordonne la réponse et invite les co-traitants. Une structure ne fait partie que d’un groupement par besoin.</p>
<form method="post" action="${action}">
${hidden}<input type="hidden" name="action" value="creer">
${textareaField({ id: 'note', name: 'note', label: 'Présentation du groupement (facultatif)', hint: 'Ce que vous cherchez chez vos partenaires : compétences, zone, capacité…', rows: 4, maxlength: 2000 })}
<button class="fr-btn" type="submit">Constituer le groupement</button>
</form>`
      : html`<p>${open.message}</p>`;
  } else {
    const suggestions = isLead && open.ok ? await suggestedPartners(p.db, n.id, c.id, ctx.structure.id) : [];
    const found = isLead && open.ok && o.search ? await searchInvitable(p.db, o.search, ctx.structure.id) : [];
    body = html`<p>${isLead ? 'Votre structure est le mandataire de ce groupement.' : html`Mandataire : <strong>${c.leadName}</strong>.`}</p>
${multiline(c.note)}
${consortiumTable(c, { canRemove: isLead, action, hidden })}
${
  isLead && open.ok
    ? html`<h2 class="fr-h4 fr-mt-4w">Inviter des structures</h2>
${suggestions.length ? candidateTable('Structures intéressées par ce besoin ou qui cherchent des partenaires', suggestions) : html`<p>Aucune autre structure intéressée par ce besoin n’est disponible pour l’instant.</p>`}
<form method="get" action="${action}" class="fr-mt-3w">
${ctx.jeton ? html`<input type="hidden" name="jeton" value="${ctx.jeton}">` : ''}
${inputField({ id: 'recherche', name: 'q', label: 'Chercher une structure de l’annuaire', hint: 'Nom ou numéro SIRET / SIREN', value: o.search ?? '', maxlength: 100 })}
<button class="fr-btn fr-btn--secondary" type="submit">Chercher</button>
</form>
${o.search ? (found.length ? candidateTable(`Résultats pour « ${o.search} »`, found) : html`<p>Aucune structure ne correspond à « ${o.search} ».</p>`) : ''}`
    : ''
}`;
  }
  const main = html`<h1>Groupement pour « ${n.title} »</h1>
<p class="fr-text--sm">Besoin ${n.reference} · ${ctx.structure.name}</p>
${messageOf(o.message)}
${formError(o.error)}
${body}
<p class="fr-mt-4w"><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="${withJeton(base, ctx.jeton)}">Retour au besoin</a></p>`;
  return page(p, { title: `Groupement : ${n.title}`, breadcrumb: crumbs(ctx.via, 'Groupement', [{ label: n.title, href: withJeton(base, ctx.jeton) }]), main });
}

async function invitationPage(p: Platform, req: FastifyRequest, reply: FastifyReply, ctx: InvitationContext, o: { message?: unknown; error?: string } = {}): Promise<string> {
  const csrf = csrfToken(req, reply, p.config);
  const n = ctx.need;
  const c = ctx.consortium;
  const open = answerable(n);
  const action = `/groupements/${c.id}/invitation/${ctx.structure.id}`;
  const hidden = html`${csrfField(csrf)}${ctx.jeton ? html`<input type="hidden" name="jeton" value="${ctx.jeton}">` : ''}`;
  const refs = await getReferentials(p.db);
  const accepted = c.members.filter((m) => m.status === 'accepted');
  const main = html`<h1>Invitation à un groupement</h1>
${messageOf(o.message)}
${formError(o.error)}
<p><strong>${c.leadName}</strong> invite <strong>${ctx.structure.name}</strong> à répondre avec elle, comme co-traitante, au besoin « ${n.title} » (${n.reference}).</p>
${multiline(c.note)}
<h2 class="fr-h4">Membres</h2>
<ul>${accepted.map((m) => html`<li>${m.name}${m.role === 'lead' ? ' (mandataire)' : ''}</li>`)}</ul>
${
  ctx.member.status === 'invited'
    ? open.ok
      ? html`<div class="fr-btns-group fr-btns-group--inline-md">
<form method="post" action="${action}">${hidden}<input type="hidden" name="action" value="accepter"><button class="fr-btn" type="submit">Rejoindre le groupement</button></form>
<form method="post" action="${action}">${hidden}<input type="hidden" name="action" value="refuser"><button class="fr-btn fr-btn--secondary" type="submit">Refuser l’invitation</button></form>
</div>`
      : notice('info', 'Cette invitation ne peut plus recevoir de réponse', open.message)
    : notice('info', ctx.member.status === 'accepted' ? 'Votre structure fait partie de ce groupement.' : 'Vous avez refusé cette invitation.')
}
${needDetails(n, refs)}`;
  return page(p, { title: 'Invitation à un groupement', breadcrumb: crumbs(ctx.via, 'Invitation à un groupement'), main });
}

// ---------------------------------------------------------------------------------------------------
// The person's space

function receivedTable(caption: string, rows: ReceivedNeed[], o: { links: boolean }): Html {
  if (!rows.length) return html`<p>${caption} : aucun besoin reçu pour l’instant.</p>`;
  return html`<div class="fr-table"><div class="fr-table__wrapper"><div class="fr-table__container"><div class="fr-table__content">
<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Besoin</th>${o.links ? '' : html`<th scope="col">Structure</th>`}<th scope="col">Référence</th><th scope="col">Date limite</th><th scope="col">Reçu le</th><th scope="col">Statut</th></tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr><th scope="row">${o.links ? html`<a href="${needBase(r.need.id, r.structure.id)}">${r.need.title}</a>` : r.need.title}${r.need.status === 'closed' ? html`<br><span class="fr-text--xs">${NEED_STATUS_LABEL.closed}</span>` : ''}</th>${o.links ? '' : html`<td>${r.structure.name}</td>`}<td>${r.need.reference}</td><td>${frenchDay(r.need.answerDeadline) ?? '—'}</td><td>${frenchDateTime(r.recipient.sentAt)}</td><td>${statusBadge(r.status)}</td></tr>`,
)}
</tbody>
</table>
</div></div></div></div>`;
}

async function spacePage(p: Platform, req: FastifyRequest): Promise<string> {
  requirePerson(req.actor);
  const structures = req.actor.memberships.filter((m) => m.type === 'structure' && m.structureId);
  const networks = await networkSlugsOf(p.db, req.actor);
  const sections: Html[] = [];
  for (const m of structures) {
    const rows = await receivedNeeds(p.db, { structureIds: [m.structureId as string] });
    sections.push(html`<h2 class="fr-h3">${m.organisationName}</h2>${receivedTable(`Besoins reçus par ${m.organisationName}`, rows, { links: true })}`);
  }
  for (const nw of networks) {
    const rows = await receivedNeeds(p.db, { networkSlugs: [nw.slug] });
    sections.push(html`<h2 class="fr-h3">Réseau ${nw.name}</h2>
<p>Les besoins envoyés aux structures de votre réseau et leurs réponses.</p>
${receivedTable(`Besoins envoyés aux structures du réseau ${nw.name}`, rows, { links: false })}`);
  }
  const main = html`<h1>Besoins reçus</h1>
<p>Les besoins d’achat envoyés à vos structures, avec leur réponse. Ouvrez un besoin pour y répondre : connecté, vous n’avez pas besoin du lien reçu par courriel.</p>
${sections.length ? sections : html`<p>Vous ne faites partie d’aucune structure ni d’aucun réseau vérifié : aucun besoin à afficher.</p><p><a class="fr-link" href="/espace">Retour à mon espace</a></p>`}`;
  return page(p, { title: 'Besoins reçus', breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Mon espace', href: '/espace' }, { label: 'Besoins reçus' }], main });
}

// ---------------------------------------------------------------------------------------------------

/** The form of the need page → an answer. */
function answerInputOf(body: Body, n: Need): AnswerInput {
  switch (body.action) {
    case 'interessee':
      return { status: 'interested' };
    case 'partenaires':
      return { status: 'partners' };
    case 'pas-interessee': {
      const code = body.motif && body.motif in NOT_INTERESTED_REASONS ? (body.motif as keyof typeof NOT_INTERESTED_REASONS) : undefined;
      if (!code) throw new AppError('VALIDATION_FAILED', 'Choisissez un motif.', 422, { field: 'motif' });
      return { status: 'not_interested', reasonCode: code, reason: (body.precision ?? '').slice(0, 1000) };
    }
    case 'reponses': {
      const answers: Record<string, string> = {};
      for (const q of n.questions) answers[q.id] = (body[`reponse-${q.id}`] ?? '').slice(0, 3000);
      return { answers };
    }
    default:
      throw new AppError('VALIDATION_FAILED', 'Action inconnue.', 422);
  }
}

const MESSAGE_OF_ACTION: Record<string, string> = { interessee: 'interessee', partenaires: 'partenaires', 'pas-interessee': 'pas-interessee', reponses: 'reponses' };

export async function needAnswerPages(app: FastifyInstance, p: Platform): Promise<void> {
  const pub = { config: { access: 'public' as const } };
  const person = { config: { access: 'person' as const } };

  app.get<{ Params: Params; Querystring: Body }>('/besoins/:id/structure/:structureId', pub, async (req, reply) => {
    const ctx = await answerAccess(p, req.actor, req.params.id, req.params.structureId, str(req.query.jeton));
    await markSeen(p.db, ctx);
    reply.header('Cache-Control', 'no-store');
    return sendHtml(reply, await needPage(p, req, reply, ctx, { message: req.query.message }));
  });

  app.post<{ Params: Params; Body: Body }>('/besoins/:id/structure/:structureId/reponse', pub, async (req, reply) => {
    const body = req.body ?? {};
    const ctx = await answerAccess(p, req.actor, req.params.id, req.params.structureId, str(body.jeton));
    try {
      await answerNeed(p, ctx, answerInputOf(body, ctx.need));
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 403) throw e;
      const field = (e.details as { field?: string } | undefined)?.field;
      return sendHtml(reply, await needPage(p, req, reply, ctx, { error: { message: e.message, field } }), e.status);
    }
    return reply.redirect(withJeton(needBase(ctx.need.id, ctx.structure.id), ctx.jeton, { message: MESSAGE_OF_ACTION[body.action as string] ?? '' }), 303);
  });

  app.get<{ Params: Params & { attachmentId: string }; Querystring: Body }>('/besoins/:id/structure/:structureId/pieces/:attachmentId', pub, async (req, reply) => {
    const ctx = await answerAccess(p, req.actor, req.params.id, req.params.structureId, str(req.query.jeton));
    const notFound = () => new AppError('NOT_FOUND', 'Pièce jointe introuvable.', 404);
    if (!/^[0-9a-f-]{36}$/i.test(req.params.attachmentId)) throw notFound();
    const row = await p.db.one<Record<string, unknown>>(`SELECT * FROM need_attachments WHERE id = $1 AND need_id = $2`, [req.params.attachmentId, ctx.need.id]);
    const a = row ? toAttachment(row) : null;
    const file = a ? await openAttachment(p.config, a) : null;
    if (!a || !file) throw notFound();
    return reply
      .header('Content-Type', a.contentType || 'application/octet-stream')
      .header('Content-Length', file.size)
      .header('Content-Disposition', contentDisposition(a.originalName))
      .header('Cache-Control', 'private, no-store')
      .send(file.stream);
  });

  app.get<{ Params: Params; Querystring: Body }>('/besoins/:id/structure/:structureId/groupement', pub, async (req, reply) => {
    const ctx = await answerAccess(p, req.actor, req.params.id, req.params.structureId, str(req.query.jeton));
    reply.header('Cache-Control', 'no-store');
    return sendHtml(reply, await consortiumPage(p, req, reply, ctx, { message: req.query.message, search: str(req.query.q)?.slice(0, 100) }));
  });

  app.post<{ Params: Params; Body: Body }>('/besoins/:id/structure/:structureId/groupement', pub, async (req, reply) => {
    const body = req.body ?? {};
    const ctx = await answerAccess(p, req.actor, req.params.id, req.params.structureId, str(body.jeton));
    let message: string;
    try {
      if (body.action === 'creer') {
        await createConsortium(p, ctx, body.note ?? '');
        message = 'groupement-cree';
      } else if (body.action === 'inviter' || body.action === 'retirer') {
        const c = await consortiumOf(p.db, ctx.need.id, ctx.structure.id);
        if (!c) throw new AppError('NOT_FOUND', 'Constituez d’abord un groupement.', 404);
        if (body.action === 'inviter') await inviteToConsortium(p, ctx, c.id, body.structure ?? '');
        else await removeFromConsortium(p, ctx, c.id, body.structure ?? '');
        message = body.action === 'inviter' ? 'invitation-envoyee' : 'membre-retire';
      } else throw new AppError('VALIDATION_FAILED', 'Action inconnue.', 422);
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 401) throw e;
      return sendHtml(reply, await consortiumPage(p, req, reply, ctx, { error: e.message }), e.status);
    }
    return reply.redirect(withJeton(`${needBase(ctx.need.id, ctx.structure.id)}/groupement`, ctx.jeton, { message }), 303);
  });

  app.get<{ Params: { consortiumId: string; structureId: string }; Querystring: Body }>('/groupements/:consortiumId/invitation/:structureId', pub, async (req, reply) => {
    const ctx = await invitationAccess(p, req.actor, req.params.consortiumId, req.params.structureId, str(req.query.jeton));
    reply.header('Cache-Control', 'no-store');
    return sendHtml(reply, await invitationPage(p, req, reply, ctx, { message: req.query.message }));
  });

  app.post<{ Params: { consortiumId: string; structureId: string }; Body: Body }>('/groupements/:consortiumId/invitation/:structureId', pub, async (req, reply) => {
    const body = req.body ?? {};
    const ctx = await invitationAccess(p, req.actor, req.params.consortiumId, req.params.structureId, str(body.jeton));
    if (body.action !== 'accepter' && body.action !== 'refuser') throw new AppError('VALIDATION_FAILED', 'Action inconnue.', 422);
    let needPath: string;
    try {
      ({ needPath } = await answerInvitation(p, ctx, body.action === 'accepter'));
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 401 || e.status === 403) throw e;
      return sendHtml(reply, await invitationPage(p, req, reply, ctx, { error: e.message }), e.status);
    }
    if (body.action === 'accepter') return reply.redirect(`${needPath}${needPath.includes('?') ? '&' : '?'}message=invitation-acceptee`, 303);
    return reply.redirect(withJeton(`/groupements/${ctx.consortium.id}/invitation/${ctx.structure.id}`, ctx.jeton, { message: 'invitation-refusee' }), 303);
  });

  app.get('/espace/besoins', person, async (req, reply) => sendHtml(reply, await spacePage(p, req)));
}
