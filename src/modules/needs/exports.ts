// Exports of a need's answers for its buyer: CSV (UTF-8 with BOM, ";" separator, as French Excel opens it)
// and XLSX (exceljs), same columns, same filters as the page. Public contacts only, never private ones.
import ExcelJS from 'exceljs';
import { csvLine } from '../directory/exports.ts';
import type { Answer, StructureRef } from './follow-up.ts';
import { RECIPIENT_STATUS_LABEL } from './model.ts';
import type { Need } from './repository.ts';

const DATE = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Paris' });
const day = (iso: string | null) => (iso ? DATE.format(new Date(iso)) : '');

const BASE_COLUMNS = [
  'Réponse',
  'Structure',
  'SIRET',
  'Type',
  'Commune',
  'Département',
  'Statut',
  'Contactée le',
  'Lien ouvert le',
  'Besoin consulté le',
  'Intéressée le',
  'Pas intéressée le',
  'Motif',
  'Cherche des partenaires le',
  'Membres du groupement',
  'Score',
  'Distance (km)',
  'Raisons de la sélection',
  'Courriel public',
  'Téléphone public',
  'Site internet',
] as const;

/** The header row: the base columns, then one column per question of the buyer. */
export function exportHeader(need: Need): string[] {
  return [...BASE_COLUMNS, ...need.questions.map((q, i) => `Question ${i + 1} : ${q.text}`)];
}

function structureCells(s: StructureRef): string[] {
  return [s.name, s.siret, `${s.kind} – ${s.kindName}`, s.communeName ?? '', s.departmentCode ?? ''];
}

/** One row per answer (a groupement is one row, its members in one cell); numbers as numbers for XLSX. */
export function exportRows(need: Need, items: Answer[]): (string | number)[][] {
  return items.map((a) => {
    const answers = need.questions.map((q) => a.answers.find((x) => x.questionId === q.id)?.answer ?? '');
    const distance = a.distanceKm ?? '';
    if (a.type === 'consortium') {
      const members = a.members.map((m) => `${m.name} (${m.siret}, ${m.role === 'lead' ? 'mandataire' : 'co-traitant'}, ${m.status === 'accepted' ? 'accepté' : m.status === 'invited' ? 'invité' : 'refusé'})`).join(' ; ');
      const c = a.lead.contact;
      return [
        'Groupement',
        ...structureCells(a.lead),
        'Groupement (mandataire)',
        '', '', '', day(a.createdAt), '', '', '',
        members,
        '',
        distance,
        '',
        c.email ?? '', c.phone ?? '', c.website ?? '',
        ...answers,
      ];
    }
    const c = a.contact;
    return [
      'Structure',
      ...structureCells(a),
      RECIPIENT_STATUS_LABEL[a.status],
      day(a.sentAt),
      day(a.openedAt),
      day(a.viewedAt),
      day(a.interestedAt),
      day(a.notInterestedAt),
      a.notInterestedReason ?? '',
      day(a.partnersAt),
      '',
      a.score ?? '',
      distance,
      a.reasons.join(' ; '),
      c.email ?? '', c.phone ?? '', c.website ?? '',
      ...answers,
    ];
  });
}

export const exportFileName = (need: Need, ext: 'csv' | 'xlsx') => `reponses-${need.reference}.${ext}`;

export function answersCsv(need: Need, items: Answer[]): string {
  return `\uFEFF${csvLine(exportHeader(need))}${exportRows(need, items)
    .map((r) => csvLine(r.map((v) => (typeof v === 'number' ? String(v).replace('.', ',') : v))))
    .join('')}`;
}

export async function answersXlsx(need: Need, items: Answer[]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Passerelles';
  const sheet = book.addWorksheet('Réponses', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(exportHeader(need));
  sheet.getRow(1).font = { bold: true };
  // Cells that look like formulas stay text (exceljs writes strings as strings).
  for (const r of exportRows(need, items)) sheet.addRow(r);
  sheet.columns.forEach((col, i) => {
    col.width = i === 1 ? 40 : i === 2 ? 16 : 20;
  });
  return Buffer.from(await book.xlsx.writeBuffer());
}
