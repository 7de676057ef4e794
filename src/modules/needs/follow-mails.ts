// Mails of the buyer's follow-up: the reminder to structures that have not answered, the outcome question
// to the buyer. The structure's signed link and addresses are those of the sending (sending.ts).
import type { Config } from '../../core/config.ts';
import { type MailMessage, renderMail } from '../../core/mail.ts';
import { formatDate } from '../../web/format.ts';
import { NEED_KIND_LABEL } from './model.ts';
import type { Need } from './repository.ts';

/** The buyer's outcome link (purpose 'need-outcome', subject the need), valid 90 days. */
export const OUTCOME_LINK_DAYS = 90;
export function outcomePath(token: string, needId: string): string {
  return `/besoins/${needId}/resultat?jeton=${token}`;
}

export function reminderMail(config: Config, need: Need, o: { name: string; link: string; reminder: number }, to: string): MailMessage {
  const deadline = formatDate(need.answerDeadline);
  return renderMail(config, {
    to,
    subject: `Relance : ${NEED_KIND_LABEL[need.kind].toLowerCase()} « ${need.title} » (${need.reference})`,
    paragraphs: [
      `${need.buyerName || 'Un acheteur'} vous a adressé un besoin d’achat qui correspond aux activités de ${o.name} : « ${need.title} ».`,
      deadline ? `Vous avez jusqu’au ${deadline} pour lui dire si vous êtes intéressés.` : 'Dites-lui si vous êtes intéressés : il attend les réponses des structures contactées.',
      'Un clic suffit, sans créer de compte : intéressé (vous voyez alors le contact de l’acheteur), pas intéressé (avec un motif, pour l’aider), ou à la recherche de partenaires pour répondre en groupement.',
    ],
    action: { label: 'Voir le besoin et répondre', path: o.link },
    after: [o.reminder >= 2 ? 'C’est la dernière relance pour ce besoin.' : 'Ce lien est personnel à votre structure : ne le transférez pas.'],
    reason: `Vous recevez ce message parce que ${o.name} figure dans l’annuaire Passerelles et que ses activités correspondent à ce besoin.`,
  });
}

export function outcomeMail(config: Config, need: Need, path: string, to: string): MailMessage {
  return renderMail(config, {
    to,
    subject: `Votre besoin « ${need.title} » (${need.reference}) a-t-il abouti ?`,
    paragraphs: [
      `La date limite de réponse de votre besoin d’achat « ${need.title} » est passée.`,
      'Trois questions, une minute : le marché a-t-il été attribué ? À quelle structure ou à quel groupement ? Pour quel montant ? Vos réponses mesurent ce que les achats inclusifs apportent au territoire (chiffres publiés sans aucune donnée personnelle).',
    ],
    action: { label: 'Indiquer le résultat', path },
    after: [`Ce lien est valable ${OUTCOME_LINK_DAYS} jours, sans connexion ; vous pourrez modifier votre réponse plus tard.`],
    reason: 'Vous recevez ce message parce que vous avez déposé ce besoin d’achat sur Passerelles.',
  });
}
