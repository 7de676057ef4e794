// BOAMP XML notices (DILA schema Boamp_v230 and later): one <ANNONCE> (or any element holding <GESTION> and
// <DONNEES>) per notice, usually one per file; a file holding several yields each. The XML is read into the
// same tree as BOAMP open data's legacy `donnees`, and read by the same legacy reader (boamp.ts).
import path from 'node:path';
import type { ReadItem } from '../model.ts';
import { boampUrl, readGestion, readLegacyTree, withGestion } from './boamp.ts';
import { isNode, readXmlRecords, type TreeValue } from './xml-tree.ts';

/** A BOAMP notice element: it holds GESTION and DONNEES. */
const isBoampNotice = (_name: string, value: TreeValue) => isNode(value) && isNode(value.GESTION) && isNode(value.DONNEES);

/** Every notice of a BOAMP XML file. */
export async function* readBoampXml(file: string): AsyncGenerator<ReadItem> {
  const base = path.basename(file);
  const items = readXmlRecords(file, {
    isRecord: isBoampNotice,
    noRecordMessage: `Le fichier ${base} ne contient aucun avis BOAMP (un élément avec <GESTION> et <DONNEES>).`,
  });
  for await (const item of items) {
    if (!item.ok) {
      yield { ok: false, position: `${base}, ligne ${item.line}`, code: item.code, message: item.message };
      continue;
    }
    const { record } = item;
    const position = record.isRoot ? base : `${base}, ligne ${record.line}`;
    const notice = record.tree as { GESTION: TreeValue; DONNEES: TreeValue };
    const gestion = readGestion(notice.GESTION);
    if (!gestion.id) {
      yield { ok: false, position, code: 'NOTICE_ID_MISSING', message: `Avis BOAMP sans identifiant (GESTION/REFERENCE/IDWEB) (${position}) : ignoré.` };
      continue;
    }
    const { title, ...body } = withGestion(readLegacyTree(notice.DONNEES as never), gestion);
    yield {
      ok: true,
      position,
      notice: { source: 'boamp', sourceId: gestion.id, url: boampUrl(gestion.id), title: title ?? `Avis BOAMP ${gestion.id}`, ...body, raw: record.xml },
    };
  }
}
