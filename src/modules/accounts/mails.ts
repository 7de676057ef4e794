// Messages of the accounts module, in French: each returns the message to queue.
import type { Config } from '../../core/config.ts';
import { type MailMessage, renderMail } from '../../core/mail.ts';

const hello = (name: string) => (name ? `Bonjour ${name},` : 'Bonjour,');

export const mails = {
  confirm: (c: Config, to: string, name: string, token: string): MailMessage =>
    renderMail(c, {
      to,
      subject: 'Confirmez votre adresse électronique',
      greeting: hello(name),
      paragraphs: ['Vous venez de créer un compte sur Passerelles. Confirmez votre adresse électronique pour l’activer.', 'Ce lien est valable 48 heures et ne sert qu’une fois.'],
      action: { label: 'Confirmer mon adresse', path: `/compte/confirmer?jeton=${token}` },
      after: ['Si vous n’êtes pas à l’origine de cette inscription, ignorez ce message : aucun compte ne sera activé.'],
    }),
  alreadyRegistered: (c: Config, to: string, name: string): MailMessage =>
    renderMail(c, {
      to,
      subject: 'Vous avez déjà un compte',
      greeting: hello(name),
      paragraphs: ['Une inscription vient d’être demandée avec votre adresse, mais vous avez déjà un compte sur Passerelles.', 'Connectez-vous, ou demandez un nouveau mot de passe si vous l’avez oublié.'],
      action: { label: 'Me connecter', path: '/connexion' },
      after: ['Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.'],
    }),
  signInLink: (c: Config, to: string, name: string, token: string): MailMessage =>
    renderMail(c, {
      to,
      subject: 'Votre lien de connexion',
      greeting: hello(name),
      paragraphs: ['Voici le lien pour vous connecter à Passerelles sans mot de passe.', 'Il est valable 20 minutes et ne sert qu’une fois.'],
      action: { label: 'Me connecter', path: `/connexion/lien?jeton=${token}` },
      after: ['Si vous n’avez pas demandé ce lien, ignorez ce message : personne ne pourra s’en servir sans accès à votre messagerie.'],
    }),
  reset: (c: Config, to: string, name: string, token: string): MailMessage =>
    renderMail(c, {
      to,
      subject: 'Réinitialisez votre mot de passe',
      greeting: hello(name),
      paragraphs: ['Vous avez demandé à changer votre mot de passe Passerelles.', 'Ce lien est valable 1 heure et ne sert qu’une fois.'],
      action: { label: 'Choisir un nouveau mot de passe', path: `/mot-de-passe/nouveau?jeton=${token}` },
      after: ['Si vous n’avez rien demandé, ignorez ce message : votre mot de passe reste le même.'],
    }),
  passwordChanged: (c: Config, to: string, name: string): MailMessage =>
    renderMail(c, {
      to,
      subject: 'Votre mot de passe a été changé',
      greeting: hello(name),
      paragraphs: ['Le mot de passe de votre compte Passerelles vient d’être changé. Toutes vos sessions ouvertes ont été fermées.'],
      after: ['Si vous n’êtes pas à l’origine de ce changement, demandez tout de suite un nouveau mot de passe et prévenez l’équipe de la plateforme.'],
      action: { label: 'Demander un nouveau mot de passe', path: '/mot-de-passe/oublie' },
    }),
  invitation: (c: Config, to: string, inviter: string, organisation: string, role: string, token: string): MailMessage =>
    renderMail(c, {
      to,
      subject: `Invitation à rejoindre ${organisation} sur Passerelles`,
      greeting: 'Bonjour,',
      paragraphs: [`${inviter || 'Un administrateur'} vous invite à rejoindre « ${organisation} » sur Passerelles, en tant que ${role.toLowerCase()}.`, 'Cette invitation est valable 7 jours.'],
      action: { label: 'Voir l’invitation', path: `/invitation?jeton=${token}` },
      after: ['Si vous ne connaissez pas cette organisation, ignorez ce message.'],
    }),
  organisationToVerify: (c: Config, to: string, organisation: string, type: string): MailMessage =>
    renderMail(c, {
      to,
      subject: `Organisation à vérifier : ${organisation}`,
      greeting: 'Bonjour,',
      paragraphs: [`L’organisation « ${organisation} » (${type}) vient d’être créée. Ses membres n’agiront pour les autres (validation des rattachements, corrections) qu’une fois vérifiée.`],
      action: { label: 'Ouvrir l’espace d’administration', path: '/admin/organisations?statut=a-verifier' },
    }),
  organisationVerified: (c: Config, to: string, organisation: string): MailMessage =>
    renderMail(c, {
      to,
      subject: `Votre organisation est vérifiée : ${organisation}`,
      greeting: 'Bonjour,',
      paragraphs: [`L’organisation « ${organisation} » a été vérifiée par l’équipe de la plateforme.`],
      action: { label: 'Ouvrir mon espace', path: '/espace' },
    }),
};
