// Mail: French messages in one layout (text and HTML), queued as 'mail.send' jobs in the caller's
// transaction, sent with nodemailer when SMTP_URL is set, kept in `mail_outbox` (/dev/mails) otherwise.
// Addresses and bodies are never logged: logs name the job id and kind only.
import nodemailer from 'nodemailer';
import type { Config } from './config.ts';
import type { Queryable } from './db.ts';
import { html, type Html } from './html.ts';
import { enqueue, registerJobHandler } from './jobs.ts';
import type { Platform } from './platform.ts';
import { sql } from './sql.ts';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailContent {
  to: string;
  subject: string;
  /** First line; "Bonjour," by default. */
  greeting?: string;
  paragraphs: string[];
  /** The main link, as a button; `path` starts with '/' and is made absolute with PUBLIC_URL. */
  action?: { label: string; path: string };
  /** Paragraphs after the button. */
  after?: string[];
  /** Why the person gets this message (footer); a general sentence by default. */
  reason?: string;
}

export const MAIL_KIND = 'mail.send';
const SITE = 'Passerelles';
const TAGLINE = 'la plateforme territoriale de l’inclusion dans l’emploi';
const DEFAULT_REASON = `Vous recevez ce message parce que votre adresse électronique a été indiquée sur ${SITE}.`;
const AUTOMATIC = 'Ce message est envoyé automatiquement : merci de ne pas y répondre.';

/** An absolute link to a page of the platform, behind PUBLIC_URL (which may carry a path). */
export function absoluteUrl(config: Config, path: string): string {
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`mail link must be a path starting with '/' (got ${JSON.stringify(path)})`);
  return `${config.publicUrl}${path}`;
}

/** Wraps a paragraph at `width` columns for the text version; long words (links) stay whole. */
export function wrapText(text: string, width = 76): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let current = '';
      for (const word of line.split(' ')) {
        if (current && current.length + 1 + word.length > width) {
          out.push(current);
          current = word;
        } else current = current ? `${current} ${word}` : word;
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}

// Mail clients ignore stylesheets: styles are inline, colours from the DSFR palette.
const FONT = 'font-family:Marianne,Arial,Helvetica,sans-serif;';
const P = 'margin:0 0 16px;font-size:16px;line-height:24px;color:#161616;';

export function renderMail(config: Config, m: MailContent): MailMessage {
  const greeting = m.greeting ?? 'Bonjour,';
  const after = m.after ?? [];
  const reason = m.reason ?? DEFAULT_REASON;
  const operator = config.operatorName ? `Service opéré par ${config.operatorName}.` : '';
  const actionUrl = m.action ? absoluteUrl(config, m.action.path) : null;
  const home = `${config.publicUrl}/`;

  const text = [
    greeting,
    ...m.paragraphs.map((p) => wrapText(p)),
    ...(m.action && actionUrl ? [`${m.action.label} :\n${actionUrl}`] : []),
    ...after.map((p) => wrapText(p)),
    ['-- ', `${SITE} — ${TAGLINE}`, ...(operator ? [operator] : []), home, '', wrapText(reason), wrapText(AUTOMATIC)].join('\n'),
  ].join('\n\n');

  const paragraph = (p: string): Html => html`<p style="${P}">${p}</p>`;
  const button: Html | string =
    m.action && actionUrl
      ? html`<table role="presentation" cellpadding="0" cellspacing="0" style="margin:8px 0 24px;"><tr><td style="background:#000091;">
<a href="${actionUrl}" style="${FONT}display:inline-block;padding:12px 24px;font-size:16px;line-height:24px;font-weight:500;color:#ffffff;text-decoration:none;">${m.action.label}</a>
</td></tr></table>
<p style="margin:0 0 16px;font-size:14px;line-height:20px;color:#3a3a3a;">Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :<br><a href="${actionUrl}" style="color:#000091;word-break:break-all;">${actionUrl}</a></p>`
      : '';
  const body = html`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${m.subject}</title>
</head>
<body style="margin:0;padding:0;background:#f6f6f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f6f6f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="${FONT}max-width:600px;background:#ffffff;border-top:4px solid #000091;">
<tr><td style="padding:24px 32px 8px;">
<p style="margin:0;font-size:20px;line-height:28px;font-weight:700;"><a href="${home}" style="color:#000091;text-decoration:none;">${SITE}</a></p>
<p style="margin:0;font-size:14px;line-height:20px;color:#3a3a3a;">${TAGLINE.charAt(0).toUpperCase()}${TAGLINE.slice(1)}</p>
</td></tr>
<tr><td style="padding:16px 32px 8px;">
${paragraph(greeting)}
${m.paragraphs.map(paragraph)}
${button}
${after.map(paragraph)}
</td></tr>
<tr><td style="padding:16px 32px 24px;border-top:1px solid #dddddd;font-size:12px;line-height:18px;color:#666666;">
<p style="margin:0 0 8px;">${SITE} — ${TAGLINE}. ${operator}</p>
<p style="margin:0;">${reason} ${AUTOMATIC}</p>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>`;
  return { to: m.to, subject: m.subject, text: `${text}\n`, html: body.value };
}

/** Queues a message in the caller's transaction: it is sent only if that transaction commits. */
export function queueMail(q: Queryable, message: MailMessage): Promise<number> {
  return enqueue(q, MAIL_KIND, { to: message.to, subject: message.subject, text: message.text, html: message.html });
}

// ---------------------------------------------------------------------------------------------------
// Delivery

type Transporter = ReturnType<typeof nodemailer.createTransport>;
const transporters = new Map<string, Transporter>();

/** One transporter per process and SMTP server (a new connection per message, no pool to close). */
function transporter(config: Config): Transporter {
  const url = config.smtpUrl as string;
  let t = transporters.get(url);
  if (!t) {
    t = nodemailer.createTransport({ url, connectionTimeout: 20_000, greetingTimeout: 20_000, socketTimeout: 60_000, logger: false, debug: false });
    transporters.set(url, t);
  }
  return t;
}

/** Message-ID derived from the job: a message sent twice (see ADR 0006) can be recognised. */
export function messageIdOf(config: Config, jobId: number): string {
  let host = 'passerelles.localhost';
  try {
    host = new URL(config.publicUrl).hostname || host;
  } catch {}
  return `<passerelles.job-${jobId}@${host}>`;
}

function readMessage(payload: unknown): MailMessage {
  const p = (payload ?? {}) as Partial<Record<keyof MailMessage, unknown>>;
  for (const key of ['to', 'subject', 'text', 'html'] as const) {
    if (typeof p[key] !== 'string' || !(p[key] as string).length) throw new Error(`Message incomplet : champ « ${key} » manquant.`);
  }
  return p as MailMessage;
}

async function sendMail(payload: unknown, ctx: { platform: Platform; jobId: number }): Promise<void> {
  const { config, db } = ctx.platform;
  const m = readMessage(payload);
  if (config.smtpUrl) {
    await transporter(config).sendMail({
      from: config.mailFrom,
      to: m.to,
      subject: m.subject,
      text: m.text,
      html: m.html,
      messageId: messageIdOf(config, ctx.jobId),
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    return;
  }
  // No SMTP server (the embedded default): the message is kept for /dev/mails, once per job.
  await db.query(sql`
    INSERT INTO mail_outbox (job_id, to_address, subject, text_body, html_body)
    VALUES (${ctx.jobId}, ${m.to}, ${m.subject}, ${m.text}, ${m.html})
    ON CONFLICT (job_id) DO NOTHING`);
}

// Importing this module is enough for the jobs of this process to send mail.
registerJobHandler(MAIL_KIND, sendMail, { clearPayloadWhenDone: true });
