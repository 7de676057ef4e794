// BOAMP open data (DILA on Opendatasoft, Licence Ouverte 2.0): one record = one notice, flat header fields
// (idweb, objet, nomacheteur, dateparution, criteres…) and `donnees`, the notice itself as a JSON string (or
// an object) in one of three shapes (research notes §1.2-1.4):
//   (a) the legacy Boamp_v2xx tree, UPPER_SNAKE keys (IDENTITE, OBJET, CONDITION_PARTICIPATION…; `gestion`
//       holds GESTION). `readLegacyTree` and `readGestion` also read BOAMP XML files (boamp-xml.ts). Keys are
//       matched loosely (case and "_" ignored) so the former DILA API's lower-cased tree reads the same;
//   (b) the national forms MAPA / FNSimple, camelCase, no published schema: read best effort, and every
//       value that looks like prose becomes a text for the classifier;
//   (c) {"EFORMS": {"ContractNotice"|…: UBL as JSON}}: read by the eForms tree reader (eforms.ts).
// Files: a JSON array, JSON lines, or an API/export envelope ({"results": […]}, {"records": [{"record":
// {"fields": …}}]}), streamed so that a 1 GB export never sits in memory: each record is delimited in the
// text and parsed by JSON.parse (json-scan.ts); at the first thing that path does not expect, stream-json
// reads the file again from the start (records already given are skipped) and tells where it breaks.
//
// Decisions where the notes are silent:
// - `criteres` ∋ "sociaux" and GESTION…CRITERES_SOCIAUX_ENV.SOCIAUX give a socialClause finding ("sociaux"):
//   the facet mixes clauses and criteria, and for a facilitator the actionable reading is "this notice has
//   a social consideration to follow up", i.e. an insertion clause; the text rules may add a criterion.
// - MARCHE_RESERVE_OUI: ATELIERS_PROTEGES or EMPLOIS_PROTEGES → reserved "handicap" (one finding each), neither
//   → "unspecified"; MARCHE_RESERVE_NON gives nothing. Under a LOT, the finding carries the lot number.
// - Places: département of performance (header code_departement_prestation, DEP_PRESTATION) and the places
//   written in the notice (LIEU_EXEC_LIVR postcode/NUTS, lots' NUTS); only when none is known, the
//   publication départements (code_departement, DEP_PUBLICATION), which are the buyer's.
// - A LOT without NUM in a notice that is not divided into lots (DIV_EN_LOTS/NON) describes the contract
//   itself: its CPV, places, value and texts are the notice's.
// - Award notices: one award per DECISION; a DECISION listing several TITULAIRE each with its RENSEIGNEMENT
//   (a multi-holder framework agreement) gives one award per holder. The notice amount is the estimated
//   value, else the sum of the lots' values, else (award notices) ATTRIBUTION.VALEUR_TOTALE.
import path from 'node:path';
import readline from 'node:readline';
import Assembler from 'stream-json/assembler.js';
import { parser as jsonParser } from 'stream-json';
import { verifyFile } from 'stream-json/file/verifier.js';
import { AppError } from '../../../core/errors.ts';
import { openUtf8, readHead } from '../../directory/imports/utf8.ts';
import {
  emptyPlaces,
  type AwardHolder,
  type Finding,
  type Notice,
  type NoticeAward,
  type NoticeLot,
  type NoticeNature,
  type NoticePlaces,
  type NoticeText,
  type ReadItem,
} from '../model.ts';
import { EFORMS_NOTICE_ROOTS, localName, readEformsTree } from './eforms.ts';
import { JsonAnomaly, JsonText, strictUtf8Chunks } from './json-scan.ts';
import { addDepartement, addNuts, addPostcode, hasDepartement, mergePlaces } from './places.ts';
import {
  all,
  amountOf,
  cpv8,
  distinct,
  isNode,
  isoDay,
  isoDeadline,
  siret14,
  textOf,
  type NoticeBody,
  type TreeNode,
  type TreeValue,
} from './xml-tree.ts';

// ---------------------------------------------------------------------------------------------------
// Reading the legacy tree with loose keys.

const looseKeys = new Map<string, string>();
/** A key compared loosely: upper case, without "_", "-" or spaces (memoised: trees repeat the same keys). */
function looseKey(k: string): string {
  let loose = looseKeys.get(k);
  if (loose === undefined) {
    loose = k.replace(/[_\-\s]/g, '').toUpperCase();
    if (looseKeys.size < 50_000) looseKeys.set(k, loose);
  }
  return loose;
}

/** Each node's keys by their loose form, built on first use. */
const looseIndexes = new WeakMap<TreeNode, Map<string, string>>();

/** The child `key` of a node (first element when the node is a list), keys compared loosely. */
function get(node: TreeValue | undefined, key: string): TreeValue | undefined {
  const n = Array.isArray(node) ? node[0] : node;
  if (!isNode(n)) return undefined;
  if (key in n) return n[key];
  let index = looseIndexes.get(n);
  if (!index) {
    index = new Map(Object.keys(n).map((k) => [looseKey(k), k]));
    looseIndexes.set(n, index);
  }
  const found = index.get(looseKey(key));
  return found === undefined ? undefined : n[found];
}

/** Every value at `keys` from `node`, through lists at any step. */
function getAll(node: TreeValue | undefined, ...keys: string[]): TreeValue[] {
  let current = all(node);
  for (const key of keys) {
    const next: TreeValue[] = [];
    for (const x of current) {
      const v = get(x, key);
      if (Array.isArray(v)) for (const item of v) next.push(item);
      else if (v !== undefined && v !== null) next.push(v);
    }
    current = next;
  }
  return current;
}

/** The first value of getAll over `values` (a node's all()), found without listing the others. */
function firstOf(values: TreeValue[], keys: string[], from: number): TreeValue | undefined {
  if (from === keys.length) return values[0];
  for (const x of values) {
    const found = firstOf(all(get(x, keys[from])), keys, from + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

const at = (node: TreeValue | undefined, ...keys: string[]) => firstOf(all(node), keys, 0);
const textAt = (node: TreeValue | undefined, ...keys: string[]) => textOf(at(node, ...keys));
/** A marker element (<X/>, "" or null in JSON) is there. */
const has = (node: TreeValue | undefined, key: string) => get(node, key) !== undefined;
/** The name of the first child element (enumerations written as <NATURE><APPEL_OFFRE/></NATURE>). */
function choiceOf(node: TreeValue | undefined): string | null {
  const n = Array.isArray(node) ? node[0] : node;
  if (typeof n === 'string') return n.trim() || null;
  if (!isNode(n)) return null;
  return Object.keys(n).find((k) => !k.startsWith('@') && !k.startsWith('#')) ?? null;
}

/** Two parts of a dotted path joined (an empty part is left out). */
const childPath = (where: string, key: string) => (key === '' ? where : where === '' ? key : `${where}.${key}`);

const fieldFinding = (kind: Finding['kind'], value: string, lot: string | null, where: string, excerpt: string): Finding => ({
  kind,
  value,
  lot,
  origin: 'field',
  path: where,
  excerpt,
});

// ---------------------------------------------------------------------------------------------------
// Natures and procedures.

/** BOAMP nature codes (v230 EnumNature, header `nature`). */
export function natureFromCode(code: string | null): NoticeNature | null {
  const c = looseKey(code ?? '');
  if (!c) return null;
  if (c.startsWith('APPELOFFRE')) return 'contract';
  if (c === 'ATTRIBUTION') return 'award';
  if (c === 'MODIFICATION') return 'modification';
  if (c === 'PREINFORMATION') return 'prior';
  if (['RECTIFICATIF', 'ANNULATION', 'INTENTIONCONCLURE', 'SOUSTRAITANCE', 'PROFILACHETEUR'].includes(c)) return 'other';
  return null;
}

/** Labels ("Avis de marché", "Résultat de marché", "Avis de pré-information"…). */
export function natureFromLabel(label: string | null): NoticeNature | null {
  const l = (label ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  if (!l) return null;
  if (/attribution|resultat/.test(l)) return 'award';
  if (/modification/.test(l)) return 'modification';
  if (/rectificatif|annulation/.test(l)) return 'other';
  if (/pre-?\s?information/.test(l)) return 'prior';
  if (/marche|appel|concours|concession|consultation/.test(l)) return 'contract';
  return 'other';
}

const PROCEDURE_LABELS: Record<string, string> = {
  OUVERT: 'Procédure ouverte',
  RESTREINT: 'Procédure restreinte',
  NEGOCIE: 'Procédure négociée',
  PROCEDUREADAPTE: 'Procédure adaptée',
  DIALOGUECOMPETITIF: 'Dialogue compétitif',
  PARTENARIATINNOVATION: 'Partenariat d’innovation',
  CONCOURSOUVERT: 'Concours ouvert',
  CONCOURSRESTREINT: 'Concours restreint',
};

// ---------------------------------------------------------------------------------------------------
// GESTION: reference, indexation.

export interface GestionFacts {
  id: string | null;
  nature: NoticeNature | null;
  publishedAt: string | null;
  deadline: string | null;
  /** RESUME_OBJET: the short subject. */
  summary: string | null;
  prestation: string[];
  publication: string[];
  findings: Finding[];
}

/** What the GESTION block says (the `gestion` field of a BOAMP record, <GESTION> of an XML notice). */
export function readGestion(gestion: TreeValue | undefined): GestionFacts {
  const indexation = get(gestion, 'INDEXATION');
  const criteria = get(indexation, 'CRITERES_SOCIAUX_ENV');
  const findings: Finding[] = [];
  const criteriaPath = 'GESTION.INDEXATION.CRITERES_SOCIAUX_ENV';
  if (has(criteria, 'SOCIAUX')) findings.push(fieldFinding('socialClause', 'sociaux', null, `${criteriaPath}.SOCIAUX`, 'SOCIAUX'));
  if (has(criteria, 'ENVIRONNEMENTAUX'))
    findings.push(fieldFinding('environmentalClause', 'environnementaux', null, `${criteriaPath}.ENVIRONNEMENTAUX`, 'ENVIRONNEMENTAUX'));
  const texts = (key: string) => getAll(indexation, key).map(textOf).filter((t): t is string => t !== null);
  return {
    id: textAt(gestion, 'REFERENCE', 'IDWEB'),
    nature: natureFromCode(choiceOf(at(gestion, 'REFERENCE', 'TYPE_AVIS', 'NATURE'))),
    publishedAt: isoDay(at(indexation, 'DATE_PUBLICATION')),
    deadline: isoDeadline(at(indexation, 'DATE_LIMITE_REPONSE')),
    summary: textAt(indexation, 'RESUME_OBJET'),
    prestation: texts('DEP_PRESTATION'),
    publication: texts('DEP_PUBLICATION'),
    findings,
  };
}

// ---------------------------------------------------------------------------------------------------
// DONNEES: the legacy notice body.

/** Elements whose text the classifier reads (compared loosely). */
const LEGACY_TEXT_KEYS = new Set(
  [
    'TITRE_MARCHE',
    'OBJET_COMPLET',
    'INTITULE',
    'DESCRIPTION',
    'CONDITION_PARTICULIERE_EXECUTION',
    'CRITERE',
    'CRITERES_LIBRE',
    'RENS_COMPLEMENT',
    'INFO_COMPL',
    'MARCHE_RESERVE_OUI',
  ].map(looseKey),
);
/** Any other element about clauses, insertion or social matters is read too (later schema versions). */
const LEGACY_TEXT_PATTERN = /CLAUSE|INSERTION|SOCIA/;
/** Subtrees without notice text (addresses, contacts). */
const LEGACY_SKIPPED = new Set(['IDENTITE', 'ADRESSES_COMPLEMENTAIRES', 'TYPE_ORGANISME', 'TYPE_POUVOIR_ADJUDICATEUR', 'ACTIVITE_PRINCIPALE'].map(looseKey));

type LegacyVisitor = (key: string, value: TreeValue, where: string, lot: string | null) => void;

/**
 * Visits every element of a legacy tree with its dotted path and its lot: under OBJET.LOTS.LOT the lot's NUM
 * (or its rank when several lots have none), under ATTRIBUTION.DECISION its NUM_LOT.
 */
function walkLegacy(node: TreeValue, where: string, lot: string | null, visit: LegacyVisitor) {
  if (!isNode(node)) return;
  for (const key of Object.keys(node)) {
    if (key.startsWith('@') || key.startsWith('#')) continue;
    const loose = looseKey(key);
    if (LEGACY_SKIPPED.has(loose)) continue;
    const here = childPath(where, key);
    const value = node[key];
    // An empty element converted to JSON may be null: a marker like MARCHE_RESERVE_OUI is there all the same.
    if (value === undefined) continue;
    const many = Array.isArray(value);
    const count = many ? value.length : 1;
    for (let index = 0; index < count; index++) {
      const item = many ? value[index] : value;
      let childLot = lot;
      if (loose === 'LOT') childLot = legacyLotNumber(item, index, count);
      if (loose === 'DECISION') childLot = textAt(item, 'NUM_LOT') ?? lot;
      visit(key, item, here, childLot);
      walkLegacy(item, here, childLot, visit);
    }
  }
}

function legacyLotNumber(lot: TreeValue, index: number, count: number): string | null {
  return textAt(lot, 'NUM') ?? (count > 1 ? String(index + 1) : null);
}

/**
 * In one walk of the tree: the texts the classifier reads, and MARCHE_RESERVE_OUI wherever it is
 * (CONDITION_PARTICIPATION, OBJET, a LOT).
 */
function legacyTextsAndReservations(donnees: TreeNode): { texts: NoticeText[]; findings: Finding[] } {
  const texts: NoticeText[] = [];
  const findings: Finding[] = [];
  walkLegacy(donnees, '', null, (key, value, where, lot) => {
    const k = looseKey(key);
    if (k === 'MARCHERESERVEOUI') {
      const kinds = ['ATELIERS_PROTEGES', 'EMPLOIS_PROTEGES'].filter((x) => has(value, x));
      for (const x of kinds) findings.push(fieldFinding('reserved', 'handicap', lot, `${where}.${x}`, x));
      if (kinds.length === 0) findings.push(fieldFinding('reserved', 'unspecified', lot, where, textOf(value) ?? 'MARCHE_RESERVE_OUI'));
    }
    if (!LEGACY_TEXT_KEYS.has(k) && !LEGACY_TEXT_PATTERN.test(k)) return;
    const text = textOf(value);
    if (text) texts.push({ path: where, lot, text });
  });
  return { texts, findings };
}

/** CPV.PRINCIPAL then CPV.SUPPLEMENTAIRE (CPV may be one object, a list, or a bare code). */
function legacyCpv(node: TreeValue | undefined): string[] {
  const cpvs = getAll(node, 'CPV');
  const codes = [
    ...cpvs.filter((c) => !isNode(c)),
    ...cpvs.flatMap((c) => getAll(c, 'PRINCIPAL')),
    ...cpvs.flatMap((c) => getAll(c, 'SUPPLEMENTAIRE')),
  ];
  return distinct(codes.map(cpv8).filter((c): c is string => c !== null));
}

function legacyPlaces(node: TreeValue | undefined): NoticePlaces {
  const places = emptyPlaces();
  for (const nuts of getAll(node, 'CODE_NUTS')) addNuts(places, textOf(nuts));
  for (const place of getAll(node, 'LIEU_EXEC_LIVR')) {
    addPostcode(places, textAt(place, 'CP'));
    for (const nuts of getAll(place, 'CODE_NUTS')) addNuts(places, textOf(nuts));
  }
  return places;
}

function legacyValue(node: TreeValue | undefined): number | null {
  for (const key of ['VALEUR_ESTIMEE', 'VALEUR_TOTALE', 'VALEUR']) {
    const v = at(node, key);
    const amount = amountOf(v) ?? amountOf(at(v, 'VALEUR'));
    if (amount !== null) return amount;
  }
  return null;
}

interface LegacyLots {
  lots: NoticeLot[];
  /** What a LOT without number says about the contract itself. */
  whole: { cpv: string[]; places: NoticePlaces; amount: number | null; description: string | null };
}

function legacyLots(objets: TreeValue[]): LegacyLots {
  const lots: NoticeLot[] = [];
  const whole = { cpv: [] as string[], places: emptyPlaces(), amount: null as number | null, description: null as string | null };
  for (const objet of objets) {
    const items = getAll(objet, 'LOTS', 'LOT');
    items.forEach((lot, index) => {
      const number = legacyLotNumber(lot, index, items.length);
      if (number === null) {
        whole.cpv.push(...legacyCpv(lot));
        mergePlaces(whole.places, legacyPlaces(lot));
        whole.amount ??= legacyValue(lot);
        whole.description ??= textAt(lot, 'DESCRIPTION');
        return;
      }
      lots.push({
        number,
        title: textAt(lot, 'INTITULE'),
        description: textAt(lot, 'DESCRIPTION'),
        cpv: legacyCpv(lot),
        amount: legacyValue(lot),
        places: legacyPlaces(lot),
      });
    });
  }
  return { lots, whole };
}

function legacyHolder(titulaire: TreeValue): AwardHolder {
  return { name: textAt(titulaire, 'DENOMINATION'), siret: siret14(at(titulaire, 'CODE_IDENT_NATIONAL')) ?? siret14(at(titulaire, 'SIRET')) };
}

function legacyAwards(attribution: TreeValue | undefined): NoticeAward[] {
  const awards: NoticeAward[] = [];
  const decisions = getAll(attribution, 'DECISION');
  const decidedOn = isoDay(at(attribution, 'DATE_DECISION'));
  for (const decision of decisions) {
    const lot = textAt(decision, 'NUM_LOT');
    const holders = getAll(decision, 'TITULAIRE');
    const details = getAll(decision, 'RENSEIGNEMENT');
    const award = (titulaires: TreeValue[], detail: TreeValue | undefined): NoticeAward => ({
      lot,
      holders: titulaires.map(legacyHolder),
      amount: amountOf(at(detail, 'MONTANT')) ?? (decisions.length === 1 ? amountOf(at(attribution, 'VALEUR_TOTALE')) : null),
      date: isoDay(at(detail, 'DATE_ATTRIBUTION')) ?? decidedOn,
    });
    if (holders.length > 1 && details.length === holders.length) holders.forEach((h, i) => awards.push(award([h], details[i])));
    else if (holders.length > 0) awards.push(award(holders, details[0]));
  }
  return awards;
}

function legacyNature(donnees: TreeNode): NoticeNature {
  if (getAll(donnees, 'ATTRIBUTION', 'DECISION').length > 0) return 'award';
  if (has(donnees, 'MODIF')) return 'modification';
  if (has(donnees, 'RECTIF') || has(donnees, 'ANNULATION')) return 'other';
  return has(donnees, 'CONDITION_DELAI') ? 'contract' : 'other';
}

/** The body of a legacy notice: the DONNEES tree (JSON `donnees` of shape (a), or <DONNEES> of an XML file). */
export function readLegacyTree(donnees: TreeNode): NoticeBody {
  const walked = legacyTextsAndReservations(donnees);
  const objets = getAll(donnees, 'OBJET');
  const { lots, whole } = legacyLots(objets);
  const places = emptyPlaces();
  for (const objet of objets) mergePlaces(places, legacyPlaces(objet));
  mergePlaces(places, whole.places);
  for (const lot of lots) mergePlaces(places, lot.places);
  const lotAmounts = lots.map((l) => l.amount);
  const sumOfLots = lots.length > 0 && lotAmounts.every((a) => a !== null) ? lotAmounts.reduce((s, a) => s! + a!, 0) : null;
  const attribution = get(donnees, 'ATTRIBUTION');
  const procedure = choiceOf(at(donnees, 'PROCEDURE', 'TYPE_PROCEDURE'));
  return {
    buyer: { name: textAt(donnees, 'IDENTITE', 'DENOMINATION'), siret: siret14(at(donnees, 'IDENTITE', 'CODE_IDENT_NATIONAL')) },
    title: textAt(donnees, 'OBJET', 'TITRE_MARCHE'),
    description: textAt(donnees, 'OBJET', 'OBJET_COMPLET') ?? whole.description,
    procedure: procedure ? (PROCEDURE_LABELS[looseKey(procedure)] ?? procedure) : null,
    nature: legacyNature(donnees),
    cpv: distinct([...objets.flatMap(legacyCpv), ...whole.cpv, ...lots.flatMap((l) => l.cpv)]),
    places,
    publishedAt: null,
    deadline: isoDeadline(at(donnees, 'CONDITION_DELAI', 'RECEPT_OFFRES')),
    amount: objets.map(legacyValue).find((v) => v !== null) ?? whole.amount ?? sumOfLots ?? amountOf(at(attribution, 'VALEUR_TOTALE')),
    lots,
    awards: legacyAwards(attribution),
    fieldFindings: walked.findings,
    texts: walked.texts,
  };
}

/** Départements an envelope gives besides the body (BOAMP record header fields). */
export interface EnvelopeDepartements {
  /** Of performance (code_departement_prestation). */
  prestation: string[];
  /** Of publication (code_departement): the buyer's, used only when nothing else says where. */
  publication: string[];
}

/**
 * A body completed with what GESTION (and the record header) say: id, nature, dates, social and
 * environmental facets, départements of performance; the publication départements only when no place is known.
 */
export function withGestion(body: NoticeBody, g: GestionFacts, header: EnvelopeDepartements = { prestation: [], publication: [] }): NoticeBody {
  const places = emptyPlaces();
  for (const dep of [...header.prestation, ...g.prestation]) addDepartement(places, dep);
  mergePlaces(places, body.places);
  if (!hasDepartement(places)) for (const dep of [...header.publication, ...g.publication]) addDepartement(places, dep);
  const summary = g.summary && !body.title ? [{ path: 'GESTION.INDEXATION.RESUME_OBJET', lot: null, text: g.summary }] : [];
  return {
    ...body,
    title: body.title ?? g.summary,
    nature: g.nature ?? body.nature,
    places,
    publishedAt: g.publishedAt ?? body.publishedAt,
    deadline: body.deadline ?? g.deadline,
    fieldFindings: [...g.findings, ...body.fieldFindings],
    texts: [...summary, ...body.texts],
  };
}

// ---------------------------------------------------------------------------------------------------
// MAPA / FNSimple (camelCase national forms): best effort.

const FORM_SKIPPED = /^(organisme|communication|correspondant|coord|adr|adresse|contact|url|mel|email|tel)/i;

/** A string that reads as sentences (not a code, a date, a URL or an e-mail address). */
export function looksLikeProse(s: string): boolean {
  const t = s.trim();
  return t.length >= 15 && /\s/.test(t) && /\p{L}{3}/u.test(t) && !/^(https?:\/\/|www\.)\S+$/i.test(t) && !/^\S+@\S+$/.test(t);
}

type FormVisitor = (key: string, value: TreeValue, where: string, lot: string | null) => void;

/** Visits a form tree (keys as written), with the lot number under `lots`. */
function walkForm(node: TreeValue, where: string, lot: string | null, visit: FormVisitor) {
  if (!isNode(node)) return;
  for (const key of Object.keys(node)) {
    if (FORM_SKIPPED.test(key)) continue;
    const here = childPath(where, key);
    const items = all(node[key]);
    const lots = /^lots?$/i.test(key);
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      const childLot = lots && isNode(item) ? (formLotNumber(item) ?? String(index + 1)) : lot;
      visit(key, item, here, childLot);
      walkForm(item, here, childLot, visit);
    }
  }
}

/** The first value (in the order walkForm visits them) under one of `names`, compared without case. */
function findFirst(node: TreeValue | undefined, names: string[]): TreeValue | undefined {
  return searchForm(node ?? null, names.map((n) => n.toLowerCase()));
}

function searchForm(node: TreeValue, wanted: string[]): TreeValue | undefined {
  if (!isNode(node)) return undefined;
  for (const key of Object.keys(node)) {
    if (FORM_SKIPPED.test(key)) continue;
    const match = wanted.includes(key.toLowerCase());
    for (const item of all(node[key])) {
      if (match) return item;
      const found = searchForm(item, wanted);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

const formLotNumber = (lot: TreeNode) => textOf(findFirst(lot, ['numero', 'num', 'numLot', 'numeroLot']) as TreeValue);

/** Visits a form tree as walkForm does, telling whether a key on the path names a CPV code or a place ("lieu"). */
function walkFormKinds(node: TreeValue, cpv: boolean, place: boolean, visit: (key: string, value: TreeValue, cpv: boolean, place: boolean) => void) {
  if (!isNode(node)) return;
  for (const key of Object.keys(node)) {
    if (FORM_SKIPPED.test(key)) continue;
    const inCpv = cpv || /cpv/i.test(key);
    const inPlace = place || /lieu/i.test(key);
    const value = node[key];
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value) {
        visit(key, item, inCpv, inPlace);
        walkFormKinds(item, inCpv, inPlace, visit);
      }
    } else {
      visit(key, value, inCpv, inPlace);
      walkFormKinds(value, inCpv, inPlace, visit);
    }
  }
}

function formCpv(node: TreeValue | undefined): string[] {
  const codes: string[] = [];
  walkFormKinds(node ?? null, false, false, (_key, value, cpv) => {
    if (!cpv) return;
    const code = cpv8(value);
    if (code) codes.push(code);
  });
  return distinct(codes);
}

function formPlaces(node: TreeValue | undefined): NoticePlaces {
  const places = emptyPlaces();
  walkFormKinds(node ?? null, false, false, (key, value, _cpv, place) => {
    if (!place) return;
    if (/^(cp|codePostal)$/i.test(key)) addPostcode(places, textOf(value));
    if (/nuts/i.test(key)) addNuts(places, textOf(value));
  });
  return places;
}

function formAmount(node: TreeValue | undefined): number | null {
  const value = findFirst(node, ['valeurEstimee', 'montantEstime']);
  return amountOf(value) ?? amountOf(get(value, 'valeur')) ?? amountOf(get(get(value, 'fourchette'), 'valeurHaute'));
}

function formLots(form: TreeNode): NoticeLot[] {
  const container = findFirst(form, ['lots']);
  const items = all((isNode(container) ? get(container, 'lot') : undefined) ?? container).filter(isNode);
  return items.map((lot, index) => ({
    number: formLotNumber(lot) ?? String(index + 1),
    title: textOf(findFirst(lot, ['intitule', 'titre', 'objet'])),
    description: textOf(findFirst(lot, ['description'])),
    cpv: formCpv(lot),
    amount: formAmount(lot),
    places: formPlaces(lot),
  }));
}

/** The body of a MAPA / FNSimple notice (`name` = its top-level key). */
export function readFormTree(name: string, form: TreeNode): NoticeBody {
  const organisme = get(form, 'organisme');
  const lots = formLots(form);
  const places = formPlaces(form);
  const texts: NoticeText[] = [];
  walkForm(form, name, null, (_key, value, where, lot) => {
    if (typeof value === 'string' && looksLikeProse(value)) texts.push({ path: where, lot, text: value.trim() });
  });
  return {
    buyer: {
      name: textOf(get(organisme, 'acheteurPublic')) ?? textOf(get(organisme, 'denomination')) ?? textOf(get(organisme, 'nomOfficiel')),
      siret: siret14(get(organisme, 'codeIdentificationNational')) ?? siret14(get(organisme, 'siret')),
    },
    title: textOf(findFirst(get(form, 'initial') ?? form, ['objet'])),
    description: textOf(findFirst(form, ['principales', 'descriptionMarche'])),
    procedure: null,
    nature: has(form, 'initial') ? 'contract' : has(form, 'attribution') ? 'award' : 'other',
    cpv: formCpv(form),
    places,
    publishedAt: null,
    deadline: isoDeadline(findFirst(form, ['receptionOffres', 'dateReceptionOffres', 'dateLimiteReponse'])),
    amount: formAmount(form),
    lots,
    awards: [],
    fieldFindings: [],
    texts,
  };
}

// ---------------------------------------------------------------------------------------------------
// A BOAMP open-data record.

const LEGACY_TOP_KEYS = new Set(['IDENTITE', 'OBJET', 'PROCEDURE', 'ATTRIBUTION', 'CONDITIONPARTICIPATION', 'CONDITIONDELAI', 'TYPEORGANISME']);

const emptyBody = (): NoticeBody => ({
  buyer: { name: null, siret: null },
  title: null,
  description: null,
  procedure: null,
  nature: 'other',
  cpv: [],
  places: emptyPlaces(),
  publishedAt: null,
  deadline: null,
  amount: null,
  lots: [],
  awards: [],
  fieldFindings: [],
  texts: [],
});

/** `donnees`/`gestion` as an object: parsed when it is a JSON string; a single DONNEES/GESTION wrapper is removed. */
function embedded(value: TreeValue | undefined, wrapper: string): TreeNode | null {
  let v: unknown = value;
  if (typeof v === 'string') v = v.trim() === '' ? null : JSON.parse(v);
  if (!isNode(v as TreeValue)) return null;
  const node = v as TreeNode;
  const keys = Object.keys(node);
  return keys.length === 1 && looseKey(keys[0]) === wrapper && isNode(node[keys[0]]) ? (node[keys[0]] as TreeNode) : node;
}

/** Reads `donnees` whatever its shape: eForms (c), legacy (a) or a national form (b). */
function readDonnees(donnees: TreeNode): NoticeBody {
  const eforms = get(donnees, 'EFORMS');
  if (isNode(eforms)) {
    const kind = Object.keys(eforms).find((k) => EFORMS_NOTICE_ROOTS.includes(localName(k))) ?? Object.keys(eforms)[0];
    const root = eforms[kind];
    if (!isNode(root)) return emptyBody();
    const { noticeId: _id, version: _version, publicationId: _publication, ...body } = readEformsTree(kind, root, `EFORMS.${kind}`);
    return body;
  }
  const keys = Object.keys(donnees);
  if (keys.some((k) => LEGACY_TOP_KEYS.has(looseKey(k)))) return readLegacyTree(donnees);
  const name = keys.find((k) => isNode(donnees[k])) ?? keys[0];
  return name && isNode(donnees[name]) ? readFormTree(name, donnees[name] as TreeNode) : emptyBody();
}

/** The fields of an Opendatasoft record, whichever API or export wrote it. */
function unwrapOdsRecord(value: TreeNode): TreeNode {
  const record = value.record;
  if (isNode(record) && isNode(record.fields)) return record.fields;
  if (isNode(value.fields) && value.idweb === undefined) return value.fields;
  return value;
}

function listOfCodes(v: TreeValue | undefined): string[] {
  const codes: string[] = [];
  for (const item of all(v)) {
    const t = textOf(item);
    if (t === null) continue;
    for (const code of t.split(/[,;\s]+/)) if (code) codes.push(code);
  }
  return codes;
}

/** Findings of the header facet `criteres`. */
function criteresFindings(record: TreeNode): Finding[] {
  const values = listOfCodes(record.criteres).map((v) => v.toLowerCase());
  const findings: Finding[] = [];
  if (values.includes('sociaux')) findings.push(fieldFinding('socialClause', 'sociaux', null, 'criteres', 'sociaux'));
  if (values.includes('environnementaux')) findings.push(fieldFinding('environmentalClause', 'environnementaux', null, 'criteres', 'environnementaux'));
  return findings;
}

function headerNature(record: TreeNode): NoticeNature | null {
  return (
    natureFromCode(textOf(record.nature)) ??
    natureFromLabel(textOf(record.nature_categorise_libelle)) ??
    natureFromLabel(textOf(record.nature_libelle)) ??
    natureFromLabel(textOf(record.type_avis))
  );
}

function headerAwards(record: TreeNode, body: NoticeBody): NoticeAward[] {
  if (body.awards.length > 0) return body.awards;
  const names = all(record.titulaire)
    .map(textOf)
    .filter((t): t is string => t !== null);
  return names.length > 0 ? [{ lot: null, holders: names.map((name) => ({ name, siret: null })), amount: null, date: null }] : [];
}

/** Same text for the same lot once (the header `objet` often repeats TITRE_MARCHE). */
function distinctTexts(texts: NoticeText[]): NoticeText[] {
  const seen = new Map<string, Set<string>>();
  return texts.filter((t) => {
    const lot = t.lot ?? '';
    let ofLot = seen.get(lot);
    if (!ofLot) seen.set(lot, (ofLot = new Set()));
    if (ofLot.has(t.text)) return false;
    ofLot.add(t.text);
    return true;
  });
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const boampUrl = (idweb: string) => `https://www.boamp.fr/pages/avis/?q=idweb:${encodeURIComponent(idweb)}`;

/** The notice of one BOAMP open-data record (or why it cannot be read). */
export function readBoampRecord(value: unknown, position: string): ReadItem {
  if (!isNode(value as TreeValue)) {
    return { ok: false, position, code: 'NOTICE_RECORD_INVALID', message: `${capitalised(position)} : l’enregistrement n’est pas un objet JSON, il est ignoré.` };
  }
  const record = unwrapOdsRecord(value as TreeNode);
  let gestion: TreeNode | null;
  let donnees: TreeNode | null;
  try {
    gestion = embedded(record.gestion, 'GESTION');
    donnees = embedded(record.donnees, 'DONNEES');
  } catch {
    return { ok: false, position, code: 'NOTICE_DONNEES_INVALID', message: `${capitalised(position)} : le champ « donnees » ou « gestion » n’est pas un JSON valide, l’avis est ignoré.` };
  }
  const g = readGestion(gestion ?? undefined);
  const id = textOf(record.idweb) ?? g.id;
  if (!id) return { ok: false, position, code: 'NOTICE_ID_MISSING', message: `${capitalised(position)} : avis sans identifiant (idweb), il est ignoré.` };
  const body = withGestion(donnees ? readDonnees(donnees) : emptyBody(), g, {
    prestation: listOfCodes(record.code_departement_prestation),
    publication: listOfCodes(record.code_departement),
  });
  const objet = textOf(record.objet);
  const notice: Notice = {
    source: 'boamp',
    sourceId: id,
    url: textOf(record.url_avis) ?? boampUrl(id),
    buyer: { name: textOf(record.nomacheteur) ?? body.buyer.name, siret: body.buyer.siret },
    title: objet ?? body.title ?? `Avis BOAMP ${id}`,
    description: body.description,
    procedure: textOf(record.procedure_libelle) ?? body.procedure,
    nature: headerNature(record) ?? body.nature,
    cpv: body.cpv,
    places: body.places,
    publishedAt: isoDay(record.dateparution) ?? body.publishedAt,
    deadline: isoDeadline(record.datelimitereponse) ?? body.deadline,
    amount: body.amount,
    lots: body.lots,
    awards: headerAwards(record, body),
    fieldFindings: [...criteresFindings(record), ...body.fieldFindings],
    texts: distinctTexts([...(objet ? [{ path: 'objet', lot: null, text: objet }] : []), ...body.texts]),
    raw: value,
  };
  return { ok: true, position, notice };
}

// ---------------------------------------------------------------------------------------------------
// Files: JSON array / envelope (streamed) or JSON lines.

type RawRecord = { ok: true; position: string; value: unknown } | { ok: false; position: string; code: string; message: string };

/** Keys of an API or export envelope holding the records. */
const ENVELOPE_KEYS = new Set(['results', 'records']);

/** A token of stream-json (packed values). */
interface Token {
  name: string;
  value?: unknown;
}

/**
 * Splits the token stream of a JSON document into records: the elements of a top-level array, of an
 * envelope's "results"/"records" array, or the top-level object itself when it has no such array.
 */
class RecordSplitter {
  readonly out: unknown[] = [];
  count = 0;
  private state: 'top' | 'array' | 'object' | 'envelopeArray' = 'top';
  private asm: Assembler | null = null;
  private key: string | null = null;
  private rest: TreeNode = {};
  private sawEnvelope = false;

  push(tok: Token) {
    if (this.asm) return this.feed(tok);
    switch (this.state) {
      case 'top':
        if (tok.name === 'startArray') this.state = 'array';
        else if (tok.name === 'startObject') [this.state, this.rest, this.sawEnvelope, this.key] = ['object', {}, false, null];
        else throw new AppError('NOTICE_JSON_INVALID', 'le fichier ne contient ni une liste d’avis ni un objet');
        return;
      case 'array':
      case 'envelopeArray':
        if (tok.name === 'endArray') this.state = this.state === 'array' ? 'top' : 'object';
        else this.start(tok);
        return;
      case 'object':
        if (tok.name === 'keyValue') this.key = String(tok.value);
        else if (tok.name === 'endObject') this.endTopObject();
        else if (tok.name === 'startArray' && this.key !== null && ENVELOPE_KEYS.has(this.key)) [this.state, this.sawEnvelope] = ['envelopeArray', true];
        else this.start(tok);
    }
  }

  private start(tok: Token) {
    this.asm = new Assembler();
    this.feed(tok);
  }

  private feed(tok: Token) {
    const asm = this.asm!;
    asm.consume(tok as never);
    if (!asm.done) return;
    this.asm = null;
    if (this.state === 'object') {
      if (this.key !== null) this.rest[this.key] = asm.current as TreeValue;
    } else this.emit(asm.current);
  }

  private endTopObject() {
    this.state = 'top';
    if (!this.sawEnvelope) this.emit(this.rest);
    this.rest = {};
  }

  private emit(value: unknown) {
    this.count++;
    this.out.push(value);
  }
}

/** Where a JSON document breaks, as " (ligne 3, colonne 12)". */
async function whereJsonBreaks(file: string): Promise<string> {
  try {
    await verifyFile(file, { jsonStreaming: true });
    return '';
  } catch (err) {
    const e = err as { line?: number; pos?: number };
    return e.line ? ` (ligne ${e.line}, colonne ${e.pos})` : '';
  }
}

/**
 * The careful path of a JSON document: stream-json's tokens, exact errors (where the JSON breaks, bad
 * encoding). `skip`: records the fast path gave already (they count in the error's position).
 */
async function* readJsonDocumentCarefully(file: string, skip = 0): AsyncGenerator<RawRecord> {
  const bytes = openUtf8(file);
  const tokens = bytes.pipe(jsonParser.asStream({ jsonStreaming: true, streamValues: false }));
  bytes.on('error', (err) => tokens.destroy(err));
  const splitter = new RecordSplitter();
  try {
    for await (const tok of tokens as AsyncIterable<Token>) {
      splitter.push(tok);
      if (splitter.out.length === 0) continue;
      const base = splitter.count - splitter.out.length;
      const values = splitter.out.splice(0);
      for (let i = 0; i < values.length; i++) if (base + i + 1 > skip) yield { ok: true, position: `enregistrement ${base + i + 1}`, value: values[i] };
    }
  } catch (err) {
    tokens.destroy();
    bytes.destroy();
    // The tokenizer drops the tokens of the chunk it fails in: records the fast path gave before the break count.
    const count = Math.max(splitter.count, skip);
    const position = `enregistrement ${count + 1}`;
    if (err instanceof AppError && err.code === 'BAD_ENCODING') {
      yield { ok: false, position, code: 'NOTICE_ENCODING_INVALID', message: err.message };
      return;
    }
    const why = err instanceof AppError ? ` : ${err.message}` : await whereJsonBreaks(file);
    yield {
      ok: false,
      position,
      code: 'NOTICE_JSON_INVALID',
      message: `JSON illisible après ${count} enregistrement(s)${why} : la lecture du fichier ${path.basename(file)} s’arrête là.`,
    };
  }
}

/**
 * The fast path of RecordSplitter: the same records (elements of top-level arrays, of an envelope's
 * "results"/"records" array, or a top-level object without such an array), delimited in the text and
 * parsed by JSON.parse. Throws JsonAnomaly at anything else.
 */
class FastRecordSplitter {
  private state: 'top' | 'array' | 'object' | 'envelopeArray' = 'top';
  /** In an array: at its start, after a comma, after an element. In an object: the same for members. */
  private phase: 'start' | 'next' | 'colon' | 'value' | 'after' = 'start';
  private key = '';
  private rest: TreeNode = {};
  private sawEnvelope = false;

  /** Reads as far as the text goes; records found are pushed to `out`. */
  read(t: JsonText, out: unknown[]): void {
    for (;;) {
      if (this.state === 'top') {
        const c = t.peek();
        if (c === '') return;
        t.pos++;
        if (c === '[') [this.state, this.phase] = ['array', 'start'];
        else if (c === '{') [this.state, this.phase, this.rest, this.sawEnvelope] = ['object', 'start', {}, false];
        else throw new JsonAnomaly('not an array nor an object');
        continue;
      }
      if (this.state === 'array' || this.state === 'envelopeArray') {
        if (this.phase === 'after' || this.phase === 'start') {
          const c = t.peek();
          if (c === '') return;
          if (c === ']') {
            t.pos++;
            if (this.state === 'array') this.state = 'top';
            else [this.state, this.phase] = ['object', 'after'];
            continue;
          }
          if (this.phase === 'after') {
            if (c !== ',') throw new JsonAnomaly('expected , or ]');
            t.pos++;
          }
          this.phase = 'next';
        }
        const next = t.parsedValue();
        if (!next) return;
        out.push(next.value);
        this.phase = 'after';
        continue;
      }
      // a top-level object: an envelope or one record
      switch (this.phase) {
        case 'start':
        case 'next': {
          const c = t.peek();
          if (c === '') return;
          if (c === '}' && this.phase === 'start') {
            this.endObject(t, out);
            continue;
          }
          if (c !== '"') throw new JsonAnomaly('expected a key');
          const span = t.value();
          if (!span) return;
          this.key = t.parse(span) as string;
          this.phase = 'colon';
          continue;
        }
        case 'colon':
          if (!t.expect(':')) return;
          this.phase = 'value';
          continue;
        case 'value': {
          const c = t.peek();
          if (c === '') return;
          if (c === '[' && ENVELOPE_KEYS.has(this.key)) {
            t.pos++;
            [this.state, this.phase, this.sawEnvelope] = ['envelopeArray', 'start', true];
            continue;
          }
          const span = t.value();
          if (!span) return;
          this.rest[this.key] = t.parse(span) as TreeValue;
          this.phase = 'after';
          continue;
        }
        case 'after': {
          const c = t.peek();
          if (c === '') return;
          if (c === '}') this.endObject(t, out);
          else if (c === ',') [t.pos, this.phase] = [t.pos + 1, 'next'];
          else throw new JsonAnomaly('expected , or }');
        }
      }
    }
  }

  /** At the end of the text: nothing may be left open. */
  finish(): void {
    if (this.state !== 'top') throw new JsonAnomaly('end of text inside the document');
  }

  private endObject(t: JsonText, out: unknown[]) {
    t.pos++;
    if (!this.sawEnvelope) out.push(this.rest);
    this.rest = {};
    this.state = 'top';
  }
}

/**
 * The records of a JSON document, streamed: the fast path, and at its first surprise the careful one from
 * the start of the file (records already given are skipped), which reads what it can and tells the error.
 */
async function* readJsonDocument(file: string): AsyncGenerator<RawRecord> {
  let given = 0;
  const out: unknown[] = [];
  try {
    const text = new JsonText();
    const splitter = new FastRecordSplitter();
    const chunks = strictUtf8Chunks(file);
    try {
      for (let next = await chunks.next(); ; next = await chunks.next()) {
        if (next.done) text.final = true;
        else text.append(next.value);
        splitter.read(text, out);
        for (const value of out) yield { ok: true, position: `enregistrement ${++given}`, value };
        out.length = 0;
        if (next.done) break;
      }
    } finally {
      await chunks.return(undefined);
    }
    splitter.finish();
    return;
  } catch (err) {
    if (!(err instanceof JsonAnomaly)) throw err;
  }
  // Records complete before the anomaly, then the careful path from there.
  for (const value of out) yield { ok: true, position: `enregistrement ${++given}`, value };
  yield* readJsonDocumentCarefully(file, given);
}

/** One parsed line: a record, or an envelope whose records are numbered within the line. */
function* lineRecords(value: unknown, line: number): Generator<RawRecord> {
  const records = isNode(value as TreeValue) ? [...ENVELOPE_KEYS].map((k) => (value as TreeNode)[k]).find(Array.isArray) : undefined;
  if (!records) {
    yield { ok: true, position: `ligne ${line}`, value };
    return;
  }
  let i = 0;
  for (const r of records) yield { ok: true, position: `ligne ${line}, enregistrement ${++i}`, value: r };
}

/** One line of JSON lines (numbered from 1): its records, or why it cannot be read. */
function* jsonLine(raw: string, n: number): Generator<RawRecord> {
  const text = (n === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
  if (text === '') return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message);
    const where = pos ? ` (erreur de syntaxe au caractère ${Number(pos[1]) + 1})` : '';
    yield { ok: false, position: `ligne ${n}`, code: 'NOTICE_JSON_INVALID', message: `Ligne ${n} : JSON illisible${where}, la ligne est ignorée.` };
    return;
  }
  yield* lineRecords(value, n);
}

/** The careful path of JSON lines: every byte checked as UTF-8 on the way (where an invalid one is), lines by readline. */
async function* readJsonLinesCarefully(file: string): AsyncGenerator<RawRecord> {
  const rl = readline.createInterface({ input: openUtf8(file), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of rl) yield* jsonLine(raw, ++n);
  } catch (err) {
    rl.close();
    const message = err instanceof AppError ? err.message : `Lecture impossible : ${(err as Error).message}`;
    yield { ok: false, position: `ligne ${n + 1}`, code: err instanceof AppError && err.code === 'BAD_ENCODING' ? 'NOTICE_ENCODING_INVALID' : 'NOTICE_FILE_UNREADABLE', message };
  }
}

/** Line breaks as readline sees them. */
const LINE_BREAK = /\r\n|\n|\r/;

/**
 * JSON lines: lines split as readline does (\n, \r\n, \r), decoded natively; at an invalid UTF-8 byte or a
 * read error, the careful path from the start of the file (items already given are skipped) says where.
 */
async function* readJsonLines(file: string): AsyncGenerator<RawRecord> {
  let given = 0;
  try {
    let n = 0;
    let pending = '';
    let skipNewline = false;
    for await (let chunk of strictUtf8Chunks(file, 64 * 1024)) {
      if (skipNewline && chunk.startsWith('\n')) chunk = chunk.slice(1);
      const text = pending + chunk;
      skipNewline = text.endsWith('\r'); // "\r" then "\n" in the next chunk is one break
      const lines = text.split(LINE_BREAK);
      pending = lines.pop()!;
      for (const raw of lines) {
        for (const item of jsonLine(raw, ++n)) {
          given++;
          yield item;
        }
      }
    }
    if (pending !== '') {
      for (const item of jsonLine(pending, ++n)) {
        given++;
        yield item;
      }
    }
    return;
  } catch (err) {
    if (!(err instanceof JsonAnomaly)) throw err;
  }
  let skipped = 0;
  for await (const item of readJsonLinesCarefully(file)) {
    if (skipped < given) skipped++;
    else yield item;
  }
}

/** JSON lines when the first line is a whole JSON object (or, if it is broken, one of the next lines is). */
function looksLikeJsonLines(head: { text: string; complete: boolean }): boolean {
  const lines = head.text.split('\n');
  if (!head.complete) lines.pop();
  const filled = lines.map((l) => l.trim()).filter((l) => l !== '');
  if (filled.length === 0 || filled[0] === '{') return false;
  const isObject = (l: string) => {
    try {
      return isNode(JSON.parse(l));
    } catch {
      return false;
    }
  };
  return isObject(filled[0]) || filled.slice(1, 6).some(isObject);
}

async function* readRawRecords(file: string): AsyncGenerator<RawRecord> {
  const base = path.basename(file);
  let head: { text: string; complete: boolean };
  try {
    head = await readHead(file, 1 << 16);
  } catch (err) {
    yield { ok: false, position: base, code: 'NOTICE_FILE_UNREADABLE', message: `Impossible de lire ${base} : ${(err as Error).message}` };
    return;
  }
  const first = head.text.trimStart()[0];
  if (first === undefined) yield { ok: false, position: base, code: 'NOTICE_JSON_INVALID', message: `Le fichier ${base} est vide.` };
  else if (first === '{' && looksLikeJsonLines(head)) yield* readJsonLines(file);
  else if (first === '[' || first === '{') yield* readJsonDocument(file);
  else
    yield {
      ok: false,
      position: base,
      code: 'NOTICE_JSON_INVALID',
      message: `Le fichier ${base} n’est pas du JSON : attendu une liste d’avis « [ … ] » ou un avis JSON par ligne.`,
    };
}

/** Every notice of a BOAMP open-data file (JSON array, envelope or JSON lines), in order. */
export async function* readBoampJson(file: string): AsyncGenerator<ReadItem> {
  for await (const raw of readRawRecords(file)) {
    if (!raw.ok) {
      yield raw;
      continue;
    }
    try {
      yield readBoampRecord(raw.value, raw.position);
    } catch (err) {
      yield { ok: false, position: raw.position, code: 'NOTICE_RECORD_INVALID', message: `${capitalised(raw.position)} : avis illisible (${(err as Error).message}), il est ignoré.` };
    }
  }
}
