// eForms notices (EU Regulation 2019/1780, mandatory since 2023-10-25): UBL XML files (ContractNotice,
// ContractAwardNotice, PriorInformationNotice), and the same tree that BOAMP republishes in
// `donnees.EFORMS`. One tree reader serves both. Fields and codes: research notes §2
// (shared/docs/reference/procurement.md); XPaths of the eForms SDK with "/" written ".".
//
// Field findings (structured codes only; free texts go to `texts` for the classifier):
// - BT-71 reserved-procurement: res-ws → reserved "unspecified" (the code does not say disability or
//   insertion), res-pub-ser → reserved "ess"; none → nothing (an explicit negative).
// - BT-736 reserved-execution: yes → reserved "handicap" (sheltered employment programme); no, not-known → nothing.
// - BT-06 strategic-procurement: soc-obj → socialClause, env-imp → environmentalClause.
// - BT-775 social-objective: opp (employment opportunities for the long-term unemployed, disadvantaged or
//   disabled persons) → socialClause; the other social objectives (accessibility, gender equality…) are
//   not an insertion clause and give nothing.
// - BT-774 environmental-impact: any code but none → environmentalClause; BT-805 gpp-criteria: eu, national,
//   other → environmentalClause.
// Award criteria (BT-734 name, BT-540 description) are texts, under paths containing "AwardingCriterion".
import path from 'node:path';
import type { SaxesTagNS } from 'saxes';
import {
  emptyPlaces,
  type AwardHolder,
  type Finding,
  type NoticeAward,
  type NoticeLot,
  type NoticeNature,
  type NoticePlaces,
  type NoticeText,
  type ReadItem,
} from '../model.ts';
import { addNuts, addPostcode, mergePlaces } from './places.ts';
import {
  all,
  allAt,
  amountOf,
  attrOf,
  cpv8,
  distinct,
  firstAt,
  isNode,
  isoDay,
  isoDeadline,
  nodesOf,
  readXmlRecords,
  siret14,
  textOf,
  type NoticeBody,
  type TreeNode,
  type TreeValue,
} from './xml-tree.ts';

export const EFORMS_NOTICE_ROOTS = ['ContractNotice', 'ContractAwardNotice', 'PriorInformationNotice'];

/** The conventional prefix of each eForms namespace, whatever prefix a file declares. */
const PREFIX_OF_NAMESPACE: Record<string, string> = {
  'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2': 'cac',
  'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2': 'cbc',
  'urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2': 'ext',
  'http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1': 'efac',
  'http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1': 'efbc',
  'http://data.europa.eu/p27/eforms-ubl-extensions/1': 'efext',
};

const PROCEDURE_LABELS: Record<string, string> = {
  open: 'Procédure ouverte',
  restricted: 'Procédure restreinte',
  'neg-w-call': 'Procédure concurrentielle avec négociation',
  'neg-wo-call': 'Procédure négociée sans publication préalable',
  'comp-dial': 'Dialogue compétitif',
  innovation: 'Partenariat d’innovation',
  'comp-tend': 'Mise en concurrence dans un accord-cadre',
};

const LOT = 'cac:ProcurementProjectLot';
const PROJECT = 'cac:ProcurementProject';

export const localName = (name: string) => name.slice(name.lastIndexOf(':') + 1);
const joinPath = (...parts: string[]) => parts.filter(Boolean).join('.');

/** Element name in an eForms file: canonical prefix for the UBL/eForms namespaces, local name for the root's. */
function eformsElementName(tag: SaxesTagNS): string {
  const prefix = PREFIX_OF_NAMESPACE[tag.uri];
  if (prefix) return `${prefix}:${tag.local}`;
  return tag.uri.startsWith('urn:oasis:names:specification:ubl:schema:xsd:') ? tag.local : tag.name;
}

const extensions = (node: TreeValue | undefined) => allAt(node, 'ext:UBLExtensions', 'ext:UBLExtension', 'ext:ExtensionContent', 'efext:EformsExtension');

/** Texts of a multilingual field, French first. */
function languageTexts(v: TreeValue | undefined): string[] {
  const values = all(v);
  const french = values.filter((x) => attrOf(x, 'languageID') === 'FRA');
  return distinct([...french, ...values].map(textOf).filter((t): t is string => t !== null));
}
const preferredText = (v: TreeValue | undefined): string | null => languageTexts(v)[0] ?? null;

interface Organisation {
  name: string | null;
  siret: string | null;
}

function organisations(root: TreeNode): Map<string, Organisation> {
  const map = new Map<string, Organisation>();
  for (const company of nodesOf(allAt(extensions(root), 'efac:Organizations', 'efac:Organization', 'efac:Company'))) {
    const id = textOf(firstAt(company, 'cac:PartyIdentification', 'cbc:ID'));
    if (!id) continue;
    const siret = allAt(company, 'cac:PartyLegalEntity', 'cbc:CompanyID').map(siret14).find(Boolean) ?? null;
    map.set(id, { name: preferredText(allAt(company, 'cac:PartyName', 'cbc:Name')), siret });
  }
  return map;
}

function buyerOf(root: TreeNode, orgs: Map<string, Organisation>): Organisation {
  const id = textOf(firstAt(root, 'cac:ContractingParty', 'cac:Party', 'cac:PartyIdentification', 'cbc:ID'));
  return (id && orgs.get(id)) || { name: null, siret: null };
}

/** contract (calls for competition, PIN used as one), award, modification, prior (PIN only), other. */
function natureOf(kind: string, root: TreeNode): NoticeNature {
  const code = textOf(root['cbc:NoticeTypeCode']) ?? '';
  const list = attrOf(root['cbc:NoticeTypeCode'], 'listName');
  const byList: Record<string, NoticeNature> = { competition: 'contract', planning: 'prior', result: 'award', 'cont-modif': 'modification' };
  if (list && byList[list]) return byList[list];
  if (code.startsWith('can-modif')) return 'modification';
  if (code.startsWith('pin-cfc') || code.startsWith('cn-') || code === 'qu-sy' || code === 'subco') return 'contract';
  if (code.startsWith('pin-')) return 'prior';
  if (code.startsWith('can-')) return 'award';
  if (code === 'veat' || code === 'compl' || list) return 'other';
  const byRoot: Record<string, NoticeNature> = { ContractNotice: 'contract', ContractAwardNotice: 'award', PriorInformationNotice: 'prior' };
  return byRoot[localName(kind)] ?? 'other';
}

function cpvOf(project: TreeValue | undefined): string[] {
  const codes = [
    ...allAt(project, 'cac:MainCommodityClassification', 'cbc:ItemClassificationCode'),
    ...allAt(project, 'cac:AdditionalCommodityClassification', 'cbc:ItemClassificationCode'),
  ].filter((c) => (attrOf(c, 'listName') ?? 'cpv') === 'cpv');
  return distinct(codes.map(cpv8).filter((c): c is string => c !== null));
}

/** BT-5071 NUTS and BT-5121 postcodes of the places of performance (postcodes only in France). */
function placesOf(project: TreeValue | undefined): NoticePlaces {
  const places = emptyPlaces();
  for (const address of nodesOf(allAt(project, 'cac:RealizedLocation', 'cac:Address'))) {
    addNuts(places, textOf(address['cbc:CountrySubentityCode']));
    const country = textOf(firstAt(address, 'cac:Country', 'cbc:IdentificationCode'));
    if (!country || country === 'FRA') addPostcode(places, textOf(address['cbc:PostalZone']));
  }
  return places;
}

const estimatedAmount = (project: TreeValue | undefined) => amountOf(firstAt(project, 'cac:RequestedTenderTotal', 'cbc:EstimatedOverallContractAmount'));

/** BT-131 tender deadline, else the deadline for requests to participate, else (PIN) for expressions of interest. */
function deadlineOf(process: TreeValue | undefined): string | null {
  const periods = [
    firstAt(process, 'cac:TenderSubmissionDeadlinePeriod'),
    firstAt(process, 'cac:ParticipationRequestReceptionPeriod'),
    firstAt(extensions(process), 'efac:InterestExpressionReceptionPeriod'),
  ];
  for (const period of periods) {
    const deadline = isNode(period) ? isoDeadline(period['cbc:EndDate'], period['cbc:EndTime']) : null;
    if (deadline) return deadline;
  }
  return null;
}

const field = (kind: Finding['kind'], value: string, lot: string | null, at: string, excerpt: string): Finding => ({
  kind,
  value,
  lot,
  origin: 'field',
  path: at,
  excerpt,
});

/** BT-06, BT-774, BT-775, BT-805 of a procurement project. */
function strategicFindings(project: TreeValue | undefined, lot: string | null, at: string): Finding[] {
  const findings: Finding[] = [];
  const codePath = joinPath(at, 'cac:ProcurementAdditionalType', 'cbc:ProcurementTypeCode');
  for (const code of allAt(project, 'cac:ProcurementAdditionalType', 'cbc:ProcurementTypeCode')) {
    const value = textOf(code);
    if (!value) continue;
    const list = attrOf(code, 'listName');
    if (list === 'strategic-procurement' && value === 'soc-obj') findings.push(field('socialClause', 'soc-obj', lot, codePath, value));
    if (list === 'strategic-procurement' && value === 'env-imp') findings.push(field('environmentalClause', 'env-imp', lot, codePath, value));
    if (list === 'social-objective' && value === 'opp') findings.push(field('socialClause', 'opp', lot, codePath, value));
    if (list === 'environmental-impact' && value !== 'none') findings.push(field('environmentalClause', value, lot, codePath, value));
    if (list === 'gpp-criteria' && ['eu', 'national', 'other'].includes(value)) findings.push(field('environmentalClause', value, lot, codePath, value));
  }
  return findings;
}

/** BT-71 reserved participation and BT-736 reserved execution of tendering terms. */
function reservedFindings(terms: TreeValue | undefined, lot: string | null, at: string): Finding[] {
  const findings: Finding[] = [];
  const participationPath = joinPath(at, 'cac:TendererQualificationRequest', 'cac:SpecificTendererRequirement', 'cbc:TendererRequirementTypeCode');
  for (const code of allAt(terms, 'cac:TendererQualificationRequest', 'cac:SpecificTendererRequirement', 'cbc:TendererRequirementTypeCode')) {
    if (attrOf(code, 'listName') !== 'reserved-procurement') continue;
    const value = textOf(code);
    if (value === 'res-ws') findings.push(field('reserved', 'unspecified', lot, participationPath, value));
    if (value === 'res-pub-ser') findings.push(field('reserved', 'ess', lot, participationPath, value));
  }
  const executionPath = joinPath(at, 'cac:ContractExecutionRequirement', 'cbc:ExecutionRequirementCode');
  for (const code of allAt(terms, 'cac:ContractExecutionRequirement', 'cbc:ExecutionRequirementCode')) {
    if (attrOf(code, 'listName') === 'reserved-execution' && textOf(code) === 'yes') findings.push(field('reserved', 'handicap', lot, executionPath, 'yes'));
  }
  return findings;
}

/** Free texts of a lot (or of the procedure): title, description, notes, BT-777, BT-70, award criteria. */
function lotTexts(lotNode: TreeValue | undefined, lot: string | null, at: string): NoticeText[] {
  const texts: NoticeText[] = [];
  const add = (values: TreeValue[], ...keys: string[]) => {
    for (const text of languageTexts(values)) texts.push({ path: joinPath(at, ...keys), lot, text });
  };
  const project = firstAt(lotNode, PROJECT);
  add(allAt(project, 'cbc:Name'), PROJECT, 'cbc:Name');
  add(allAt(project, 'cbc:Description'), PROJECT, 'cbc:Description');
  add(allAt(project, 'cbc:Note'), PROJECT, 'cbc:Note');
  const strategic = nodesOf(allAt(project, 'cac:ProcurementAdditionalType')).filter((t) => attrOf(t['cbc:ProcurementTypeCode'], 'listName') === 'strategic-procurement');
  add(allAt(strategic, 'cbc:ProcurementType'), PROJECT, 'cac:ProcurementAdditionalType', 'cbc:ProcurementType');
  const terms = firstAt(lotNode, 'cac:TenderingTerms');
  const conditions = nodesOf(allAt(terms, 'cac:ContractExecutionRequirement')).filter((r) => attrOf(r['cbc:ExecutionRequirementCode'], 'listName') === 'conditions');
  add(allAt(conditions, 'cbc:Description'), 'cac:TenderingTerms', 'cac:ContractExecutionRequirement', 'cbc:Description');
  const criterion = allAt(terms, 'cac:AwardingTerms', 'cac:AwardingCriterion');
  const criterionPath = ['cac:TenderingTerms', 'cac:AwardingTerms', 'cac:AwardingCriterion'];
  add(allAt(criterion, 'cbc:Description'), ...criterionPath, 'cbc:Description');
  add(allAt(criterion, 'cac:SubordinateAwardingCriterion', 'cbc:Name'), ...criterionPath, 'cac:SubordinateAwardingCriterion', 'cbc:Name');
  add(allAt(criterion, 'cac:SubordinateAwardingCriterion', 'cbc:Description'), ...criterionPath, 'cac:SubordinateAwardingCriterion', 'cbc:Description');
  return texts;
}

function lotsOf(root: TreeNode): TreeNode[] {
  return nodesOf(root[LOT]).filter((lot) => attrOf(lot['cbc:ID'], 'schemeName') !== 'LotsGroup');
}

function readLot(lotNode: TreeNode, prefix: string): { lot: NoticeLot; findings: Finding[]; texts: NoticeText[]; deadline: string | null } {
  const number = textOf(lotNode['cbc:ID']) ?? '';
  const at = joinPath(prefix, LOT);
  const project = firstAt(lotNode, PROJECT);
  const terms = firstAt(lotNode, 'cac:TenderingTerms');
  return {
    lot: {
      number,
      title: preferredText(allAt(project, 'cbc:Name')),
      description: preferredText(allAt(project, 'cbc:Description')),
      cpv: cpvOf(project),
      amount: estimatedAmount(project),
      places: placesOf(project),
    },
    findings: [...reservedFindings(terms, number, joinPath(at, 'cac:TenderingTerms')), ...strategicFindings(project, number, joinPath(at, PROJECT))],
    texts: lotTexts(lotNode, number, at),
    deadline: deadlineOf(firstAt(lotNode, 'cac:TenderingProcess')),
  };
}

/** Winners of an award notice: efac:NoticeResult (lot results → tenders → tendering parties → organisations). */
function awardsOf(root: TreeNode, orgs: Map<string, Organisation>): NoticeAward[] {
  const result = firstAt(extensions(root), 'efac:NoticeResult');
  if (!isNode(result)) return [];
  const idOf = (v: TreeValue | undefined) => textOf(firstAt(v, 'cbc:ID'));
  const tenders = new Map(nodesOf(result['efac:LotTender']).map((t) => [idOf(t), t]));
  const parties = new Map(nodesOf(result['efac:TenderingParty']).map((p) => [idOf(p), p]));
  const contracts = nodesOf(result['efac:SettledContract']);
  const awards: NoticeAward[] = [];
  for (const lotResult of nodesOf(result['efac:LotResult'])) {
    const status = textOf(lotResult['cbc:TenderResultCode']);
    if (status && status !== 'selec-w') continue;
    for (const ref of allAt(lotResult, 'efac:LotTender', 'cbc:ID').map(textOf)) {
      const tender = tenders.get(ref);
      if (!tender) continue;
      const party = parties.get(idOf(tender['efac:TenderingParty']));
      const holders: AwardHolder[] = allAt(party, 'efac:Tenderer', 'cbc:ID')
        .map((id) => orgs.get(textOf(id) ?? ''))
        .filter((o): o is Organisation => Boolean(o))
        .map((o) => ({ name: o.name, siret: o.siret }));
      const contract = contracts.find((c) => allAt(c, 'efac:LotTender', 'cbc:ID').some((id) => textOf(id) === ref));
      awards.push({
        lot: idOf(lotResult['efac:TenderLot']) ?? idOf(tender['efac:TenderLot']),
        holders,
        amount: amountOf(firstAt(tender, 'cac:LegalMonetaryTotal', 'cbc:PayableAmount')),
        date: isoDay(contract?.['cbc:IssueDate']),
      });
    }
  }
  return awards;
}

export interface EformsBody extends NoticeBody {
  noticeId: string | null;
  version: string | null;
  /** TED publication number (00123456-2023) when the notice was published. */
  publicationId: string | null;
}

/**
 * Reads an eForms notice tree (`kind` = its root name, `root` = its content). `prefix` is the dotted path
 * of the root in the source record ("" for an XML file, "EFORMS.ContractNotice" in BOAMP's `donnees`).
 */
export function readEformsTree(kind: string, root: TreeNode, prefix: string): EformsBody {
  const orgs = organisations(root);
  const project = firstAt(root, PROJECT);
  const lots = lotsOf(root).map((l) => readLot(l, prefix));
  const places = placesOf(project);
  for (const l of lots) mergePlaces(places, l.lot.places);
  const lotAmounts = lots.map((l) => l.lot.amount);
  const sumOfLots = lots.length > 0 && lotAmounts.every((a) => a !== null) ? lotAmounts.reduce((s, a) => s! + a!, 0) : null;
  const publication = firstAt(extensions(root), 'efac:Publication');
  const procedureCode = textOf(firstAt(root, 'cac:TenderingProcess', 'cbc:ProcedureCode'));
  const texts: NoticeText[] = [
    ...lotTexts(root, null, prefix),
    ...languageTexts(allAt(root, 'cac:TenderingProcess', 'cbc:Description')).map((text) => ({
      path: joinPath(prefix, 'cac:TenderingProcess', 'cbc:Description'),
      lot: null,
      text,
    })),
    ...lots.flatMap((l) => l.texts),
  ];
  return {
    noticeId: textOf(root['cbc:ID']),
    version: textOf(root['cbc:VersionID']),
    publicationId: textOf(firstAt(publication, 'efbc:NoticePublicationID')),
    buyer: buyerOf(root, orgs),
    title: preferredText(allAt(project, 'cbc:Name')),
    description: preferredText(allAt(project, 'cbc:Description')),
    procedure: procedureCode ? (PROCEDURE_LABELS[procedureCode] ?? procedureCode) : null,
    nature: natureOf(kind, root),
    cpv: distinct([...cpvOf(project), ...lots.flatMap((l) => l.lot.cpv)]),
    places,
    publishedAt: isoDay(firstAt(publication, 'efbc:PublicationDate')) ?? isoDay(root['cbc:IssueDate']),
    deadline: lots.map((l) => l.deadline).find(Boolean) ?? deadlineOf(firstAt(root, 'cac:TenderingProcess')),
    amount: estimatedAmount(project) ?? sumOfLots ?? amountOf(firstAt(extensions(root), 'efac:NoticeResult', 'cbc:TotalAmount')),
    lots: lots.map((l) => l.lot),
    awards: awardsOf(root, orgs),
    fieldFindings: [
      ...reservedFindings(firstAt(root, 'cac:TenderingTerms'), null, joinPath(prefix, 'cac:TenderingTerms')),
      ...strategicFindings(project, null, joinPath(prefix, PROJECT)),
      ...lots.flatMap((l) => l.findings),
    ],
    texts,
  };
}

/** The TED page of a published notice. */
export const tedUrl = (publicationId: string | null) => (publicationId ? `https://ted.europa.eu/fr/notice/-/detail/${publicationId}` : null);

/** Every notice of an eForms XML file (usually one, the root). */
export async function* readEformsXml(file: string): AsyncGenerator<ReadItem> {
  const base = path.basename(file);
  const items = readXmlRecords(file, {
    isRecord: (name) => name.endsWith('Notice') && EFORMS_NOTICE_ROOTS.includes(localName(name)),
    renameElement: eformsElementName,
    noRecordMessage: `Le fichier ${base} ne contient aucun avis eForms (ContractNotice, ContractAwardNotice ou PriorInformationNotice).`,
  });
  for await (const item of items) {
    if (!item.ok) {
      yield { ok: false, position: `${base}, ligne ${item.line}`, code: item.code, message: item.message };
      continue;
    }
    const { record } = item;
    const position = record.isRoot ? base : `${base}, ligne ${record.line}`;
    if (!isNode(record.tree)) {
      yield { ok: false, position, code: 'NOTICE_ID_MISSING', message: `Avis eForms vide (${position}) : ignoré.` };
      continue;
    }
    const { noticeId, version: _version, publicationId, title, ...body } = readEformsTree(record.name, record.tree, '');
    if (!noticeId) {
      yield { ok: false, position, code: 'NOTICE_ID_MISSING', message: `Avis eForms sans identifiant (cbc:ID) (${position}) : ignoré.` };
      continue;
    }
    yield {
      ok: true,
      position,
      notice: { source: 'eforms', sourceId: noticeId, url: tedUrl(publicationId), title: title ?? `Avis eForms ${noticeId}`, ...body, raw: record.xml },
    };
  }
}
