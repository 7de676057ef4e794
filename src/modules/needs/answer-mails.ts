// Mails of the answer side: a need sent to a structure, an invitation to join a groupement.
// Never the buyer's contact: structures see it once they say they are interested.
import type { Config } from '../../core/config.ts';
import { type MailMessage, renderMail } from '../../core/mail.ts';
import { loadTerritories } from '../territories/data.ts';
import { NEED_KIND_LABEL } from './model.ts';
import type { Need } from './repository.ts';

const frenchDate = (day: string) => new Date(`${day}T12:00:00Z`).toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** Where the need is, in words. */
export function placeLabel(n: Pick<Need, 'placeKind' | 'placeCommune' | 'placeKeys'>): string {
  const t = loadTerritories();
  if (n.placeKind === 'commune' && n.placeCommune) {
    const c = t.commune(n.placeCommune);
    return c ? t.label(c) : n.placeCommune;
  }
  if (n.placeKind === 'territories' && n.placeKeys.length) {
    return n.placeKeys.map((k) => { const x = t.byKey.get(k); return x ? t.label(x) : k; }).join(', ');
  }
  return 'France entière';
}

export const deadlineLabel = (n: Pick<Need, 'answerDeadline'>) => (n.answerDeadline ? frenchDate(n.answerDeadline) : null);

export function needSentMail(config: Config, o: { to: string; need: Need; structureName: string; reasons: string[]; path: string }): MailMessage {
  const n = o.need;
  const deadline = deadlineLabel(n);
  return renderMail(config, {
    to: o.to,
    subject: `${NEED_KIND_LABEL[n.kind]} : ${n.title} (${n.reference})`,
    paragraphs: [
      `Un acheteur recherche une structure inclusive pour le besoin suivant, et ${o.structureName} correspond à sa demande.`,
      `${NEED_KIND_LABEL[n.kind]} : ${n.title}\nLieu d’exécution : ${placeLabel(n)}${deadline ? `\nDate limite de réponse : ${deadline}` : ''}`,
      ...(o.reasons.length ? [`Pourquoi vous :\n${o.reasons.map((r) => `– ${r}`).join('\n')}`] : []),
      'Le lien ci-dessous vous est personnel : il ouvre le besoin sans compte. Dites si vous êtes intéressée (vous verrez alors les coordonnées de l’acheteur), si vous ne l’êtes pas, ou si vous cherchez des partenaires pour répondre à plusieurs.',
    ],
    action: { label: 'Voir le besoin et répondre', path: o.path },
    after: ['Ne transférez pas ce lien en dehors de votre structure : il permet de répondre en son nom.'],
    reason: `Vous recevez ce message parce que ${o.structureName} est inscrite dans l’annuaire Passerelles et que son activité correspond à ce besoin d’achat.`,
  });
}

export function consortiumInviteMail(config: Config, o: { to: string; need: Need; leadName: string; structureName: string; path: string }): MailMessage {
  const n = o.need;
  const deadline = deadlineLabel(n);
  return renderMail(config, {
    to: o.to,
    subject: `Invitation à un groupement : ${n.title} (${n.reference})`,
    paragraphs: [
      `${o.leadName} constitue un groupement pour répondre au besoin d’achat « ${n.title} » et invite ${o.structureName} à le rejoindre comme co-traitante.`,
      `Lieu d’exécution : ${placeLabel(n)}${deadline ? `\nDate limite de réponse : ${deadline}` : ''}`,
      'Le lien ci-dessous vous est personnel : il permet d’accepter ou de refuser l’invitation sans compte.',
    ],
    action: { label: 'Voir l’invitation', path: o.path },
    reason: `Vous recevez ce message parce qu’une structure de l’annuaire Passerelles a invité ${o.structureName} dans un groupement.`,
  });
}

/** To the buyer: a structure is interested in the need (once per structure). */
export function interestedMail(config: Config, o: { to: string; need: Need; structureName: string }): MailMessage {
  return renderMail(config, {
    to: o.to,
    subject: `Une structure est intéressée par votre besoin ${o.need.reference}`,
    greeting: 'Bonjour,',
    paragraphs: [`« ${o.structureName} » est intéressée par votre besoin « ${o.need.title} » et a reçu vos coordonnées.`, 'Retrouvez toutes les réponses, avec les raisons pour lesquelles chaque structure a été choisie.'],
    action: { label: 'Voir les réponses', path: `/besoins/${o.need.id}/reponses` },
    reason: 'Vous recevez ce message parce que vous avez déposé ce besoin sur Passerelles.',
  });
}
