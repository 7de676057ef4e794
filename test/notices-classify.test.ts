// Classifier of procurement notices (src/modules/notices/classify.ts + text-rules.ts): reserved markets,
// social clause and criterion, environmental clause/criterion, insertion hours, with evidence.
import { describe, expect, it } from 'vitest';
import { classifyNotice, normalizeText, splitSentences, textFindings } from '../src/modules/notices/classify.ts';
import { emptyPlaces, type Finding, type Notice, type NoticeLot, type NoticeText, type ReservedFamily } from '../src/modules/notices/model.ts';

// ---------------------------------------------------------------------------------------------------
// Builders

const DESC = 'OBJET.OBJET_COMPLET';
const EXEC = 'CONDITION_PARTICIPATION.CONDITION_PARTICULIERE_EXECUTION';
const CRIT = 'PROCEDURE.CRITERES_ATTRIBUTION.CRITERES_PONDERES.CRITERE';
const EFORMS_CRIT = 'cac:ProcurementProjectLot.cac:TenderingTerms.cac:AwardingTerms.cac:AwardingCriterion.cac:SubordinateAwardingCriterion.cbc:Description';

function lot(number: string): NoticeLot {
  return { number, title: null, description: null, cpv: [], amount: null, places: emptyPlaces() };
}

/** A notice from texts (a string is a notice-level description), field findings and lot numbers. */
function notice(opts: { texts?: (NoticeText | string)[]; fields?: Finding[]; lots?: string[] } = {}): Notice {
  return {
    source: 'boamp',
    sourceId: '24-123456',
    url: null,
    buyer: { name: 'Commune de Lille', siret: null },
    title: 'Avis de marché',
    description: null,
    procedure: null,
    nature: 'contract',
    cpv: [],
    places: emptyPlaces(),
    publishedAt: null,
    deadline: null,
    amount: null,
    lots: (opts.lots ?? []).map(lot),
    awards: [],
    fieldFindings: opts.fields ?? [],
    texts: (opts.texts ?? []).map((t) => (typeof t === 'string' ? { path: DESC, lot: null, text: t } : t)),
    raw: null,
  };
}

function field(kind: Finding['kind'], value: string, lotNumber: string | null = null, path = 'donnees.X'): Finding {
  return { kind, value, lot: lotNumber, origin: 'field', path, excerpt: value };
}

interface Flags {
  reserved: ReservedFamily[];
  socialClause: boolean;
  socialCriterion: boolean;
  environmental: boolean;
  insertionHours: number | null;
}

const NONE: Flags = { reserved: [], socialClause: false, socialCriterion: false, environmental: false, insertionHours: null };

function flagsOf(n: Notice): Flags {
  const c = classifyNotice(n);
  return { reserved: c.reserved, socialClause: c.socialClause, socialCriterion: c.socialCriterion, environmental: c.environmental, insertionHours: c.insertionHours };
}

// ---------------------------------------------------------------------------------------------------
// The table: one free text (notice level unless a path is given) → the notice's flags.

interface TextCase {
  name: string;
  text: string;
  path?: string;
  expect: Partial<Flags>;
}

const reserved = (...families: ReservedFamily[]) => ({ reserved: families });

const TEXT_CASES: TextCase[] = [
  // --- reserved, positive: phrases
  {
    name: 'EA and ESAT with the article',
    text: "Le présent marché est réservé à des entreprises adaptées et à des établissements et services d'aide par le travail, en application de l'article L. 2113-12 du code de la commande publique.",
    expect: reserved('handicap'),
  },
  { name: 'ESAT / EA acronyms', text: 'Marché réservé aux ESAT et EA (article L2113-12 du CCP).', expect: reserved('handicap') },
  { name: 'lot reserved EA / ESAT, telegraphic', text: 'Lot réservé EA / ESAT', expect: reserved('handicap') },
  {
    name: 'SIAE by the code du travail',
    text: "Consultation réservée aux structures d'insertion par l'activité économique mentionnées à l'article L. 5132-4 du code du travail.",
    expect: reserved('insertion'),
  },
  {
    name: 'SIAE kinds listed',
    text: "Accord-cadre réservé aux entreprises d'insertion, ateliers et chantiers d'insertion et entreprises de travail temporaire d'insertion.",
    expect: reserved('insertion'),
  },
  { name: 'only open to SIAE', text: 'Ce marché est exclusivement ouvert aux SIAE.', expect: reserved('insertion') },
  {
    name: 'operators employing disabled workers',
    text: 'Ce marché est réservé à des opérateurs économiques qui emploient au moins 50 % de travailleurs handicapés.',
    expect: reserved('handicap'),
  },
  {
    name: 'operators employing disadvantaged persons',
    text: 'Le marché est réservé à des opérateurs économiques dont au moins 50 % des salariés sont des personnes défavorisées.',
    expect: reserved('insertion'),
  },
  { name: 'sheltered workshops', text: 'Les lots 2 et 4 sont réservés à des ateliers protégés.', expect: reserved('handicap') },
  {
    name: 'sheltered employment programmes (execution)',
    text: "L'exécution du marché est réservée dans le cadre de programmes d'emplois protégés.",
    expect: reserved('handicap'),
  },
  {
    name: 'prison work',
    text: 'Marché réservé à des opérateurs économiques qui exécutent les prestations en établissement pénitentiaire et font travailler des personnes détenues (art. L. 2113-13-1 du CCP).',
    expect: reserved('prison'),
  },
  { name: 'ESS', text: "Le marché est réservé aux entreprises de l'ESS.", expect: reserved('ess') },
  {
    name: 'ESS with L2113-15',
    text: "Réservation du lot n° 3 au profit des structures de l'économie sociale et solidaire (article L. 2113-15 du CCP).",
    expect: reserved('ess'),
  },
  {
    name: 'eForms res-pub-ser label',
    text: 'La participation est réservée à des organisations qui poursuivent une mission de service public et respectent d’autres conditions pertinentes énoncées dans la législation.',
    expect: reserved('ess'),
  },
  {
    name: 'eForms res-ws label: family not stated',
    text: 'La participation est réservée à des ateliers protégés et à des opérateurs économiques dont l’objet principal est l’intégration sociale et professionnelle de personnes handicapées ou défavorisées.',
    expect: reserved('unspecified'),
  },
  { name: 'label answered oui', text: 'Marché réservé : oui', expect: reserved('unspecified') },
  { name: 'upper-case label', text: 'MARCHE RESERVE', expect: reserved('unspecified') },
  {
    name: 'range of articles: family not stated',
    text: 'Marchés réservés (articles L2113-12 à L2113-16 du code de la commande publique) : oui',
    expect: reserved('unspecified'),
  },
  {
    name: 'SIAE and EA in one reservation → both, in order',
    text: "Marché réservé aux structures d'insertion et aux entreprises adaptées (article L2113-14).",
    expect: reserved('handicap', 'insertion'),
  },
  {
    name: 'L2113-14 alone gives both',
    text: "Le marché est réservé, en application de l'article L2113-14 du code de la commande publique, aux opérateurs économiques mentionnés aux articles L2113-12 et L2113-13.",
    expect: reserved('handicap', 'insertion'),
  },
  {
    name: 'article list "L. 2113-12 et 13"',
    text: 'Conformément aux dispositions des articles L. 2113-12 et 13 du CCP, le marché est réservé.',
    expect: reserved('handicap', 'insertion'),
  },
  { name: 'ordonnance 2015 art. 36-I', text: "Marché réservé en application de l'article 36-I de l'ordonnance n° 2015-899 du 23 juillet 2015.", expect: reserved('handicap') },
  {
    name: 'ordonnance 2015 art. 36 II',
    text: "Marché réservé aux SIAE en application de l'article 36 II de l'ordonnance du 23 juillet 2015 relative aux marchés publics.",
    expect: reserved('insertion'),
  },
  {
    name: 'décret 2016-360 art. 13 (share of workers of an art. 36 reservation): reserved, family not stated',
    text: "Les candidats emploient au moins 50 % de travailleurs défavorisés, en application de l'article 13 du décret n° 2016-360 du 25 mars 2016.",
    expect: reserved('unspecified'),
  },
  { name: 'article 13 of another decree is not a reservation', text: "Conformément à l'article 13 du décret n° 2016-361 du 25 mars 2016, les pièces sont transmises par voie électronique.", expect: {} },
  { name: 'old CMP art. 15', text: "Marché passé en application de l'article 15 du code des marchés publics.", expect: reserved('handicap') },
  { name: 'family after a label', text: 'Lot réservé : oui — entreprises adaptées', expect: reserved('handicap') },
  { name: "n'est réservé qu'aux", text: "Le marché n'est réservé qu'aux entreprises adaptées.", expect: reserved('handicap') },
  { name: 'secteur protégé et adapté', text: 'Ce marché est réservé aux structures relevant du secteur du travail protégé et adapté.', expect: reserved('handicap') },
  {
    name: 'workers "handicapés ou défavorisés": family not stated',
    text: 'Le marché est réservé à des opérateurs économiques qui emploient des travailleurs handicapés ou défavorisés.',
    expect: reserved('unspecified'),
  },
  {
    name: 'prison work by its article',
    text: "Marché réservé au titre de l'article L2113-13-1 du code de la commande publique (travail pénitentiaire).",
    expect: reserved('prison'),
  },
  {
    name: 'title with the reservation',
    text: 'Nettoyage des locaux administratifs (marché réservé aux SIAE - art. L2113-13 CCP)',
    expect: reserved('insertion'),
  },

  // --- reserved: negative and negated
  { name: 'label answered non', text: 'Marché réservé : non', expect: {} },
  { name: 'label answered NON', text: 'Marché réservé : NON', expect: {} },
  { name: 'label with the article answered Non', text: 'Marché réservé (article L2113-12 du code de la commande publique) : Non', expect: {} },
  { name: "n'est pas réservé", text: "Le présent marché n'est pas réservé.", expect: {} },
  { name: 'non réservé', text: 'Marché non réservé.', expect: {} },
  { name: 'question answered Non', text: 'Le marché est-il réservé ? Non.', expect: {} },
  {
    name: "ne fait pas l'objet d'une réservation",
    text: "Ce marché ne fait pas l'objet d'une réservation au profit des entreprises adaptées ou des SIAE.",
    expect: {},
  },
  { name: 'Néant', text: 'Marchés réservés : Néant.', expect: {} },
  { name: 'label answered on the next line', text: 'Marché réservé :\nNon', expect: {} },
  { name: 'question answered on the next line', text: 'Le marché est-il réservé ?\nNon', expect: {} },
  { name: "il ne s'agit pas d'un marché réservé", text: "Il ne s'agit pas d'un marché réservé.", expect: {} },
  {
    name: 'negated, with the article cited',
    text: "Le marché n'est pas réservé au sens de l'article L. 2113-12 du code de la commande publique.",
    expect: {},
  },
  {
    name: 'SIAE invited to make themselves known: not a reservation',
    text: "Les structures de l'insertion par l'activité économique sont invitées à se faire connaître.",
    expect: {},
  },
  { name: 'eForms none label', text: 'La participation n’est pas réservée.', expect: {} },
  { name: 'BOAMP tag name MARCHE_RESERVE_NON', text: 'MARCHE_RESERVE_NON', expect: {} },
  { name: 'EA may bid: not a reservation', text: 'Les entreprises adaptées et les ESAT peuvent candidater, seuls ou en groupement.', expect: {} },
  { name: 'subcontracting to an EA: not a reservation', text: 'Le titulaire pourra confier une partie des prestations à une entreprise adaptée.', expect: {} },
  { name: 'profession reserved: non', text: 'Prestation réservée à une profession particulière : non', expect: {} },
  { name: 'profession reserved: architect', text: "Prestation réservée à une profession : oui (architecte inscrit à l'ordre).", expect: {} },
  { name: 'se réserve le droit', text: 'Le pouvoir adjudicateur se réserve le droit de ne pas donner suite à la consultation.', expect: {} },
  { name: 'subsequent contracts reserved to holders', text: "Les marchés subséquents seront réservés aux titulaires de l'accord-cadre.", expect: {} },
  {
    name: 'obligation to employ disabled workers (L5212-1)',
    text: "Les candidats produisent une déclaration relative à l'obligation d'emploi des travailleurs handicapés (articles L. 5212-1 à L. 5212-11 du code du travail).",
    expect: {},
  },
  { name: 'transport reserved to disabled persons', text: 'Service de transport à la demande réservé aux personnes handicapées et à mobilité réduite.', expect: {} },
  { name: 'allotment article L2113-10', text: "Le marché est alloti conformément à l'article L. 2113-10 du code de la commande publique.", expect: {} },
  { name: 'sous réserve', text: "Sous réserve des dispositions de l'article 5, les ESAT peuvent répondre.", expect: {} },
  {
    name: 'articles cited for subcontracting the clause: clause, not reservation',
    text: "La clause d'insertion pourra être mise en œuvre par sous-traitance à une structure mentionnée aux articles L. 2113-12 ou L. 2113-13 du CCP.",
    expect: { socialClause: true },
  },

  // --- social clause, positive
  {
    name: 'clause sociale d’insertion et de promotion de l’emploi',
    text: "Le marché comporte une clause sociale d'insertion et de promotion de l'emploi (article L. 2112-2 du code de la commande publique).",
    path: EXEC,
    expect: { socialClause: true },
  },
  {
    name: 'standard CCAP formula',
    text: "Conformément à l'article L2112-2 du CCP, le titulaire s'engage à réaliser une action d'insertion qui permette l'accès ou le retour à l'emploi de personnes rencontrant des difficultés sociales ou professionnelles particulières.",
    path: EXEC,
    expect: { socialClause: true },
  },
  {
    name: 'share of hours for remote publics',
    text: "Clause d'insertion : le titulaire devra réserver 5 % des heures travaillées à des publics éloignés de l'emploi.",
    path: EXEC,
    expect: { socialClause: true },
  },
  { name: 'facilitator', text: "Un facilitateur de la clause sociale (Maison de l'emploi) accompagnera le titulaire.", expect: { socialClause: true } },
  {
    name: 'execution condition about insertion',
    text: "Les conditions d'exécution comprennent une action en faveur de l'insertion professionnelle des personnes éloignées de l'emploi.",
    expect: { socialClause: true },
  },
  {
    name: 'hiring remote publics',
    text: "Le titulaire favorisera l'embauche de publics éloignés de l'emploi pour l'exécution des prestations.",
    expect: { socialClause: true },
  },
  { name: 'DECP-like wording', text: 'Considérations sociales : Clause sociale', expect: { socialClause: true } },
  { name: 'labels on separate lines', text: 'Clause sociale :\nOui\nMarché réservé :\nNon', expect: { socialClause: true } },
  {
    name: 'share of hours reserved to insertion',
    text: "Volume prévisionnel : 2 000 heures de travail dont 10 % réservées à l'insertion.",
    expect: { socialClause: true },
  },
  {
    name: 'title "Clause d’insertion"',
    text: 'Travaux de second œuvre - Clause d’insertion',
    expect: { socialClause: true },
  },
  {
    name: 'social and environmental clauses',
    text: "CLAUSES SOCIALES ET ENVIRONNEMENTALES : le marché comporte une clause d'insertion.",
    expect: { socialClause: true, environmental: true },
  },

  // --- social clause: negative and negated
  { name: 'aucune clause sociale', text: "Aucune clause sociale n'est prévue.", expect: {} },
  { name: "pas de clause d'insertion", text: "Pas de clause d'insertion.", expect: {} },
  { name: 'sans clause sociale', text: 'Marché sans clause sociale.', expect: {} },
  { name: 'clause sociale : Néant', text: 'Clause sociale : Néant', expect: {} },
  { name: 'clause sociale : non', text: 'Clause sociale : non', expect: {} },
  { name: 'negated, with L2112-2 cited', text: "Le marché ne comporte pas de clause sociale au sens de l'article L2112-2 du CCP.", expect: {} },
  { name: 'aucune … n’est prévue, with the article', text: "Aucune clause d'insertion (article L. 2112-2) n'est prévue.", path: EXEC, expect: {} },
  { name: 'ni … ni …', text: 'Le marché ne comporte ni clause sociale ni clause environnementale.', expect: {} },
  { name: 'ne s’applique pas', text: "La clause d'insertion ne s'applique pas au présent marché.", expect: {} },
  {
    name: 'insertion service purchase is not a clause',
    text: "Accompagnement socio-professionnel des bénéficiaires du RSA vers l'insertion professionnelle.",
    expect: {},
  },
  { name: 'raison sociale, siège social', text: 'Le candidat indique sa raison sociale, son siège social et son numéro de sécurité sociale.', expect: {} },
  { name: 'insertion paysagère', text: "Étude d'insertion paysagère et urbaine du projet de pôle d'échanges.", expect: {} },
  { name: 'logements sociaux', text: 'Construction de 12 logements sociaux, rue de la République.', expect: {} },
  { name: "insertion d'annonces", text: "Insertion d'annonces légales dans la presse quotidienne régionale.", expect: {} },
  {
    name: 'non-respect is not a negation',
    text: "En cas de non-respect de la clause d'insertion, le titulaire encourt une pénalité.",
    path: EXEC,
    expect: { socialClause: true },
  },

  // --- insertion hours
  {
    name: 'hours "1 500 heures de travail réservées à l’insertion"',
    text: "Le titulaire réalisera 1 500 heures de travail réservées à l'insertion.",
    expect: { socialClause: true, insertionHours: 1500 },
  },
  { name: 'label "nombre d’heures d’insertion : 700"', text: "Nombre d'heures d'insertion : 700", expect: { socialClause: true, insertionHours: 700 } },
  { name: '"350 h"', text: "Volume horaire d'insertion de 350 h.", expect: { socialClause: true, insertionHours: 350 } },
  { name: '"1.500"', text: "1.500 heures d'insertion sont exigées sur la durée du marché.", expect: { socialClause: true, insertionHours: 1500 } },
  { name: '"1 500" with NBSP', text: "L'objectif est de 1\u00a0500 heures d'insertion.", expect: { socialClause: true, insertionHours: 1500 } },
  {
    name: '"2 100" with narrow NBSP',
    text: "Le nombre d'heures d'insertion est estimé à 2\u202f100 heures.",
    expect: { socialClause: true, insertionHours: 2100 },
  },
  { name: 'hours after the clause', text: "Clause d'insertion : 420 heures au minimum.", expect: { socialClause: true, insertionHours: 420 } },
  { name: 'decimal hours', text: "Un volume de 17,5 heures d'insertion par lot.", expect: { socialClause: true, insertionHours: 17.5 } },
  {
    name: 'hours of a delay are not insertion hours',
    text: "Délai d'intervention : 4 heures. Clause d'insertion de 200 heures.",
    expect: { socialClause: true, insertionHours: 200 },
  },
  {
    name: 'labour hours and a percentage are not insertion hours',
    text: "Les heures d'insertion représentent 5 % des heures travaillées, soit environ 7 000 heures de main-d'œuvre.",
    expect: { socialClause: true },
  },
  {
    name: 'times of day are not hours',
    text: "Accueil du public de 8h00 à 12h00 ; clause d'insertion sans volume horaire défini.",
    expect: { socialClause: true },
  },
  {
    name: 'weekly hours are not the volume',
    text: "Clause d'insertion : les personnes en insertion travailleront 35 heures par semaine.",
    expect: { socialClause: true },
  },
  { name: 'aucune heure', text: "Aucune heure d'insertion n'est exigée.", expect: {} },
  {
    name: 'hours after a percentage',
    text: "La clause d'insertion représente 5 % des heures, soit un volume minimum de 1 200 heures sur les 4 ans.",
    expect: { socialClause: true, insertionHours: 1200 },
  },
  { name: 'generic hours label', text: "Nombre d'heures : 350 (clause d'insertion)", expect: { socialClause: true, insertionHours: 350 } },
  { name: '24 heures sur 24', text: "La clause d'insertion et une astreinte 24 heures sur 24 sont exigées.", expect: { socialClause: true } },
  {
    name: 'a share, not a number of hours',
    text: "Le titulaire s'engage à réaliser un nombre d'heures d'insertion au moins égal à 5 % du nombre total d'heures travaillées.",
    expect: { socialClause: true },
  },
  {
    name: 'training hours are not insertion hours',
    text: "La clause d'insertion peut être réalisée via une action de formation de 35 heures minimum.",
    expect: { socialClause: true },
  },

  // --- criteria
  {
    name: 'criterion text: insertion performance',
    text: "Performance en matière d'insertion professionnelle des publics en difficulté : 10 %",
    path: CRIT,
    expect: { socialCriterion: true },
  },
  { name: 'criterion text: price', text: 'Prix des prestations', path: CRIT, expect: {} },
  { name: 'criterion text: environmental value', text: "Valeur environnementale de l'offre (20 points)", path: CRIT, expect: { environmental: true } },
  { name: 'criterion text: insertion paysagère', text: 'Insertion paysagère et qualité architecturale du projet', path: CRIT, expect: {} },
  { name: 'eForms criterion text: social', text: 'Qualité de la démarche sociale et solidaire du soumissionnaire', path: EFORMS_CRIT, expect: { socialCriterion: true } },
  {
    name: 'criteria listed in a description',
    text: "Critères d'attribution : prix (60 %), valeur technique (30 %), performance en matière d'insertion professionnelle (10 %).",
    expect: { socialCriterion: true },
  },
  {
    name: 'R2152-7 with social wording',
    text: "Conformément à l'article R2152-7 du CCP, un critère relatif à l'insertion professionnelle des publics en difficulté est prévu.",
    expect: { socialCriterion: true },
  },
  { name: 'critère social : néant', text: 'Critère social : néant', expect: {} },
  {
    name: 'the clause named inside a criterion is the criterion',
    text: "Critère social (15 %) : modalités de mise en œuvre de la clause d'insertion.",
    expect: { socialCriterion: true },
  },
  {
    name: 'numbered criteria after an introduction',
    text: "Critères :\n1. Prix (50 %)\n2. Valeur technique (40 %)\n3. Performance en matière d'insertion professionnelle des publics en difficulté (10 %)",
    expect: { socialCriterion: true },
  },
  { name: 'criterion text: quality with environmental part', text: 'Qualité environnementale du projet (en investissement et en entretien)', path: CRIT, expect: { environmental: true } },
  { name: 'selection criteria are not award criteria', text: "Capacités techniques et démarche d'insertion", path: 'CONDITION_PARTICIPATION.CRITERES_SELECTION', expect: {} },

  // --- environmental
  {
    name: 'dispositions à caractère environnementale (real sample)',
    text: "Les marchés comportent des dispositions à caractère environnementale décrites à l'article 1.5.2 du CCAP.",
    path: EXEC,
    expect: { environmental: true },
  },
  { name: 'clause environnementale', text: 'Clause environnementale : le titulaire privilégiera des produits éco-labellisés.', expect: { environmental: true } },
  { name: 'critère environnemental', text: 'Critère environnemental : 15 %', expect: { environmental: true } },
  { name: 'réemploi', text: "Le titulaire utilisera des matériaux de réemploi lorsque c'est possible.", path: EXEC, expect: { environmental: true } },
  { name: 'R2152-7 environment wording', text: "Performances en matière de protection de l'environnement (20 %)", expect: { environmental: true } },
  { name: 'clause environnementale : non', text: 'Clause environnementale : non', expect: {} },
  {
    name: 'a department name is not a clause',
    text: "Le dossier est disponible auprès de la Direction de l'environnement et du développement durable.",
    expect: {},
  },
  { name: "code de l'environnement", text: "Installation classée soumise à autorisation au titre du code de l'environnement.", expect: {} },
  { name: 'démarche HQE', text: "Construction d'un groupe scolaire selon une démarche HQE (haute qualité environnementale).", expect: { environmental: true } },
  { name: 'wood from managed forests', text: 'Mobilier en bois issu de forêts gérées durablement (PEFC ou FSC).', expect: { environmental: true } },
  { name: 'low-emission vehicles', text: "Les véhicules proposés seront à faibles émissions au sens de l'article L. 224-7 du code de l'environnement.", expect: { environmental: true } },
  { name: 'renewable electricity', text: "L'électricité fournie sera d'origine 100 % renouvelable, attestée par des garanties d'origine.", expect: { environmental: true } },
  { name: 'chantier à faibles nuisances', text: "Clause d'insertion de 1 800 heures. Chantier à faibles nuisances.", path: EXEC, expect: { environmental: true, socialClause: true, insertionHours: 1800 } },
  { name: 'waste to be sorted (a modal)', text: 'Les déchets de chantier seront triés et valorisés.', path: EXEC, expect: { environmental: true } },
  { name: 'waste collection bought is not a clause', text: 'Collecte des déchets ménagers et assimilés en porte-à-porte.', expect: {} },
  { name: 'recycling required of the holder', text: 'Les emballages seront repris par le titulaire pour recyclage.', path: EXEC, expect: { environmental: true } },
  { name: 'recycling bought is not a clause', text: 'Collecte et recyclage des papiers de bureau des services municipaux.', expect: {} },
  {
    name: 'considérations relatives au domaine social / environnemental',
    text: "Les conditions d'exécution comportent des considérations relatives au domaine social et des considérations relatives au domaine environnemental.",
    path: EXEC,
    expect: { socialClause: true, environmental: true },
  },
  { name: 'nb heures insertion', text: 'nb heures insertion = 320', path: EXEC, expect: { socialClause: true, insertionHours: 320 } },
  {
    name: 'an insertion action "dans les conditions" is not an "insertion dans le paysage"',
    text: "Le titulaire mettra en œuvre une action d'insertion dans les conditions fixées à l'article 9 du CCAP (environ 280 heures).",
    path: EXEC,
    expect: { socialClause: true, insertionHours: 280 },
  },
  { name: 'insertion dans le site is masked', text: 'Insertion dans le site et qualité architecturale du projet.', expect: {} },
  {
    name: 'a share of the hours and their estimate: the share of it, not the estimate',
    text: "Le nombre d'heures d'insertion correspond à 7 % des heures de main d'œuvre, estimées à 3 000 heures.",
    path: EXEC,
    expect: { socialClause: true, insertionHours: 210 },
  },
  {
    name: 'the share of estimated hours, insertion wording after',
    text: "Clause d'insertion : 5 % des heures travaillées, estimées à 8 000 heures, seront réservées à des personnes en insertion.",
    path: EXEC,
    expect: { socialClause: true, insertionHours: 400 },
  },
  { name: 'the share of estimated hours without insertion is nothing', text: '10 % des heures de main-d’œuvre, estimées à 3 500 heures, sont réalisées de nuit.', path: EXEC, expect: {} },
  {
    name: 'a bare hours label on the bullet after the clause',
    text: "Conditions particulières d'exécution :\n- Clause sociale d'insertion (art. L2112-2 CCP)\n- Volume horaire : 2 000 heures\n- Accompagnement par le facilitateur",
    path: EXEC,
    expect: { socialClause: true, insertionHours: 2000 },
  },
  { name: 'a bare hours label alone is not insertion', text: 'Volume horaire : 2 000 heures de formation des agents.', expect: {} },
  {
    name: '« Volume : » right after the clause',
    text: "Conditions d'exécution : promotion de l'emploi des publics prioritaires (demandeurs d'emploi de longue durée). Volume : 1.200 h.",
    path: EXEC,
    expect: { socialClause: true, insertionHours: 1200 },
  },
  { name: '« Volume : » alone is not insertion', text: 'Volume : 1.200 h de maintenance préventive par an.', expect: {} },

  // --- negation scoped to its clause
  {
    name: 'not reserved, but a clause',
    text: "Le marché n'est pas réservé, mais il comporte une clause d'insertion.",
    expect: { socialClause: true },
  },
  { name: 'two labels in one sentence', text: 'Marché réservé : non ; clause sociale : oui', expect: { socialClause: true } },
  { name: 'two labels on one line', text: 'Marché réservé : Non Clause sociale : Oui', expect: { socialClause: true } },
  {
    name: 'no social clause but an environmental one',
    text: 'Le marché ne comporte pas de clause sociale mais une clause environnementale.',
    expect: { environmental: true },
  },
];

describe('classifier: the table of French wordings', () => {
  it.each(TEXT_CASES)('$name', ({ text, path, expect: expected }) => {
    const n = notice({ texts: [{ path: path ?? DESC, lot: null, text }] });
    expect(flagsOf(n)).toEqual({ ...NONE, ...expected });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('article spellings', () => {
  const spellings: [string, ReservedFamily[]][] = [
    ['L2113-12', ['handicap']],
    ['L. 2113-12', ['handicap']],
    ['L.2113-12', ['handicap']],
    ['article L 2113-12', ['handicap']],
    ['L2113\u201112', ['handicap']],
    ['L 2113 – 12', ['handicap']],
    ['l’article 2113-12 du code de la commande publique', ['handicap']],
    ['art. 2113-13', ['insertion']],
    ['L2113-13', ['insertion']],
    ['L.2113-13-1', ['prison']],
    ['L. 2113-14', ['handicap', 'insertion']],
    ['L2113-15', ['ess']],
    ['L. 2113-16', ['ess']],
  ];
  it.each(spellings)('%s → %j', (spelling, families) => {
    const text = spelling.startsWith('l’') || spelling.startsWith('art') ? `Application de ${spelling}.` : `Application de l'article ${spelling} du CCP.`;
    expect(flagsOf(notice({ texts: [text] })).reserved).toEqual(families);
  });

  it('a number without L and without "article" or the code is not a citation', () => {
    expect(flagsOf(notice({ texts: ['Référence interne 2113-12 du service achats.'] })).reserved).toEqual([]);
  });

  it('normalises accents, apostrophes, dashes and spaces', () => {
    expect(normalizeText('Réservé aux Entreprises\u00a0Adaptées – L’article L2113‑12').text).toBe("reserve aux entreprises adaptees - l'article l2113-12");
    const n = normalizeText('Œuvre  Été');
    expect(n.text).toBe('oeuvre ete');
    expect(n.map[n.text.indexOf('ete')]).toBe('Œuvre  Été'.indexOf('Été'));
  });
});

// ---------------------------------------------------------------------------------------------------

describe('structured fields', () => {
  it('takes field findings as they are', () => {
    const c = classifyNotice(
      notice({ fields: [field('socialClause', 'soc-obj'), field('socialCriterion', 'Critère social'), field('environmentalClause', 'Clause environnementale')] }),
    );
    expect(c).toMatchObject({ reserved: [], socialClause: true, socialCriterion: true, environmental: true, insertionHours: null });
    expect(c.findings).toHaveLength(3);
    expect(c.findings.every((f) => f.origin === 'field')).toBe(true);
  });

  it('a field reservation without family stays unspecified', () => {
    expect(flagsOf(notice({ fields: [field('reserved', 'unspecified', null, 'CONDITION_PARTICIPATION.MARCHE_RESERVE_OUI')] })).reserved).toEqual(['unspecified']);
  });

  it('unspecified is dropped when a text names the family', () => {
    const n = notice({
      fields: [field('reserved', 'unspecified', null, 'CONDITION_PARTICIPATION.MARCHE_RESERVE_OUI')],
      texts: ["Marché réservé aux structures d'insertion par l'activité économique (article L. 2113-13 du CCP)."],
    });
    const c = classifyNotice(n);
    expect(c.reserved).toEqual(['insertion']);
    expect(c.findings.filter((f) => f.kind === 'reserved').map((f) => [f.origin, f.value])).toEqual([
      ['field', 'unspecified'],
      ['text', 'insertion'],
    ]);
  });

  it('a field negation is simply no finding, and a text negation adds none', () => {
    expect(flagsOf(notice({ fields: [], texts: ['Marché réservé : non'] }))).toEqual(NONE);
  });

  it('a lot-level field reservation applies to that lot only', () => {
    const c = classifyNotice(notice({ lots: ['1', '2'], fields: [field('reserved', 'handicap', '1')] }));
    expect(c.reserved).toEqual(['handicap']);
    expect(c.lots.map((l) => [l.lot, l.reserved])).toEqual([
      ['1', ['handicap']],
      ['2', []],
    ]);
  });

  it('field hours count and imply a social clause', () => {
    const c = classifyNotice(notice({ lots: ['1'], fields: [field('insertionHours', '350', '1')] }));
    expect(c).toMatchObject({ socialClause: true, insertionHours: 350 });
    expect(c.lots[0]).toMatchObject({ socialClause: true, insertionHours: 350 });
  });

  it('deduplicates identical findings', () => {
    const f = field('socialClause', 'soc-obj', null, 'x.y');
    expect(classifyNotice(notice({ fields: [f, { ...f }] })).findings).toHaveLength(1);
  });

  it('ignores a reserved field whose value is not a family', () => {
    expect(flagsOf(notice({ fields: [field('reserved', 'none')] })).reserved).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('lots and union', () => {
  it('keeps « family not stated » for the notice when a lot leaves it so, beside another lot’s family', () => {
    const c = classifyNotice(notice({ lots: ['1', '2'], fields: [field('reserved', 'ess', '1'), field('reserved', 'unspecified', '2')] }));
    expect(c.lots.map((l) => [l.lot, l.reserved])).toEqual([
      ['1', ['ess']],
      ['2', ['unspecified']],
    ]);
    expect(c.reserved).toEqual(['ess', 'unspecified']);
  });

  it('drops a notice-level « family not stated » when a lot names the family', () => {
    const c = classifyNotice(
      notice({
        lots: ['1', '2'],
        fields: [field('reserved', 'unspecified')],
        texts: [{ path: 'LOTS.LOT.DESCRIPTION', lot: '2', text: 'Lot réservé aux entreprises adaptées.' }],
      }),
    );
    expect(c.lots.map((l) => [l.lot, l.reserved])).toEqual([
      ['1', ['unspecified']],
      ['2', ['handicap']],
    ]);
    expect(c.reserved).toEqual(['handicap']);
  });

  it('a notice-level reservation applies to every lot', () => {
    const c = classifyNotice(notice({ lots: ['1', '2'], texts: ['Le présent marché est réservé aux entreprises adaptées (article L. 2113-12 du CCP).'] }));
    expect(c.lots.map((l) => l.reserved)).toEqual([['handicap'], ['handicap']]);
  });

  it('the notice is the union of its lots (L2113-12 on one lot, L2113-13 on the other)', () => {
    const c = classifyNotice(
      notice({
        lots: ['1', '2'],
        texts: [
          { path: 'LOTS.LOT.DESCRIPTION', lot: '1', text: 'Lot réservé en application de l’article L2113-12 du code de la commande publique.' },
          { path: 'LOTS.LOT.DESCRIPTION', lot: '2', text: 'Lot réservé en application de l’article L2113-13 du code de la commande publique.' },
        ],
      }),
    );
    expect(c.reserved).toEqual(['handicap', 'insertion']);
    expect(c.lots).toEqual([
      { lot: '1', reserved: ['handicap'], socialClause: false, socialCriterion: false, environmental: false, insertionHours: null },
      { lot: '2', reserved: ['insertion'], socialClause: false, socialCriterion: false, environmental: false, insertionHours: null },
    ]);
  });

  it('a notice-level sentence naming lots applies to those lots only', () => {
    const c = classifyNotice(notice({ lots: ['1', '2', '3'], texts: ['Les lots 1 et 2 sont réservés à des entreprises adaptées et/ou Esat, ou à des structures équivalentes.'] }));
    expect(c.lots.map((l) => [l.lot, l.reserved])).toEqual([
      ['1', ['handicap']],
      ['2', ['handicap']],
      ['3', []],
    ]);
    expect(c.reserved).toEqual(['handicap']);
    expect(c.findings.map((f) => f.lot)).toEqual(['1', '2']);
  });

  it('matches a named lot to the notice’s lot number (LOT-0002)', () => {
    const c = classifyNotice(notice({ lots: ['LOT-0001', 'LOT-0002'], texts: ['Le lot n° 2 est réservé aux ESAT.'] }));
    expect(c.lots.map((l) => [l.lot, l.reserved])).toEqual([
      ['LOT-0001', []],
      ['LOT-0002', ['handicap']],
    ]);
    expect(c.findings[0].lot).toBe('LOT-0002');
  });

  it('a lot named only in the findings is added', () => {
    const c = classifyNotice(notice({ texts: ['Le lot 3 comporte une clause sociale d’insertion.'] }));
    expect(c.lots.map((l) => [l.lot, l.socialClause])).toEqual([['3', true]]);
    expect(c.socialClause).toBe(true);
  });

  it('two clauses of one sentence go to their own lots', () => {
    const c = classifyNotice(notice({ lots: ['1', '2'], texts: ["Le lot 1 est réservé aux EA ; le lot 2 comporte une clause d'insertion de 350 heures."] }));
    expect(c.lots).toEqual([
      { lot: '1', reserved: ['handicap'], socialClause: false, socialCriterion: false, environmental: false, insertionHours: null },
      { lot: '2', reserved: [], socialClause: true, socialCriterion: false, environmental: false, insertionHours: 350 },
    ]);
    expect(c.insertionHours).toBe(350);
  });

  it('hours per lot are summed for the notice, the notice-level repetition is not counted twice', () => {
    const c = classifyNotice(
      notice({
        lots: ['1', '2'],
        texts: [
          { path: EXEC, lot: '1', text: "Le titulaire du lot 1 réalisera 350 heures d'insertion." },
          { path: EXEC, lot: '2', text: "Le titulaire du lot 2 réalisera 200 heures d'insertion." },
          { path: DESC, lot: null, text: "Lot 1 : 350 heures d'insertion." },
        ],
      }),
    );
    expect(c.lots.map((l) => l.insertionHours)).toEqual([350, 200]);
    expect(c.insertionHours).toBe(550);
  });

  it('notice-level total equal to the sum of the lots is not added', () => {
    const c = classifyNotice(
      notice({
        lots: ['1', '2'],
        texts: [
          { path: EXEC, lot: '1', text: "Clause d'insertion : 300 heures." },
          { path: EXEC, lot: '2', text: "Clause d'insertion : 200 heures." },
          "Le marché représente au total 500 heures d'insertion.",
        ],
      }),
    );
    expect(c.insertionHours).toBe(500);
  });

  it('hour lists with their lots', () => {
    for (const text of ["Heures d'insertion : 1 500 heures (lot 1) et 800 heures (lot 2).", "Heures d'insertion estimées : lot 1 = 1 500 h, lot 2 = 800 h."]) {
      const c = classifyNotice(notice({ lots: ['1', '2'], texts: [text] }));
      expect(c.lots.map((l) => l.insertionHours)).toEqual([1500, 800]);
      expect(c.insertionHours).toBe(2300);
    }
  });

  it('a lot title carrying the reservation', () => {
    const c = classifyNotice(notice({ lots: ['1', '2', '3'], texts: ['Lot 3 : Entretien des espaces verts (réservé ESAT/EA)'] }));
    expect(c.lots.map((l) => l.reserved)).toEqual([[], [], ['handicap']]);
  });

  it('lot hours from one sentence naming both lots', () => {
    const c = classifyNotice(notice({ lots: ['1', '2'], texts: ["350 heures d'insertion pour le lot 1 et 200 heures pour le lot 2."] }));
    expect(c.lots.map((l) => l.insertionHours)).toEqual([350, 200]);
    expect(c.insertionHours).toBe(550);
  });

  it('the same sentence in two notice-level texts counts once', () => {
    const sentence = "Le titulaire devra réaliser 1 200 heures d'insertion.";
    const c = classifyNotice(notice({ texts: [{ path: DESC, lot: null, text: sentence }, { path: EXEC, lot: null, text: sentence }] }));
    expect(c.insertionHours).toBe(1200);
    expect(c.findings.filter((f) => f.kind === 'insertionHours')).toHaveLength(2); // evidence of both paths kept
  });

  it('a single lot gets the notice-level hours', () => {
    const c = classifyNotice(notice({ lots: ['1'], texts: ["Volume d'heures d'insertion : 450 heures."] }));
    expect(c.lots[0].insertionHours).toBe(450);
    expect(c.insertionHours).toBe(450);
  });

  it('lots without own hours do not share notice-level hours', () => {
    const c = classifyNotice(notice({ lots: ['1', '2'], texts: ["Le marché prévoit 800 heures d'insertion."] }));
    expect(c.lots.map((l) => [l.socialClause, l.insertionHours])).toEqual([
      [true, null],
      [true, null],
    ]);
    expect(c.insertionHours).toBe(800);
  });

  it('environmental = clause or criterion, per lot', () => {
    const c = classifyNotice(
      notice({
        lots: ['1', '2'],
        texts: [
          { path: CRIT, lot: '1', text: 'Performance en matière de développement durable (15 %)' },
          { path: EXEC, lot: '2', text: "Le titulaire devra respecter les clauses environnementales du CCTP." },
        ],
      }),
    );
    expect(c.lots.map((l) => l.environmental)).toEqual([true, true]);
    expect(c.findings.map((f) => f.kind)).toEqual(['environmentalCriterion', 'environmentalClause']);
  });

  it('returns source and id', () => {
    expect(classifyNotice(notice())).toEqual({ source: 'boamp', id: '24-123456', ...NONE, findings: [], lots: [] });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('evidence', () => {
  it('the excerpt is the sentence, with the text’s path and lot', () => {
    const text = "Les prestations sont décrites au CCTP. Le titulaire s'engage à mettre en œuvre la clause d'insertion prévue au CCAP. Les prix sont révisables.";
    const findings = textFindings({ path: EXEC, lot: '2', text });
    expect(findings).toEqual([
      {
        kind: 'socialClause',
        value: "clause d'insertion",
        lot: '2',
        origin: 'text',
        path: EXEC,
        excerpt: "Le titulaire s'engage à mettre en œuvre la clause d'insertion prévue au CCAP.",
        words: "clause d'insertion",
      },
    ]);
  });

  it('hours findings carry the number as value', () => {
    const [hours] = textFindings({ path: EXEC, lot: null, text: "Objectif : 1\u00a0500 heures d'insertion." }).filter((f) => f.kind === 'insertionHours');
    expect(hours.value).toBe('1500');
    expect(hours.excerpt).toBe("Objectif : 1\u00a0500 heures d'insertion.".replace(/\s+/g, ' '));
  });

  it('reserved findings carry the family as value', () => {
    const findings = textFindings({ path: DESC, lot: null, text: 'Marché réservé aux ESAT.' });
    // The words that triggered it are kept for the highlight, the family is the value.
    expect(findings.every((f) => f.words && 'Marché réservé aux ESAT.'.includes(f.words))).toBe(true);
    expect(findings.map((f) => [f.kind, f.value])).toEqual([['reserved', 'handicap']]);
  });

  it('abbreviations do not cut the sentence', () => {
    const text = 'Conformément à l’art. L. 2113-12 du CCP, le marché est réservé aux EA. Les offres sont remises en français.';
    const [f] = textFindings({ path: DESC, lot: null, text });
    expect(f.excerpt).toBe('Conformément à l’art. L. 2113-12 du CCP, le marché est réservé aux EA.');
  });

  it('a long sentence gives a window around the match', () => {
    const filler = 'les prestations comprennent la fourniture, la livraison, le montage et la maintenance des équipements, '.repeat(6);
    const text = `Considérant que ${filler}le titulaire mettra en œuvre une clause d'insertion, et que ${filler}les prix sont fermes.`;
    const [f] = textFindings({ path: EXEC, lot: null, text });
    expect(f.excerpt.length).toBeLessThanOrEqual(302);
    expect(f.excerpt).toContain("clause d'insertion");
    expect(f.excerpt.startsWith('…')).toBe(true);
    expect(f.excerpt.endsWith('…')).toBe(true);
  });

  it('a bullet list keeps its introduction', () => {
    const text = 'Le marché est réservé aux structures suivantes :\n- entreprises adaptées ;\n- structures d’insertion par l’activité économique.';
    const findings = textFindings({ path: DESC, lot: null, text });
    expect(findings.map((f) => [f.value, f.excerpt])).toEqual([
      ['handicap', 'Le marché est réservé aux structures suivantes : - entreprises adaptées ;'],
      ['insertion', 'Le marché est réservé aux structures suivantes : - structures d’insertion par l’activité économique.'],
    ]);
  });

  it('findings of a lot-level text keep its lot even when it names another lot', () => {
    const [f] = textFindings({ path: EXEC, lot: '1', text: 'Comme pour le lot 2, une clause sociale est prévue.' });
    expect(f.lot).toBe('1');
  });
});

describe('sentences', () => {
  it('splits on punctuation and line breaks, joins wrapped lines', () => {
    expect(splitSentences("Le marché est réservé aux\nentreprises adaptées. Clause sociale : oui\nMarché réservé : non\n\nLots : 2")).toEqual([
      'Le marché est réservé aux entreprises adaptées.',
      'Clause sociale : oui',
      'Marché réservé : non',
      'Lots : 2',
    ]);
  });

  it('keeps "art.", "L.", "n°", initials and numbers together, and a question with its answer', () => {
    expect(splitSentences("Voir l'art. 5 et l'article L. 2113-12. Lot n° 2. Le marché est-il réservé ? Non. M. Dupont signe.")).toEqual([
      "Voir l'art. 5 et l'article L. 2113-12.",
      'Lot n° 2.',
      'Le marché est-il réservé ? Non.',
      'M. Dupont signe.',
    ]);
  });

  it('splits inline bullets', () => {
    expect(splitSentences('Clauses : • clause sociale • clause environnementale')).toEqual(['Clauses : • clause sociale', 'Clauses : • clause environnementale']);
  });
});
