// French text rules of the notice classifier (classify.ts), kept as data.
//
// Every pattern is matched against a NORMALISED sentence: lower case, accents stripped, apostrophes
// unified to ', every dash to -, underscores and all kinds of spaces to one plain space, "œ" to "oe".
// So write the patterns in that form: `reserv(?:e|ee|es|ees)`, `d'insertion`, `eco-?conception`.
// Patterns carry no flags; the classifier adds the ones it needs.
//
// Law (Code de la commande publique, CCP), see docs/reference/procurement.md §5.3:
// - L2113-12 reservation to EA / ESAT (handicap), L2113-13 to SIAE (insertion), L2113-14 both at once,
//   L2113-13-1 operators employing detainees in prison (prison), L2113-15/16 ESS public-service missions;
// - L2112-2 execution conditions (the clause sociale d'insertion, environmental conditions);
// - R2152-7 (and L2152-7) award criteria, among them "performances en matière d'insertion professionnelle
//   des publics en difficulté" and "protection de l'environnement".
import type { ReservedFamily } from './model.ts';

// ---------------------------------------------------------------------------------------------------
// Articles

/** What citing an article means. `executionCondition` and `awardCriterion` need social or environmental wording in the sentence. */
export type ArticleMeaning = { kind: 'reserved'; families: ReservedFamily[] } | { kind: 'executionCondition' } | { kind: 'awardCriterion' };

export interface ArticleRule {
  /** Canonical citation: letter + number, e.g. "L2113-12", "L2113-13-1". */
  article: string;
  meaning: ArticleMeaning;
  comment: string;
}

const reservedTo = (...families: ReservedFamily[]): ArticleMeaning => ({ kind: 'reserved', families });

/** Articles of the current code, recognised in any spelling ("L2113-12", "L. 2113-12", "article L 2113‑12", "2113-12 du CCP"…). */
export const ARTICLES: ArticleRule[] = [
  { article: 'L2113-12', meaning: reservedTo('handicap'), comment: 'Reserved to entreprises adaptées, ESAT and equivalent structures (disabled workers).' },
  { article: 'L2113-13', meaning: reservedTo('insertion'), comment: 'Reserved to SIAE (EI, ETTI, AI, ACI) and equivalent structures (disadvantaged workers).' },
  {
    article: 'L2113-13-1',
    meaning: reservedTo('prison'),
    comment: 'Ordonnance 2022-1336: reserved to operators producing in a prison establishment with a minimum share of detainees.',
  },
  { article: 'L2113-14', meaning: reservedTo('handicap', 'insertion'), comment: 'Since loi ASAP (2020): one contract or lot reserved to both families at once.' },
  { article: 'L2113-15', meaning: reservedTo('ess'), comment: 'Health, social and cultural services reserved to ESS enterprises with a public-service mission.' },
  { article: 'L2113-16', meaning: reservedTo('ess'), comment: 'Conditions of the L2113-15 ESS reservation (same family).' },
  // Concessions mirror the contract articles (general knowledge, not in the research notes: check on Légifrance).
  { article: 'L3113-1', meaning: reservedTo('handicap'), comment: 'Concessions reserved to EA / ESAT (unverified mapping).' },
  { article: 'L3113-2', meaning: reservedTo('insertion'), comment: 'Concessions reserved to SIAE (unverified mapping).' },
  { article: 'L3113-2-1', meaning: reservedTo('prison'), comment: 'Concessions reserved to prison work (ordonnance 2022-1336, per the notes).' },
  { article: 'L2112-2', meaning: { kind: 'executionCondition' }, comment: 'Execution conditions: social (clause d’insertion) or environmental, per the wording.' },
  { article: 'R2152-7', meaning: { kind: 'awardCriterion' }, comment: 'Award criteria, incl. insertion performance and environmental protection.' },
  { article: 'L2152-7', meaning: { kind: 'awardCriterion' }, comment: 'Legislative basis of the award criteria.' },
];

/** Numbers of the code whose articles matter here (the "2113" of "L2113-12"). */
export const ARTICLE_CHAPTERS = ['2112', '2113', '2152', '3113'];

/**
 * A citation of the current code, spelt in any way once normalised: "l2113-12", "l. 2113-12", "l.2113 - 12",
 * "article l 2113-12", "art. 2113-12", "2113-12 du code de la commande publique". Groups: 1 letter (may be
 * missing), 2 chapter, 3 article, 4 sub-article ("13-1"). A citation without letter counts only after
 * "article"/"art." or before "du code de la commande publique"/"du CCP" (checked by the classifier).
 */
export const ARTICLE_CITATION = /(?<![a-z0-9])(?:(l|r)\s?\.?\s?)?(2112|2113|2152|3113)\s?-\s?(\d{1,2})(?:\s?-\s?(\d)(?![\d]))?(?![\d])/;

/** Before a letterless citation: makes "article 2113-12" a citation. */
export const ARTICLE_WORD_BEFORE = /\bart(?:icle)?s?\.?\s?$/;
/** After a letterless citation: makes "2113-12 du code de la commande publique" a citation. */
export const CODE_AFTER = /^\s?(?:\)\s?)?(?:du|de|des)?\s?(?:code de la commande publique|ccp\b|c\.c\.p)/;
/** A list continuing a citation: "l2113-12 et 13", "l. 2113-12, -13", "l2113-12 a l2113-14" (groups: 1 connector, 2 chapter, 3 article, 4 sub-article). */
export const ARTICLE_CONTINUATION = /^\s?(,|et|ou|&|\/|a|au)\s?(?:l\s?\.?\s?)?(?:(2112|2113|2152|3113)\s?)?-?\s?(\d{1,2})(?:\s?-\s?(\d)(?![\d]))?(?![\d])/;

export interface OldArticleRule {
  id: string;
  pattern: RegExp;
  meaning: ArticleMeaning;
  comment: string;
}

/**
 * Articles of the texts before the code (2019): ordonnance 2015-899 and its décret 2016-360, and the former
 * Code des marchés publics (CMP, 2006). Ordered: the first rule to match a span wins (36-II before 36).
 */
export const OLD_ARTICLES: OldArticleRule[] = [
  {
    id: 'ord-36-II',
    pattern: /\bart(?:icle)?\.?\s?36\s?[-.]?\s?(?:ii|2)\b(?:\s?(?:de l'|du |de la )?[^.;]{0,30}?)ordonnance|\bii\s?(?:de l'|du )\s?art(?:icle)?\.?\s?36 (?:de l')?ordonnance/,
    meaning: reservedTo('insertion'),
    comment: 'Ordonnance 2015-899 art. 36-II: reserved to SIAE.',
  },
  {
    id: 'ord-36-I',
    pattern: /\bart(?:icle)?\.?\s?36\s?[-.]?\s?(?:i|1)\b(?:\s?(?:de l'|du |de la )?[^.;]{0,30}?)ordonnance|\bi\s?(?:de l'|du )\s?art(?:icle)?\.?\s?36 (?:de l')?ordonnance/,
    meaning: reservedTo('handicap'),
    comment: 'Ordonnance 2015-899 art. 36-I: reserved to EA / ESAT.',
  },
  {
    id: 'ord-36',
    pattern: /\bart(?:icle)?\.?\s?36\b[^.;]{0,30}?ordonnance/,
    meaning: reservedTo('unspecified'),
    comment: 'Ordonnance 2015-899 art. 36 without its paragraph: a reservation, family not stated.',
  },
  {
    id: 'decret-13',
    pattern: /\bart(?:icle)?\.?\s?13\b[^.;]{0,30}?decret (?:n° ?|no ?)?2016-360/,
    meaning: reservedTo('unspecified'),
    comment: 'Décret 2016-360 art. 13: minimum share of disabled / disadvantaged workers of the art. 36 reservation.',
  },
  {
    id: 'ord-37',
    pattern: /\bart(?:icle)?\.?\s?37\b[^.;]{0,30}?ordonnance/,
    meaning: reservedTo('ess'),
    comment: 'Ordonnance 2015-899 art. 37: ESS reservation of social/health/cultural services (unverified; predecessor of L2113-15).',
  },
  {
    id: 'cmp-15',
    pattern: /\bart(?:icle)?\.?\s?15\b[^.;]{0,15}?(?:code des marches publics|\bcmp\b)/,
    meaning: reservedTo('handicap'),
    comment: 'Former CMP (2006) art. 15: lots or contracts reserved to EA / ESAT.',
  },
  {
    id: 'cmp-14',
    pattern: /\bart(?:icle)?\.?\s?14\b[^.;]{0,15}?(?:code des marches publics|\bcmp\b)/,
    meaning: { kind: 'executionCondition' },
    comment: 'Former CMP art. 14: execution conditions (social / environmental).',
  },
  {
    id: 'ord-38',
    pattern: /\bart(?:icle)?\.?\s?38\b[^.;]{0,30}?ordonnance/,
    meaning: { kind: 'executionCondition' },
    comment: 'Ordonnance 2015-899 art. 38: execution conditions.',
  },
  {
    id: 'cmp-53',
    pattern: /\bart(?:icle)?\.?\s?53\b[^.;]{0,15}?(?:code des marches publics|\bcmp\b)/,
    meaning: { kind: 'awardCriterion' },
    comment: 'Former CMP art. 53: award criteria (incl. insertion performance).',
  },
  {
    id: 'decret-62',
    pattern: /\bart(?:icle)?\.?\s?62\b[^.;]{0,30}?decret/,
    meaning: { kind: 'awardCriterion' },
    comment: 'Décret 2016-360 art. 62: award criteria.',
  },
];

/**
 * A sentence about how the clause d'insertion is performed (subcontracting to a SIAE/EA…) may cite
 * L2113-12/13 without reserving anything: an article counts as a reservation there only if the sentence
 * also says "réservé"/"réservation".
 */
export const CLAUSE_PERFORMANCE_CONTEXT = /\bclauses?\b|heures? d'insertion|sous-trait|co-?trait|mise a disposition|condition d'execution/;
export const RESERVATION_WORD = /reserv/;

// ---------------------------------------------------------------------------------------------------
// Reservation wording: a trigger ("réservé(e)(s)", "marché réservé"…) then, in the words after it, the
// family ("aux entreprises adaptées").

export interface ReservationTrigger {
  id: string;
  pattern: RegExp;
  /** true: the trigger alone says the contract or lot is reserved (family 'unspecified' when none follows). */
  generic: boolean;
  /** The trigger does not count when the words before it match (e.g. "se réserve", "sous réserve"). */
  notBefore?: RegExp;
  /** The trigger does not count when the words after it match (e.g. "réserve le droit"). */
  notAfter?: RegExp;
  /** Written as a predicate ("… sont réservés"), the trigger does not count when the words before it match. */
  predicateNotBefore?: RegExp;
  comment: string;
}

/** A verb in a trigger's match: the trigger is a predicate ("les lots 1 et 2 sont réservés"). */
export const PREDICATE_VERB = /\b(?:est|sont|sera|seront)\b/;

const LOT_LIST = String.raw`(?:\s?(?:n°|no|nº)?\s?\d{1,3}(?:\s?(?:,|et|ou|a)\s?\d{1,3})*)?`;

/** Before a predicate "… consultation sont réservés": the contract word is the complement of another noun ("les documents de la consultation sont réservés aux candidats…"). */
export const CONTRACT_AS_COMPLEMENT = /(?:^|\s)(?!(?:lots?|marches?|accords?-cadres?|contrats?)\b)[a-z]{3,} (?:de la|du|des|de l')\s?$/;
/** Not a reservation of the contract: "se réserve le droit", "sous réserve de", the noun "réserves". */
export const TRIGGER_NOT_BEFORE = /(?:\bse|\bsous|\bnous|\bs'|\bme|\bdes|\bles|\bsans|\bheures?(?: de travail| travaillees)?)\s?$/;
/** Not a reservation of the contract: "réserve le droit / la possibilité", "réserve de propriété", "réserves émises". */
export const TRIGGER_NOT_AFTER = /^\s?(?:le droit|la possibilite|la faculte|de propriete|emises?|formulees?)\b/;
/** Words between a non-generic trigger and its family that show hours are reserved, not the contract ("réserver 10 % des heures à des salariés de SIAE"). */
export const HOURS_NOT_CONTRACT = /\bheures?\b|%/;

export const RESERVATION_TRIGGERS: ReservationTrigger[] = [
  {
    id: 'contract-reserved',
    pattern: new RegExp(
      String.raw`\b(?:marches?(?: publics?)?|lots?${LOT_LIST}|contrats?|accords?-cadres?|consultations?|participation|procedures?)\s?(?:(?:est|sont|sera|seront)(?:-(?:il|ils|elle|elles))?\s)?(?:(?:entierement|totalement|partiellement|exclusivement|integralement)\s)?reserv(?:e|ee|es|ees)\b`,
    ),
    generic: true,
    predicateNotBefore: CONTRACT_AS_COMPLEMENT,
    comment: '"marché réservé", "lot réservé", "les lots 1 et 2 sont réservés", "la participation est réservée", "le marché est-il réservé ?".',
  },
  {
    id: 'reservation-of',
    pattern: /\b(?:l'objet d'une reservation|reservation (?:du|des|de ce|de cette|de la|de l') ?(?:present )?(?:marches?|lots?|accord-cadre|contrat|consultation|participation))\b/,
    generic: true,
    comment: '"fait l’objet d’une réservation", "réservation du lot 2 au profit de…".',
  },
  {
    id: 'only-open-to',
    pattern:
      /\b(?:(?:ouvert|destine|accessible|limite)e?s? (?:exclusivement|uniquement|seulement) (?:a|aux)|(?:exclusivement|uniquement|seulement) (?:ouvert|destine|accessible)e?s? (?:a|aux)|(?:n'est|ne sont|ne sera|ne seront) (?:ouvert|accessible|destine)e?s? qu'(?:a|aux))\b/,
    generic: false,
    comment: '"exclusivement ouvert aux ESAT", "n’est ouvert qu’aux SIAE" (needs a family after it).',
  },
  {
    id: 'reserved',
    pattern: /\breserv(?:e|ee|es|ees|er)\b|\breservation\b/,
    generic: false,
    notBefore: TRIGGER_NOT_BEFORE,
    notAfter: TRIGGER_NOT_AFTER,
    comment: '"réservé(e)(s) aux / à des …", "réserver ce marché aux …", "réservation au profit de …" (needs a family after it).',
  },
];

/** After a trigger: reserved to something that is not an inclusive structure (a profession, SMEs, the holders of a framework agreement…). */
export const RESERVED_TO_OTHER = /^\s?(?::\s?)?(?:(?:a|aux|au|pour)\s(?:une |la |les |l'|des )?)?(?:exercice d'une |membres d'une )?(?:professions?|pme|tpe|petites|artisans?|architectes?|avocats?|pouvoir adjudicateur|acheteur|administration|usage|titulaires?|candidats? (?:admis|retenus|selectionnes)|operateurs? (?:admis|retenus|selectionnes))\b/;

/** Where the words after a trigger stop: a new clause with its own subject ("…, le lot 2 …", "… et les candidats …"). */
export const TARGET_WINDOW_END = /;|(?:,|\bet\b)\s(?:(?:le|la|les|un|une|ce|cette|ces|il|elle|ils|elles|en revanche)\s|l')|\bmais\b/;
/** After the words of a reservation, an elliptic member for other lots: ", le lot n°2 aux SIAE", "et les lots 3 et 4 à des ESAT". */
export const RESERVATION_ELLIPSIS = /^\s?(?:,|;|\bet\b)\s?(?:et\s)?(?:le|les)\slots?\s?(?:n°|no)?\s?\d{1,3}(?:\s?(?:,|et|a)\s?\d{1,3})*\s?,?\s(?=(?:aux?|a (?:des|la|l'|une?))\s)/;
/** Maximum length of the words read after a trigger. */
export const TARGET_WINDOW = 250;

export interface FamilyTerm {
  id: string;
  family: ReservedFamily;
  pattern: RegExp;
  /** Persons rather than structures: counts only after an operator word ("opérateurs qui emploient des travailleurs handicapés"), never for "places réservées aux personnes handicapées". */
  needsOperator?: boolean;
  comment: string;
}

/** Before a structure term: persons OF that structure ("aux travailleurs de l'ESAT"), not the structure as reservee. */
export const PERSONS_OF_STRUCTURE = /\b(?:travailleurs|usagers|residents|salaries|agents|beneficiaires|eleves|adherents|personnels?|encadrants)(?:\s[a-z]+){0,2}\s(?:de l'|du |des |de la |d')$/;
/** Before a person term, in the window: the reservation is to operators employing those persons. */
export const OPERATOR_WORDS = /\b(?:operateurs?|entreprises?|structures?|organismes?|organisations?|employeurs?|emploi\w*|employ\w*|font travailler|faisant travailler|integration|insertion)\b/;

/** Families after a trigger. Ordered: a term's span is consumed, later terms inside it are ignored. */
export const FAMILY_TERMS: FamilyTerm[] = [
  {
    id: 'directive-formula',
    family: 'unspecified',
    pattern:
      /ateliers? proteges?(?: et (?:a |aux )?(?:des )?operateurs economiques dont l'objet (?:principal )?est l'integration sociale et professionnelle de(?:s)? personnes handicapees (?:et\/ou|ou|et) defavorisees)|(?:personnes|travailleurs) handicape(?:e)?s (?:et\/ou|ou) (?:des )?(?:personnes |travailleurs )?defavorise(?:e)?s/,
    comment: 'The EU directive / eForms res-ws wording ("ateliers protégés et opérateurs… handicapées ou défavorisées") does not say which family.',
  },
  { id: 'ea', family: 'handicap', pattern: /\bentreprises? adaptees?\b|\bea\b|\beatt\b|\be\.a\.(?!\w)/, comment: 'Entreprises adaptées (incl. EA de travail temporaire).' },
  {
    id: 'esat',
    family: 'handicap',
    pattern: /\besat\b|\be\.s\.a\.t\b|etablissements? (?:et|ou) services? d'aide par le travail|centres? d'aide par le travail/,
    comment: 'ESAT (formerly CAT).',
  },
  {
    id: 'sheltered',
    family: 'handicap',
    pattern: /ateliers? proteges?|emplois? proteges?|secteur (?:du travail )?(?:protege|adapte)|milieu protege|structures? du (?:secteur )?(?:protege|handicap)/,
    comment: 'Sheltered workshops / sheltered employment (directive wording) = the handicap sector in France.',
  },
  {
    id: 'disabled-workers',
    family: 'handicap',
    pattern: /(?:travailleurs?|personnes?|salaries?) (?:reconnus? )?(?:handicape(?:e)?s?|en situation de handicap)|personnes? handicapees?/,
    needsOperator: true,
    comment: '"opérateurs économiques qui emploient des travailleurs handicapés".',
  },
  {
    id: 'siae',
    family: 'insertion',
    pattern:
      /\bs\.?i\.?a\.?e\b|\biae\b|structures? (?:de l'|d')insertion|insertion par l'activite economique|entreprises? (?:de travail temporaire )?d'insertion|entreprises? d'insertion par le travail independant|associations? intermediaires?|ateliers? (?:et|ou) chantiers? d'insertion|chantiers? d'insertion|\b(?:ei|etti|eiti|aci|ai)\b/,
    comment: 'SIAE: EI, ETTI, EITI, AI, ACI.',
  },
  {
    id: 'disadvantaged',
    family: 'insertion',
    pattern:
      /(?:travailleurs?|personnes?|publics?) (?:defavorise(?:e)?s|en difficulte|eloigne(?:e)?s de l'emploi|rencontrant des difficultes)|(?:travailleurs?|personnes?) en (?:parcours d')?insertion/,
    needsOperator: true,
    comment: '"opérateurs économiques qui emploient des personnes défavorisées".',
  },
  {
    id: 'prison',
    family: 'prison',
    pattern: /etablissements? penitentiaires?|travail penitentiaire|emploi penitentiaire|personnes? detenues?|\bdetenus?\b|milieu (?:carceral|penitentiaire)|ateliers? penitentiaires?/,
    needsOperator: true,
    comment: 'L2113-13-1: operators producing in prison with detainees (needs an operator word: not "fournitures réservées aux établissements pénitentiaires").',
  },
  { id: 'sep', family: 'prison', pattern: /service de l'emploi penitentiaire|\bsep\b|\bates\b/, comment: 'Service de l’emploi pénitentiaire (now ATIGIP).' },
  {
    id: 'ess',
    family: 'ess',
    pattern: /economie sociale et solidaire|\bess\b|entreprises? solidaires? d'utilite sociale|\besus\b/,
    comment: 'Économie sociale et solidaire (L2113-15).',
  },
  {
    id: 'public-service-mission',
    family: 'ess',
    pattern: /mission de service public/,
    needsOperator: true,
    comment: 'eForms res-pub-ser wording: "organisations qui poursuivent une mission de service public".',
  },
];

// ---------------------------------------------------------------------------------------------------
// Clauses and criteria

export type Topic = 'social' | 'environmental';
/** clause: an execution condition; criterion: an award criterion; auto: criterion in an award-criterion text, clause elsewhere. */
export type Role = 'clause' | 'criterion' | 'auto';

export interface PhraseRule {
  id: string;
  topic: Topic;
  role: Role;
  pattern: RegExp;
  /** The sentence must also match this (context for weak wording). */
  needs?: RegExp;
  /**
   * Outside an execution-condition or award-criterion text, the sentence must also match this: wording
   * that is as often the object bought (« énergies renouvelables », « forêts gérées durablement ») counts
   * only when it is required of the holder there.
   */
  requirement?: RegExp;
  comment: string;
}

/** Hours of the service bought when insertion is what is bought ("heures d'accompagnement"): never insertion hours. */
const SERVICE_HOURS = String.raw`d'accompagnement|de prestations?|d'animation|de suivi|de cours|d'enseignement|de stage|de face-a-face|de coaching`;
/** Context that makes weak social wording an execution clause rather than the object of an insertion service. */
export const CLAUSE_CONTEXT = new RegExp(
  String.raw`\bclauses?\b|conditions? (?:particulieres? )?d'execution|\bheures?\b(?! (?:${SERVICE_HOURS}|de formation|par (?:groupe|stagiaire|session)))|embauch|recrut|sous-trait|co-?trait|mise a disposition|l2112-2|facilitat|promotion de l'emploi|\bgeiq\b|\betti\b|\bsiae\b|structures? d'insertion`,
);
/** Wording that makes a quality required of the holder rather than the thing bought (PhraseRule.requirement). */
const REQUIREMENT_CONTEXT =
  /\b(?:devra|devront|doit|doivent|sera|seront|exige\w*|impose\w*|requis\w*|obligatoire\w*|imperativ\w*|issue?s? d[eu']|selon une demarche|demarche|titulaire|attributaire|prestataire|s'engage\w*|clauses?|conditions? (?:particulieres? )?d'execution|privilegie\w*|proposee?s?|fournie?s?)\b/;
/** A text of execution conditions (BOAMP CONDITION_PARTICULIERE_EXECUTION, eForms ContractExecutionRequirement…), by its path. */
export const EXECUTION_PATH = /execution/i;
/** A sentence listing weighted award criteria. */
const CRITERIA_LIST_CONTEXT = /\bcriteres?\b|\bponderation|\bvaleur technique\b|\bjugement des offres|\boffres (?:seront |sont )?(?:jugees|appreciees|analysees|classees|evaluees)|\battribution\b/;
/** Context that makes "développement durable" an environmental requirement rather than a service's name. */
const ENV_CONTEXT = /\bclauses?\b|conditions? (?:particulieres? )?d'execution|exigences?|titulaire|attributaire|prestataire|s'engage|demarche/;

export const PHRASE_RULES: PhraseRule[] = [
  // --- social, explicit award criteria
  {
    id: 'insertion-performance',
    topic: 'social',
    role: 'criterion',
    pattern: /performances? (?:en matiere|au titre) d'insertion(?: professionnelle)?/,
    comment: 'R2152-7 wording: "performances en matière d’insertion professionnelle des publics en difficulté".',
  },
  {
    id: 'social-criterion',
    topic: 'social',
    role: 'criterion',
    pattern: /\b(?:sous-)?criteres? (?:d'attribution |de jugement |de choix )?(?:social|sociaux|sociale|d'insertion|de l'insertion|relatifs? a l'insertion|de performance sociale)\b/,
    comment: '"critère social", "critère d’insertion".',
  },
  {
    id: 'criterion-about-insertion',
    topic: 'social',
    role: 'criterion',
    pattern: /\b(?:sous-)?criteres?\b[^.;]{0,80}?\b(?:insertion professionnelle|insertion sociale|clause sociale|clause d'insertion|heures d'insertion|performance sociale|aspects? sociaux|responsabilite sociale)/,
    comment: '"un critère relatif à l’insertion professionnelle…", "sous-critère : heures d’insertion proposées".',
  },
  // --- social, execution clause (auto: criterion inside an award-criterion text)
  {
    id: 'social-clause',
    topic: 'social',
    role: 'auto',
    pattern:
      /\bclauses?(?: environnementales?(?: et| ou| ni)?)? sociales?(?: d'insertion)?(?: (?:et )?de promotion de l'emploi)?(?: et environnementales?)?\b/,
    comment: '"clause sociale", "clause sociale d’insertion et de promotion de l’emploi".',
  },
  {
    id: 'insertion-clause',
    topic: 'social',
    role: 'auto',
    pattern: /\bclauses? (?:d'insertion(?: (?:sociale et )?professionnelle)?|de promotion de l'emploi|d'emploi et d'insertion)\b/,
    comment: '"clause d’insertion", "clause de promotion de l’emploi".',
  },
  {
    id: 'insertion-hours',
    topic: 'social',
    role: 'auto',
    pattern: /\bheures? (?:de travail )?(?:(?:au )?minimum |minimales? )?(?:d'insertion|en insertion|(?:reservees?|consacrees?|dediees?|affectees?) a (?:l'insertion|des personnes|des publics))/,
    comment: '"heures d’insertion", "heures de travail réservées à l’insertion".',
  },
  {
    id: 'reserved-to-insertion',
    topic: 'social',
    role: 'auto',
    pattern:
      /\b(?:reserve|consacre|dedie|affecte)e?s? a (?:l'insertion|des (?:personnes|publics|demandeurs d'emploi) (?:en (?:insertion|difficulte)|(?:tres )?eloigne\w* de l'emploi|rencontrant des difficultes))/,
    comment: '"10 % des heures réservées à l’insertion", "heures consacrées à des personnes éloignées de l’emploi".',
  },
  {
    id: 'insertion-volume',
    topic: 'social',
    role: 'auto',
    pattern: /\bvolumes? (?:horaires? |d'heures )?d'insertion|\b(?:nombre|nb) (?:d'|de |d )?heures (?:d'|en )?insertion|\bobligations? d'insertion\b/,
    comment: '"volume horaire d’insertion", "obligation d’insertion".',
  },
  {
    id: 'social-execution-condition',
    topic: 'social',
    role: 'clause',
    pattern:
      /\bconditions? (?:particulieres? )?d'execution (?:a caractere |de nature |d'ordre )?(?:social|sociale|sociales)\b|\bconditions? (?:particulieres? )?d'execution[^.;]{0,60}?\binsertion\b/,
    comment: '"condition d’exécution à caractère social", "conditions d’exécution relatives à l’insertion".',
  },
  {
    id: 'insertion-action',
    topic: 'social',
    role: 'auto',
    pattern:
      /\bune action d'insertion\b|\b(?:acces|retour) a l'emploi de(?:s)? personnes rencontrant des difficultes sociales (?:ou|et) professionnelles/,
    comment: 'Standard CCAP formula: "réaliser une action d’insertion qui permette l’accès ou le retour à l’emploi de personnes rencontrant des difficultés…".',
  },
  {
    id: 'inclusive-subcontracting',
    topic: 'social',
    role: 'clause',
    pattern:
      /\b(?:sous-trait\w*|co-?trait\w*|mise a disposition|confier|recours a|faire appel a)\b[^.;]{0,80}?\b(?:siae|structures? d'insertion|etti|entreprises? de travail temporaire d'insertion|associations? intermediaires?|geiq|entreprises? adaptees?|esat)\b/,
    needs: /\bclauses?\b|conditions? (?:particulieres? )?d'execution|\b(?:devra|devront|doit|doivent|s'engage\w*|obligation|exige\w*|impose\w*)\b/,
    comment: 'The clause carried out through an inclusive structure: "confier 10 % des prestations en sous-traitance à une SIAE", "mise à disposition par une ETTI".',
  },
  {
    id: 'eforms-social-objective',
    topic: 'social',
    role: 'clause',
    pattern: /\bpossibilites? d'emploi des chomeurs de longue duree|\brealisation d'objectifs sociaux\b/,
    comment: 'eForms BT-775 "opp" / BT-06 "soc-obj" French labels rendered as text.',
  },
  {
    id: 'social-considerations',
    topic: 'social',
    role: 'auto',
    pattern: /\bconsiderations? (?:(?:relatives?|liees?) aux? domaines? |d'ordre |de nature |a caractere )?socia(?:l|le|les|ux)\b/,
    comment: 'DECP wording "considération sociale"; "conditions d’exécution comportant des considérations relatives au domaine social".',
  },
  {
    id: 'facilitator',
    topic: 'social',
    role: 'clause',
    pattern: /\bfacilitat(?:eur|rice|eurs|rices)\b/,
    needs: /clause|insertion|emploi|\bplie\b/,
    comment: '"facilitateur de la clause sociale" (not a "facilitateur BIM").',
  },
  // weak social wording: needs CLAUSE_CONTEXT
  {
    id: 'insertion-actions',
    topic: 'social',
    role: 'auto',
    pattern: /\b(?:actions?|engagements?|objectifs?|demarches?|dispositifs?) d'insertion\b/,
    needs: CLAUSE_CONTEXT,
    comment: '"actions / engagement / objectif d’insertion" when about the contract’s execution (not an insertion-service purchase).',
  },
  {
    id: 'professional-insertion',
    topic: 'social',
    role: 'auto',
    pattern: /\binsertion (?:sociale et )?professionnelle\b|\binsertion par l'emploi\b/,
    needs: CLAUSE_CONTEXT,
    comment: '"insertion professionnelle" with a clause context (hours, hiring, subcontracting, condition d’exécution).',
  },
  {
    id: 'remote-from-employment',
    topic: 'social',
    role: 'auto',
    pattern:
      /\b(?:publics?|personnes?|demandeurs d'emploi) (?:(?:tres|les plus|particulierement) )?eloigne(?:e)?s (?:de l'emploi|du marche du travail)|\bpersonnes? rencontrant des difficultes (?:sociales|professionnelles|particulieres|d'insertion)/,
    needs: CLAUSE_CONTEXT,
    comment: '"publics éloignés de l’emploi" with a clause context.',
  },
  {
    id: 'persons-in-insertion',
    topic: 'social',
    role: 'auto',
    pattern: /\b(?:salaries?|personnes?|publics?|travailleurs?|beneficiaires?|etp|equivalents? temps plein|postes?|emplois?|contrats?) (?:en (?:parcours |situation |demarche )?d'insertion|en insertion)\b/,
    needs: CLAUSE_CONTEXT,
    comment: '"10 % des heures travaillées à des salariés en parcours d’insertion".',
  },
  {
    id: 'employment-promotion',
    topic: 'social',
    role: 'auto',
    pattern: /\bpromotion de l'emploi\b/,
    needs: /eloigne|difficulte|defavoris|insertion|chomeurs?|demandeurs d'emploi/,
    comment: '"promotion de l’emploi des personnes éloignées de l’emploi / en difficulté".',
  },

  {
    id: 'weighted-social-criterion',
    topic: 'social',
    role: 'criterion',
    pattern: /\b(?:insertion(?: professionnelle| sociale et professionnelle| sociale)?|performances? sociales?|valeur sociale|engagements? sociaux|aspects? sociaux|criteres? sociaux|dimension sociale)\s?(?:\(|:|-|=)?\s?\d{1,2}(?:[.,]\d+)?\s?(?:%|pts?\b|points?\b)/,
    needs: CRITERIA_LIST_CONTEXT,
    comment: '"Pondération : prix 60 %, valeur technique 30 %, insertion professionnelle 10 %".',
  },
  // --- environmental, explicit award criteria
  {
    id: 'weighted-environment-criterion',
    topic: 'environmental',
    role: 'criterion',
    pattern:
      /\b(?:developpement durable|(?:valeur|performance|qualite|demarche) environnementale|environnement)\s?(?:\(|:|-|=)?\s?\d{1,2}(?:[.,]\d+)?\s?(?:%|pts?\b|points?\b)|\b\d{1,2}(?:[.,]\d+)?\s?(?:%|points?) (?:pour|au titre de|consacres? a) (?:la |le |l')?(?:developpement durable|(?:valeur|performance|qualite|demarche) environnementale|environnement)\b/,
    needs: CRITERIA_LIST_CONTEXT,
    comment: '"Jugement des offres : prix (60 %), valeur technique (30 %), développement durable (10 %)", "valeur technique : 60 % dont 10 % pour la démarche environnementale".',
  },
  {
    id: 'environment-performance',
    topic: 'environmental',
    role: 'criterion',
    pattern: /performances? en matiere (?:de protection de l'environnement|environnementale)/,
    comment: 'R2152-7 wording: "performances en matière de protection de l’environnement".',
  },
  {
    id: 'environment-criterion',
    topic: 'environmental',
    role: 'criterion',
    pattern:
      /\b(?:sous-)?criteres? (?:d'attribution |de jugement )?(?:environnementa(?:l|ux)|ecologiques?|de developpement durable|(?:de |relatifs? a la |relatifs? au )?(?:performance environnementale|developpement durable))\b|\b(?:sous-)?criteres?\b[^.;]{0,80}?\b(?:environnement(?!al)|environnementa\w+|developpement durable|bilan carbone|empreinte carbone|ecologique)/,
    comment: '"critère environnemental", "sous-critère : performance en matière de développement durable".',
  },
  // --- environmental, execution clause
  {
    id: 'environment-clause',
    topic: 'environmental',
    role: 'auto',
    pattern: /\bclauses? (?:sociales? (?:et|ou|ni) )?(?:environnementa(?:le|les|l|ux)|ecologiques?|vertes?|de developpement durable)\b/,
    comment: '"clause environnementale", "clauses sociales et environnementales".',
  },
  {
    id: 'environment-provisions',
    topic: 'environmental',
    role: 'auto',
    pattern:
      /\b(?:dispositions?|considerations?|exigences?|prescriptions?|conditions? (?:particulieres? )?d'execution) (?:a caractere |de nature |d'ordre |en matiere |(?:relatives?|liees?) aux? domaines? (?:social et (?:au domaine )?)?)?(?:environnementa(?:l|le|les|ux)|ecologiques?)\b|\bconditions? (?:particulieres? )?d'execution[^.;]{0,60}?\b(?:environnement|developpement durable)/,
    comment: '"dispositions à caractère environnemental(e)", "considérations environnementales", "conditions d’exécution … environnement".',
  },
  {
    id: 'circular-economy',
    topic: 'environmental',
    role: 'auto',
    pattern: /\beco-?concep(?:tion|t\w*)|\breemploi\b|\beconomie circulaire\b|\bmateriaux (?:biosources|recycles|de reemploi)\b|\bbiosource/,
    comment: 'Éco-conception, réemploi, économie circulaire, materials.',
  },
  {
    id: 'carbon-labels',
    topic: 'environmental',
    role: 'auto',
    pattern:
      /\b(?:bilan|empreinte) carbone\b|\bgaz a effet de serre\b|\bbas carbone\b|\bdecarbon\w+|\beco-?label\w*|\blabels? (?:ecologiques?|environnementa\w+)|\bnf environnement\b|\bagriculture biologique\b|\bproduits? (?:issus de l'agriculture )?biologiques?\b|\begalim\b/,
    comment: 'Carbon footprint, eco-labels, organic products (EGalim).',
  },
  {
    id: 'waste-management',
    topic: 'environmental',
    role: 'auto',
    pattern: /\b(?:gestion|tri(?: selectif)?|valorisation|reduction|tracabilite) des dechets\b|\b(?:trier|valoriser|recycler|reduire)(?: et (?:valoriser|recycler|traiter|reduire))? (?:les|ses) dechets\b|\bso[gs]ed\b/,
    needs: /conditions? (?:particulieres? )?d'execution|\bclauses?\b|s'engage|exigences?|\bso[gs]ed\b|\bcriteres?\b/,
    comment: '"gestion des déchets de chantier (SOGED)" imposed on the holder.',
  },
  {
    id: 'waste-obligation',
    topic: 'environmental',
    role: 'auto',
    pattern: /\b(?:dechets|gravats|deblais)\b[^.;]{0,40}?\b(?:sera|seront|doit etre|doivent etre|devra etre|devront etre) (?:trie|valorise|recycle|reemploye|reutilise)e?s?\b/,
    comment: '"Les déchets de chantier seront triés et valorisés", "la totalité des déchets sera triée": a requirement by its modal.',
  },
  {
    id: 'environmental-qualities',
    topic: 'environmental',
    role: 'auto',
    pattern:
      /\brespectueu(?:x|se|ses) de l'environnement\b|\bhaute qualite environnementale\b|\bhqe\b|\bforets? gerees? durablement\b|\bgestion durable des forets\b|\bpefc\b|\bfsc\b(?!-)|(?<!\bzones? a )\b(?:tres )?faibles? emissions?\b|\b(?:energies?|electricite|origine|sources?)(?: \d{1,3} ?%)? renouvelables?\b(?! (?:une|deux|trois|quatre|\d+) fois| par (?:tacite )?reconduction| tacitement| expressement| annuellement| chaque annee| pour (?:une|un|\d))|\bchantiers? (?:a )?faibles? nuisances\b|\bchantiers? verts?\b(?!-)|\bcharte (?:de |du )?chantier (?:propre|vert)\b/,
    requirement: REQUIREMENT_CONTEXT,
    comment: 'Qualities required of the service or supply: "respectueux de l’environnement", HQE, wood from sustainably managed forests (PEFC/FSC), low-emission vehicles (not the "zone à faibles émissions"), renewable electricity (not a contract "renouvelable une fois"), "chantier à faibles nuisances"; outside execution conditions and criteria, only when required (a study of renewable energies is not a clause).',
  },
  {
    id: 'recycling',
    topic: 'environmental',
    role: 'auto',
    pattern:
      /\bpour (?:leur |son |sa )?recyclage\b|\brecyclage (?:des|de leurs?|de ses|du|de la|de l') ?(?:emballages?|dechets|materiaux|papiers?|cartons?|cartouches|toners?|palettes|deee|equipements|mobiliers?|produits|consommables|huiles|pneus|pneumatiques|batteries|piles|gravats|textiles?|plastiques?)\b|\bfilieres? (?:agreees? )?de recyclage\b|\brecyclables?\b/,
    needs: ENV_CONTEXT,
    comment: '"emballages repris par le titulaire pour recyclage", "filière de recyclage" (not a recycling service bought, nor a « formation de recyclage », which is refresher training).',
  },
  {
    id: 'sustainable-development',
    topic: 'environmental',
    role: 'auto',
    pattern: /\bdeveloppement durable\b|\bprotection de l'environnement\b|\bincidences? (?:sur|de) l'environnement\b|\bimpacts? environnementa\w+/,
    needs: ENV_CONTEXT,
    comment: '"développement durable", "protection de l’environnement" with a clause or criterion context.',
  },
];

/**
 * Social wording that, inside an award-criterion text (path mentions a criterion), makes a social
 * criterion. Run after NOISE masks ("raison sociale", "insertion paysagère"…).
 */
export const SOCIAL_CRITERION_WORDS =
  /\binsertion\b|\bsocia(?:l|le|les|ux)\b|\bsolidaires?\b|\bhandicap\w*|\beloigne\w* de l'emploi|\bdefavorise\w*|\bdemandeurs? d'emploi|\bchomeurs?\b|\bpublics? en difficulte|\bemploi local\b|\begalite (?:professionnelle|femmes|entre les femmes)/;
/** Environmental wording that, inside an award-criterion text, makes an environmental criterion. */
export const ENVIRONMENTAL_CRITERION_WORDS =
  /\benvironnement\w*|\bdeveloppement durable\b|\becologi\w+|\bcarbone\b|\bco2\b|\bgaz a effet de serre\b|\benergetique\b|\brecycl\w+|\breemploi\b|\beconomie circulaire\b|\bbiodiversite\b|\beco-?concep\w+|\beco-?label\w*|\bcircuits? courts?\b|\bbiologiques?\b|\bbio\b|\bemissions?\b|\bpollution\b|\bdechets\b|\bbiosource\w*/;

/** Wording that makes an execution-condition or award-criterion article (L2112-2, R2152-7…) social. */
export const SOCIAL_ARTICLE_WORDS = /\binsertion\b|\bsocia(?:l|le|les|ux)\b|\bemploi\b|\bhandicap\w*|\bdefavorise\w*|\beloigne\w*|\bchomeurs?\b/;
/** Wording that makes such an article environmental. */
export const ENVIRONMENTAL_ARTICLE_WORDS = /\benvironnement\w*|\bdeveloppement durable\b|\becologi\w+|\bcarbone\b|\breemploi\b|\beconomie circulaire\b/;

/** An award-criterion text, by its path (BOAMP CRITERES_ATTRIBUTION/CRITERE, eForms AwardingCriterion, criteresAttribution, criterePondere…). */
export const CRITERION_PATH = /crit[eè]r/i;
/** …but not selection criteria of candidates nor the BOAMP indexation flags. */
export const NOT_CRITERION_PATH = /select|sociaux_env|eligib/i;

/**
 * Phrases masked (blanked) before the social and environmental rules run: they contain the words but are
 * not about inclusion or the environment.
 */
export const NOISE: RegExp[] = [
  /\binsertion (?:paysagere|urbaine|architecturale|dans (?:le|la|son|sa|l'|les|leur) ?(?:site|paysage|environnement|cadre|tissu|bati|quartier|existant|contexte|terrain|batiment|ouvrage|projet|perspective|page|document|texte|base|logiciel|systeme|fichier|tableau|bulletin|journal|magazine|revue|publication|support)\w*|du (?:projet|batiment|ouvrage)|au site|d'annonces?|publicitaire|presse|de (?:publicites?|l'avis|l'annonce|photos?)|des (?:annonces|avis|encarts))\b/g,
  /\b(?:raison|denomination) sociale\b|\bsiege social\b|\bcapital social\b|\bsecurite sociale\b|\b(?:charges|cotisations|dettes|obligations) sociales?(?: et fiscales?)?\b|\breseaux sociaux\b|\baction sociale\b|\baide sociale\b|\blogements? sociaux\b|\bprotection sociale\b|\bobjet social\b|\bregularite (?:sociale|fiscale)\b|\bmedico-social\w*|\bsocio-?culturel\w*|\bdialogue social\b|\bbailleurs? sociaux\b|\bhabitat social\b|\bclause de sauvegarde\b/g,
  /\bobligation d'emploi des travailleurs handicapes\b|\bl\.?\s?5212-\d+\b|\bdeclaration obligatoire d'emploi des travailleurs handicapes\b/g,
  /\bcriteres? d'eligibilite\b|\bcriteres? de selection des (?:candidats|candidatures|publics|personnes)\b/g,
  /\bcode de l'environnement\b|\b(?:direction|service|ministere|agence) (?:de l'environnement|du developpement durable)[\w ]{0,40}/g,
];

// ---------------------------------------------------------------------------------------------------
// Negation

/** Words that negate a match when they precede it, only separated by FILLERS: "pas de clause sociale", "aucune clause", "non réservé", "ni clause…". */
export const NEGATION_CUES = new Set(['pas', 'aucun', 'aucune', 'aucuns', 'aucunes', 'sans', 'ni', 'non', 'jamais', 'absence', 'nul', 'nulle']);

/** Words allowed between a negation cue and the match ("n’est pas soumis à une clause", "ne fait pas l’objet d’une réservation"). */
export const NEGATION_FILLERS = new Set(
  (
    "de d' du des la le les l' un une a au aux en y il pour par sur dans ce cette ces son sa ses leur leurs ( ) - / . " +
    'soumis soumise soumises concerne concernee concernes concernees assorti assortie assortis assorties prevu prevue prevus prevues ' +
    'inclus incluse inclue reserve reservee reserves reservees titre article articles art objet dispositions disposition specifique specifiques ' +
    'particulier particuliere particulieres lieu prevoir inclure imposer integrer exiger inserer appliquer applique appliquee applicable applicables ' +
    'retenu retenue retenus retenues impose imposee exige exigee demande demandee est sont sera seront etre fait font comporte comportent contient ' +
    'integre integree mis mise en place oeuvre ni sens application vertu conformement mentionne mentionnee mentionnes vise visee vises ' +
    'ete juge jugee opportun souhaite souhaitee decide decidee envisage envisagee possible necessaire utile'
  ).split(' '),
);

/** After the match, the answer to a label or question: "Marché réservé : non", "Clause sociale ? Néant", "MARCHE_RESERVE_NON". */
export const NEGATIVE_ANSWER = /^[^:?=]{0,90}?[:?=]\s?(?:[☐□]\s?oui\s?[☒☑■x✓✔]\s?non|non|no|neant|sans objet|aucun|aucune|nc|n\/a|sans|pas de|non applicable|nul|nulle)(?![a-z])|^\s?-?\s?(?:non|neant|sans objet)(?![a-z])/;
/** After the match, a negated verb whose subject is the match: "la clause d’insertion ne s’applique pas", "…n’est pas prévue". */
export const NEGATED_VERB_AFTER =
  /^\s?(?:(?:et|ou)\s[a-z'-]+\s|[a-z'-]+\s)?(?:n'|ne\s)(?:est|sont|sera|seront|s'applique|s'appliquent|s'appliquera|s'appliqueront|concerne|concernent|a|ont|y a|fait|font|figure|figurent|existe)\b[^.;]{0,20}?\b(?:pas|aucun|aucune|point|nullement)\b/;
/** Where a clause of a sentence ends: negation and lots do not cross it. */
export const CLAUSE_BOUNDARY = /;|\s(?:mais|cependant|toutefois|en revanche|par contre|alors que)\b/g;

// ---------------------------------------------------------------------------------------------------
// Insertion hours

/** A number as French notices write it: "1 500", "1.500", "1500", "350,5". Spaces are already single plain spaces. */
export const NUMBER = /(?<![\w.,'\-/°])(\d{1,3}(?:[ .]\d{3})+|\d+)(?:,(\d{1,2}))?(?![\d.,]\d)(?![\d])/g;
/** After a number: an hour unit, but not a time of day ("12h00", "8 h 30"). */
export const HOUR_UNIT_AFTER = /^\s?(?:h|hrs?|heures?)(?![a-z])(?!\s?\d)/;
/** Insertion wording near an hour quantity (after it, or before it in the clause). */
export const INSERTION_WORDING = /\binsertion\b|\bclauses? sociales?\b|\beloigne\w* (?:de l'emploi|du marche du travail)|\bpublics? en difficulte|\bpersonnes? en difficulte|\brencontrant des difficultes (?:sociales|professionnelles|d'acces a l'emploi|d'insertion)/;
/** Hours that are not insertion hours: delays, opening hours, weekly or daily hours. */
export const HOURS_NOT_BEFORE = /(?:\bformation (?:de|d'une duree de)|\bsous|\bdelai(?: de)?|\bdans les|\bdans un delai de|\ben moins de|\bavant|\bapres|\btoutes les|\bchaque|\bouverture|\bhoraires?|\bentre|\bde \d+\s?h? a|\bpreavis de)\s?$/;
export const HOURS_NOT_AFTER = /^\s?(?:h|heures?)\s?(?:sur|\/)\s?24\b|^\s?(?:h|heures?)\s(?:d'insertion\s)?(?:par|pour chaque) tranche\b|^\s?(?:h|hrs?|heures?)?\s?(?:par|\/)\s?(?:jour|semaine|mois|an\b|salarie|personne|agent|tranche|groupe|stagiaire|session|module|beneficiaire)|^\s?(?:h|heures?)?\s?(?:hebdo\w*|quotidien\w*|mensuel\w*|annuel\w*)/;
/** Hours of another kind named right after the number: not insertion hours unless insertion wording follows directly. */
export const OTHER_HOURS_KIND = /^\s?(?:h|hrs?|heures?)\s(?:de formation|travaillees|de main[ -]d'oeuvre|d'ouverture|de presence|d'intervention|de conduite|de cours)/;
/** A clause that goes on from the previous one ("…; elle s'applique aux lots 1 et 2 pour 300 heures"). */
export const CLAUSE_GOES_ON = /^\s?(?:elle|celle-ci|ce volume|cette clause|celles?-ci|le volume (?:correspondant|horaire|d'heures)|ce qui represente)\b/;
/** A bare hours label, read as insertion hours right after a sentence stating a social clause ("Nombre d'heures : 350"). */
export const HOURS_BARE_LABEL_BEFORE = /\b(?:nombre|volume|total)s?\s(?:d'heures|horaires?)\s?(?:minimum|minimal|exige|requis|prevu)?\s?:?\s?$/;
/** « Volume : » alone, read as insertion hours right after the clause only with an hour unit and nothing after it (not « Volume : 300 m3 »). */
export const VOLUME_LABEL_BEFORE = /\bvolumes?\s?:\s?$/;
/** After a number with an hour unit: nothing that names another kind of hours (« 2 000 heures », « 1 200 h au minimum », not « 6 000 heures de ménage »). */
export const BARE_HOURS_AFTER = /^\s?(?:h|hrs?|heures?)\s?(?:$|[.;,:)(]|minimum|au (?:moins|minimum|total)|environ|sur (?:la duree|l'ensemble))/;
/** A volume stated for each of several lots (otherwise one volume for several lots counts once in the total). */
export const HOURS_EACH_LOT = /\bchacun|\bchaque lot|\bpar lot\b|\brespectivement/i;
/** Hours of the service bought (an insertion service): never insertion hours, whatever follows. */
export const SERVICE_HOURS_KIND = new RegExp(String.raw`^\s?(?:h|hrs?|heures?)\s(?:${SERVICE_HOURS})`);
/** "… heures de travail": the base of a share when a percentage comes before ("5 % des heures, soit 7 000 heures de travail"). */
export const WORK_HOURS_AFTER = /^\s?(?:h|hrs?|heures?)\s(?:de travail|de main[ -]d'oeuvre)(?! (?:d'|en |reservees? a l'|consacrees? a l'|dediees? a l')insertion)/;
export const PERCENTAGE = /\d\s?(?:%|pour ?cent)/;
/** A share of all hours, then the estimate of those hours: "7 % des heures de main-d'œuvre, estimées à 3 000 heures" (the base; the insertion hours are 7 % of it). Groups: the share. */
export const SHARE_BASE_BEFORE = /(?<![\d,])(\d{1,2})(?:,(\d{1,2}))?\s?(?:%|pour ?cent) (?:des|du total des|du nombre (?:total )?d') ?heures\b[^0-9;]*\b(?:estimee?s?|evaluee?s?|prevue?s?|totales?|total|sur la base|sur un total)\b[^0-9;]{0,15}$/;
/** An hour quantity, to cut the words read backwards after the previous one. */
export const HOUR_QUANTITY = /\d[\d .,]*\s?(?:h|hrs?|heures?)(?![a-z])/g;
/** How far after an insertion-hours number a following number still belongs to the same list ("lot 1 = 500 h, lot 2 = 300 h"). */
export const HOURS_LIST_GAP = 60;
/** Words that may separate the numbers of an hours list across clauses ("300 heures pour le lot 1 ; 200 heures pour le lot 2"). */
export const HOURS_LIST_FILLERS = /\blots?\b|\bpour\b|\b(?:le|les|et)\b/g;
/** A generic hours label ("Nombre d'heures : 350") whose clause speaks of insertion elsewhere. */
export const HOURS_GENERIC_LABEL_BEFORE = /\b(?:nombre|volume|total|quota)s?\s(?:d'heures|horaires?)\b[^0-9;]{0,25}$/;
/** A label followed by the number without unit: "nombre d'heures d'insertion : 700". */
export const HOURS_LABEL_BEFORE =
  /(?:\b(?:nombre|nb|volume|total|quota|objectif)s?\s(?:horaires?\s)?(?:d'heures?\s|des heures\s|heures\s)?(?:de travail\s)?(?:d'|de |en |consacrees? a l'|reservees? a l'|dediees? a l')?insertion|\bheures? (?:de travail )?(?:d'|en |consacrees? a l'|reservees? a l'|dediees? a l')insertion(?: (?:exigees?|prevues?|minimum|minimales?|demandees?|requises?|estimees?|imposees?|a realiser))?)[^0-9;]{0,40}$/;
/** After a label number: not hours but a share, an amount, a duration or an ordinal. */
export const NOT_HOURS_AFTER = /^\s?(?:%|pour ?cent|etp|e\.t\.p|€|euros?|eur\b|k€|mois|ans?\b|annees?|jours?|semaines?|personnes?|salaries?|postes?|lots?|er\b|ere\b|eme\b|e\b|°)/;
/** Before a number: it names something else (a lot, an article, a reference). */
export const NUMBER_NOT_AFTER = /(?:\blots?|\bn°|\bno|\bnumero|\barticles?|\bart\.?|\bl\.?|\br\.?|\bannee|\ben|\bdu|\bau|\ble|\bdepuis)\s?$/;

// ---------------------------------------------------------------------------------------------------
// Lots named in a sentence of a notice-level text

/** "lot 2", "lot n° 3", "lots 1 et 2", "lots 1, 2 et 4", "lots 1 à 3", "lots n°1-3". Group 1: the list. */
export const LOT_REFERENCE = /\blots?\s?(?:n°|no|nº|numeros?)?\s?(\d{1,3}(?:\s?(?:,|et|ou|&|a|au)\s?(?:(?:le |les )?lots?\s?)?(?:n°|no)?\s?\d{1,3}(?![ .]\d{3}(?!\d))|-\d{1,3})*)(?![\d])(?!\s?(?:%|€|euros?|heures?|h\b))/g;

// ---------------------------------------------------------------------------------------------------
// Prefilter

/**
 * What every rule above needs in its sentence, at least one of: the start of a reservation trigger
 * ("réserv", but not "se réserve", "sous réserve" nor "réservoir", which no trigger accepts), article
 * numbers and the names of the former texts, the insertion wording without which no number is read as
 * insertion hours, and the words of each social or environmental phrase rule (for a rule whose words are
 * common, e.g. "sociale" in "raison sociale", the phrase itself: "clause sociale", "critère social"…).
 * Most sentences of a notice hold none of them: the classifier skips those, and a whole text without any,
 * before running the rules. Keep it in step with the rules: a rule that can match without any of these
 * must add its words here, or it never runs.
 */
export const RULE_STEMS = new RegExp(
  [
    // reservation triggers
    String.raw`(?<!\b(?:se|sous) )reserv(?!oir)`,
    '(?:ouvert|destine|accessible|limite)e?s? (?:exclusivement|uniquement|seulement)',
    '(?:exclusivement|uniquement|seulement) (?:ouvert|destine|accessible)',
    "(?:ouvert|accessible|destine)e?s? qu'a",
    // articles
    String.raw`2112|2113|2152|3113|ordonnance|\bcmp\b|decret|code des marches publics`,
    // social wording, insertion hours
    "insertion|eloigne|en difficulte|rencontrant des difficultes|promotion de l'emploi|facilitat|a des personnes|a des publics",
    String.raw`\bsiae\b|\betti\b|\bgeiq\b|\besat\b|entreprises? adaptees?|associations? intermediaires?`,
    "possibilites d'emploi|objectifs sociaux",
    "(?:nombre|volume|total)s? (?:d'heures|horaire)|volumes? ?:",
    "criteres? (?:d'attribution |de jugement |de choix )?(?:de performance )?socia",
    'clauses?(?: environnementales?(?: et| ou| ni)?)? socia',
    "d'execution (?:a caractere |de nature |d'ordre )?socia",
    'considerations? socia|performances? sociales?|aspects? sociaux|engagements? sociaux|dimension sociale|responsabilite sociale',
    "considerations? (?:(?:relatives?|liees?) aux? domaines? |d'ordre |de nature |a caractere )socia",
    // environmental wording
    'clauses? (?:sociales? (?:et|ou|ni) )?vert',
    'environnement|ecologi|durable|carbon|effet de serre|ecoconcep|eco-concep|reemploi|economie circulaire|biosource|materiaux recycles|label|biologique|egalim|soged|sosed',
    String.raw`respectueu|\bhqe\b|\bpefc\b|\bfsc\b|faibles? emission|renouvelable|faibles? nuisances|chantiers? vert|chantier propre|recyclab|recyclage|gravats|deblais`,
    'dechets', // waste: its rules read the words around it (« gestion des déchets », « les déchets … seront triés »)
  ].join('|'),
);

/** The same for award-criterion texts, whose social and environmental words alone make a criterion (SOCIAL_CRITERION_WORDS, ENVIRONMENTAL_CRITERION_WORDS). */
export const CRITERION_TEXT_STEMS = new RegExp(
  `${RULE_STEMS.source}|socia|solidaire|handicap|defavorise|demandeur|chomeur|emploi local|egalite|difficulte|co2|energetique|recycl|bio|emission|pollution|dechet|circuit`,
);

/**
 * Words without which a group of rules cannot match in a sentence that passed RULE_STEMS: the classifier
 * runs a group only when its words are there. Keep each in step with its rules.
 */
export const GROUP_NEEDS = {
  /** RESERVATION_TRIGGERS (on the normalised sentence). */
  reservation: /reserv|exclusivement|uniquement|seulement|qu'a/,
  /** PHRASE_RULES of topic social (on the masked sentence). */
  socialPhrases: /insertion|socia|eloigne|difficulte|promotion de l'emploi|facilitat|a des personnes|a des publics|possibilites d'emploi|sous-trait|co-?trait|mise a disposition|confier|recours a|faire appel a/,
  /** PHRASE_RULES of topic environmental (on the masked sentence). */
  environmentalPhrases: /environnement|ecologi|durable|carbon|vert|concep|reemploi|circulaire|biosource|recycl|effet de serre|label|biologique|egalim|dechets|soged|sosed|respectueu|hqe|pefc|fsc|emission|renouvelable|nuisances|chantier|gravats|deblais/,
  /** ARTICLE_CITATION. */
  citations: /2112|2113|2152|3113/,
  /** OLD_ARTICLES. */
  oldArticles: /ordonnance|marches publics|cmp|decret/,
};

/** For each NOISE pattern, in order, words without which it cannot match. */
export const NOISE_NEEDS: RegExp[] = [/insertion/, /soci|regularite|sauvegarde/, /handicap|5212/, /critere/, /environnement|developpement durable/];
