// /dev/mails: the messages kept in the outbox when no SMTP server is configured, with their links, to
// try the journeys that go through a mail. Outside production only, on a local address (config.devMails; 404 otherwise).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '../core/errors.ts';
import { type Html, html } from '../core/html.ts';
import type { Platform } from '../core/platform.ts';
import { sql } from '../core/sql.ts';
import { alert, pagination } from './components.ts';
import { countLabel } from './format.ts';
import { layout } from './layout.ts';

const PER_PAGE = 50;
const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'medium', timeZone: 'Europe/Paris' });
const formatDateTime = (d: Date | string) => DATE_TIME.format(d instanceof Date ? d : new Date(d));

interface OutboxRow {
  id: number;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: Date | string;
}

const decodeEntities = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Every http(s) link of a message, once each, in the order of the text version (then HTML-only ones). */
export function messageLinks(textBody: string, htmlBody: string): string[] {
  const links = [
    ...[...textBody.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0].replace(/[.,;:!?)»]+$/, '')),
    ...[...htmlBody.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)].map((m) => decodeEntities(m[1])),
  ];
  return [...new Set(links.filter((l) => /^https?:\/\//i.test(l)))];
}

const sendHtml = (reply: FastifyReply, body: string) =>
  reply.status(200).header('X-Robots-Tag', 'noindex').header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(body);

function notice(p: Platform): Html {
  return p.config.smtpUrl
    ? alert('info', 'Envoi par SMTP', 'Un serveur SMTP est configuré (SMTP_URL) : les messages lui sont envoyés et n’apparaissent plus ici.')
    : alert(
        'info',
        'Messages non envoyés',
        'Aucun serveur SMTP n’est configuré (SMTP_URL) : la plateforme garde ici les messages qu’elle aurait envoyés. Cette page n’existe ni en production ni sur une adresse publique (DEV_MAILS=on pour la montrer).',
      );
}

export async function devMailRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  const guard = () => {
    if (!platform.config.devMails) throw notFound();
  };

  app.get<{ Querystring: { page?: string } }>('/dev/mails', { config: { access: 'dev' } }, async (req, reply) => {
    guard();
    const requested = Number(req.query.page ?? 1);
    const total = Number((await platform.db.one<{ n: number }>(sql`SELECT count(*)::int AS n FROM mail_outbox`))?.n ?? 0);
    const pageCount = Math.max(1, Math.ceil(total / PER_PAGE));
    const page = Number.isInteger(requested) && requested >= 1 ? Math.min(requested, pageCount) : 1;
    const rows = await platform.db.query<OutboxRow>(sql`
      SELECT id, to_address, subject, created_at FROM mail_outbox
      ORDER BY created_at DESC, id DESC
      LIMIT ${PER_PAGE} OFFSET ${(page - 1) * PER_PAGE}`);
    const table = rows.length
      ? html`<div class="fr-table fr-table--multiline">
<div class="fr-table__wrapper">
<div class="fr-table__container">
<div class="fr-table__content">
<table>
<caption>Messages, du plus récent au plus ancien${pageCount > 1 ? ` (page ${page} sur ${pageCount})` : ''}</caption>
<thead>
<tr><th scope="col">Date</th><th scope="col">Destinataire</th><th scope="col">Objet</th></tr>
</thead>
<tbody>
${rows.map(
  (r) => html`<tr>
<td>${formatDateTime(r.created_at)}</td>
<td>${r.to_address}</td>
<td><a href="/dev/mails/${r.id}">${r.subject}</a></td>
</tr>`,
)}
</tbody>
</table>
</div>
</div>
</div>
</div>`
      : html`<p>Aucun message pour l’instant.</p>`;
    return sendHtml(
      reply,
      layout(platform.config, {
        title: page > 1 ? `Messages envoyés (page ${page})` : 'Messages envoyés',
        breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Messages envoyés' }],
        main: html`<div class="fr-container">
<h1>Messages envoyés</h1>
${notice(platform)}
<p>${countLabel(total, 'message', 'messages', 'Aucun message')} dans la boîte d’envoi.</p>
${table}
${pagination(page, pageCount, (n) => `/dev/mails?page=${n}`)}
</div>`,
      }),
    );
  });

  app.get<{ Params: { id: string } }>('/dev/mails/:id', { config: { access: 'dev' } }, async (req, reply) => {
    guard();
    const id = req.params.id;
    const row = /^\d{1,15}$/.test(id)
      ? await platform.db.one<OutboxRow>(sql`SELECT id, to_address, subject, text_body, html_body, created_at FROM mail_outbox WHERE id = ${Number(id)}`)
      : undefined;
    if (!row) throw notFound('Ce message n’existe pas dans la boîte d’envoi.');
    const links = messageLinks(row.text_body, row.html_body);
    return sendHtml(
      reply,
      layout(platform.config, {
        title: `Message : ${row.subject}`,
        breadcrumb: [{ label: 'Accueil', href: '/' }, { label: 'Messages envoyés', href: '/dev/mails' }, { label: row.subject }],
        main: html`<div class="fr-container">
<h1>${row.subject}</h1>
<ul class="fr-raw-list fr-mb-3w">
<li><strong>Destinataire :</strong> ${row.to_address}</li>
<li><strong>Date :</strong> ${formatDateTime(row.created_at)}</li>
</ul>
<h2>Liens du message</h2>
${
  links.length
    ? html`<ul class="fr-mb-3w">
${links.map((l) => html`<li><a href="${l}">${l}</a></li>`)}
</ul>`
    : html`<p>Ce message ne contient aucun lien.</p>`
}
<h2>Version texte</h2>
<pre class="pl-mail-text fr-mb-3w">${row.text_body}</pre>
<p class="fr-mt-4w"><a class="fr-link fr-icon-arrow-left-line fr-link--icon-left" href="/dev/mails">Tous les messages</a></p>
</div>`,
      }),
    );
  });
}
