// Mails of posting and qualifying a need (French). The answer and follow-up parts write their own.
import type { Config } from '../../core/config.ts';
import { type MailMessage, renderMail } from '../../core/mail.ts';
import { formatDate } from '../../web/format.ts';
import { NEED_KIND_LABEL } from './model.ts';
import type { Need } from './repository.ts';

const hello = (name: string) => (name ? `Bonjour ${name},` : 'Bonjour,');
const what = (n: Need) => `« ${n.title} » (${NEED_KIND_LABEL[n.kind].toLowerCase()}, référence ${n.reference})`;
const BUYER_REASON = 'Vous recevez ce message parce que vous avez déposé un besoin d’achat sur Passerelles.';

export const needMails = {
  confirmGuest: (c: Config, n: Need, path: string, days: number): MailMessage =>
    renderMail(c, {
      to: n.contactEmail,
      subject: `Confirmez votre besoin d’achat ${n.reference}`,
      greeting: hello(n.contactName),
      paragraphs: [
        `Vous avez déposé sur Passerelles le besoin ${what(n)} pour ${n.buyerName}.`,
        'Pour qu’il soit examiné par un facilitateur puis envoyé aux structures inclusives qui peuvent y répondre, confirmez votre adresse électronique.',
      ],
      action: { label: 'Confirmer mon besoin', path },
      after: [`Ce lien est valable ${days} jours. Si vous n’êtes pas à l’origine de ce dépôt, ignorez ce message : le besoin ne sera pas transmis.`],
      reason: BUYER_REASON,
    }),

  submitted: (c: Config, n: Need, path: string | null): MailMessage =>
    renderMail(c, {
      to: n.contactEmail,
      subject: `Votre besoin d’achat ${n.reference} est déposé`,
      greeting: hello(n.contactName),
      paragraphs: [
        `Votre besoin ${what(n)} est déposé.`,
        'Un facilitateur de votre territoire le relit : il peut le valider, vous demander des précisions ou le refuser en expliquant pourquoi. Une fois validé, il est envoyé par lots aux structures inclusives qui correspondent.',
      ],
      ...(path ? { action: { label: 'Suivre mon besoin', path } } : {}),
      reason: BUYER_REASON,
    }),

  toQualify: (c: Config, to: string, n: Need, again: boolean): MailMessage =>
    renderMail(c, {
      to,
      subject: `${again ? 'Besoin d’achat modifié' : 'Nouveau besoin d’achat'} à qualifier : ${n.title}`,
      paragraphs: [
        again
          ? `${n.buyerName || 'Un acheteur'} a modifié le besoin ${what(n)} comme demandé.`
          : `${n.buyerName || 'Un acheteur'} a déposé le besoin ${what(n)}.`,
        `Date limite de réponse : ${formatDate(n.answerDeadline) ?? 'non précisée'}.`,
        'Relisez-le et voyez les structures qui correspondent avant de le valider, de demander des modifications ou de le refuser.',
      ],
      action: { label: 'Qualifier le besoin', path: `/admin/besoins/${n.id}` },
      reason: 'Vous recevez ce message parce que vous qualifiez les besoins d’achat de ce territoire sur Passerelles.',
    }),

  validated: (c: Config, n: Need, path: string | null): MailMessage =>
    renderMail(c, {
      to: n.contactEmail,
      subject: `Votre besoin d’achat ${n.reference} est validé`,
      greeting: hello(n.contactName),
      paragraphs: [
        `Votre besoin ${what(n)} a été validé.`,
        'Il va être envoyé par lots aux structures inclusives qui correspondent. Celles qui sont intéressées verront vos coordonnées et pourront vous contacter.',
      ],
      ...(path ? { action: { label: 'Suivre les réponses', path } } : {}),
      reason: BUYER_REASON,
    }),

  changesRequested: (c: Config, n: Need, message: string, path: string, days: number): MailMessage =>
    renderMail(c, {
      to: n.contactEmail,
      subject: `Des précisions sont demandées sur votre besoin ${n.reference}`,
      greeting: hello(n.contactName),
      paragraphs: [`Le facilitateur qui examine votre besoin ${what(n)} vous demande de le modifier :`, `« ${message} »`],
      action: { label: 'Modifier mon besoin', path },
      after: [`Sans modification de votre part dans les ${days} jours, le besoin sera clôturé.`],
      reason: BUYER_REASON,
    }),

  rejected: (c: Config, n: Need, reason: string): MailMessage =>
    renderMail(c, {
      to: n.contactEmail,
      subject: `Votre besoin d’achat ${n.reference} n’a pas été retenu`,
      greeting: hello(n.contactName),
      paragraphs: [`Votre besoin ${what(n)} n’a pas été retenu, pour le motif suivant :`, `« ${reason} »`],
      after: ['Vous pouvez déposer un nouveau besoin en tenant compte de ce motif.'],
      reason: BUYER_REASON,
    }),

  closedWithoutChanges: (c: Config, n: Need, days: number): MailMessage =>
    renderMail(c, {
      to: n.contactEmail,
      subject: `Votre besoin d’achat ${n.reference} est clôturé`,
      greeting: hello(n.contactName),
      paragraphs: [
        `Des modifications vous avaient été demandées sur le besoin ${what(n)} ; sans réponse après ${days} jours, il est clôturé et ne sera pas envoyé.`,
        'Vous pouvez déposer un nouveau besoin à tout moment.',
      ],
      action: { label: 'Déposer un besoin', path: '/besoins/deposer' },
      reason: BUYER_REASON,
    }),
};
