// Attachments of a purchasing need: PDF and office files of at most 10 MB, at most 3 per need, recognised
// by their content (never by their name or the type the browser sends), stored under UPLOAD_DIR/needs/ with
// a random name and served only to the people who may see the need.
import fs from 'node:fs';
import type { Config } from '../../core/config.ts';
import { AppError } from '../../core/errors.ts';
import { UPLOAD_CONTENT_TYPES, uploadFilePath } from '../../core/uploads.ts';

export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;
export const ATTACHMENTS_MAX = 3;
export const ATTACHMENT_HINT = 'PDF, traitement de texte, tableur ou présentation (Word, Excel, PowerPoint, OpenDocument), 10 Mo au plus par fichier, 3 fichiers au plus.';

export type AttachmentExt = 'pdf' | 'docx' | 'xlsx' | 'pptx' | 'odt' | 'ods' | 'odp' | 'doc' | 'xls';

export interface Attachment {
  id: string;
  needId: string;
  filePath: string;
  originalName: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
}

export const toAttachment = (r: Record<string, unknown>): Attachment => ({
  id: r.id as string,
  needId: r.need_id as string,
  filePath: r.file_path as string,
  originalName: r.original_name as string,
  contentType: r.content_type as string,
  sizeBytes: Number(r.size_bytes),
  createdAt: new Date(r.created_at as string).toISOString(),
});

/** An uploaded file as the multipart parser hands it over (see post-pages.ts). */
export interface UploadedFile {
  data: Buffer;
  filename: string;
  /** The parser cut the file at the limit: it was larger. */
  truncated?: boolean;
}

const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const ZIP_LOCAL = 0x04034b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_END = 0x06054b50;

/** Names of the entries of a ZIP archive, from its central directory; null when it is not a readable ZIP. */
export function zipEntryNames(buf: Buffer): string[] | null {
  if (buf.length < 22 || buf.readUInt32LE(0) !== ZIP_LOCAL) return null;
  // The end record is in the last 22 + 65 535 bytes (its comment is at most 65 535 bytes long).
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === ZIP_END) {
      end = i;
      break;
    }
  }
  if (end < 0) return null;
  const count = buf.readUInt16LE(end + 10);
  let offset = buf.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count && i < 10000; i++) {
    if (offset + 46 > buf.length || buf.readUInt32LE(offset) !== ZIP_CENTRAL) return null;
    const nameLength = buf.readUInt16LE(offset + 28);
    const extraLength = buf.readUInt16LE(offset + 30);
    const commentLength = buf.readUInt16LE(offset + 32);
    if (offset + 46 + nameLength > buf.length) return null;
    names.push(buf.subarray(offset + 46, offset + 46 + nameLength).toString('utf8'));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** The OpenDocument type: the first entry is "mimetype", stored uncompressed, holding the media type. */
function odfType(buf: Buffer): string | null {
  if (buf.length < 30 || buf.readUInt32LE(0) !== ZIP_LOCAL) return null;
  const method = buf.readUInt16LE(8);
  const size = buf.readUInt32LE(18);
  const nameLength = buf.readUInt16LE(26);
  const extraLength = buf.readUInt16LE(28);
  if (method !== 0 || nameLength !== 8) return null;
  if (buf.subarray(30, 38).toString('latin1') !== 'mimetype') return null;
  const start = 30 + nameLength + extraLength;
  if (size > 200 || start + size > buf.length) return null;
  return buf.subarray(start, start + size).toString('latin1');
}

const ODF_EXT: Record<string, AttachmentExt> = {
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
};

const extOfName = (name: string) => name.toLowerCase().match(/\.([a-z0-9]{1,5})$/)?.[1] ?? '';

/**
 * What a file is, from its bytes: PDF (`%PDF-`), OOXML (a ZIP with `[Content_Types].xml` and a word/, xl/ or
 * ppt/ part), OpenDocument (a ZIP whose first entry `mimetype` says so), legacy Word or Excel (OLE2, the name
 * then says which). Null for anything else, whatever its name.
 */
export function detectAttachment(data: Buffer, filename: string): { ext: AttachmentExt; contentType: string } | null {
  const of = (ext: AttachmentExt) => ({ ext, contentType: UPLOAD_CONTENT_TYPES[ext] as string });
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return of('pdf');
  if (data.length >= 8 && data.subarray(0, 8).equals(OLE2)) {
    const ext = extOfName(filename);
    return ext === 'xls' || ext === 'xlt' ? of('xls') : ext === 'doc' || ext === 'dot' ? of('doc') : null;
  }
  if (data.length >= 4 && data.readUInt32LE(0) === ZIP_LOCAL) {
    const odf = odfType(data);
    if (odf && ODF_EXT[odf]) return of(ODF_EXT[odf]);
    const names = zipEntryNames(data);
    if (!names?.includes('[Content_Types].xml')) return null;
    if (names.some((n) => n.startsWith('word/'))) return of('docx');
    if (names.some((n) => n.startsWith('xl/'))) return of('xlsx');
    if (names.some((n) => n.startsWith('ppt/'))) return of('pptx');
  }
  return null;
}

const fieldError = (code: string, message: string, status: number) => new AppError(code, message, status, { field: 'attachments', fields: { attachments: message } });

/** Checks one file; returns its stored type, or throws a French error naming the file. */
export function checkAttachment(file: UploadedFile): { ext: AttachmentExt; contentType: string } {
  const name = cleanName(file.filename);
  if (file.truncated || file.data.length > ATTACHMENT_MAX_BYTES) {
    throw fieldError('UPLOAD_TOO_LARGE', `Le fichier « ${name} » dépasse 10 Mo.`, 413);
  }
  if (!file.data.length) throw fieldError('UPLOAD_EMPTY', `Le fichier « ${name} » est vide.`, 422);
  const type = detectAttachment(file.data, file.filename);
  if (!type) {
    throw fieldError(
      'UPLOAD_TYPE_REFUSED',
      `Le fichier « ${name} » n’est pas un PDF ni un document de bureautique reconnu (Word, Excel, PowerPoint, OpenDocument). Son contenu a été vérifié, pas seulement son nom.`,
      415,
    );
  }
  return type;
}

/** A displayable file name: no path, no control characters, bounded. */
export function cleanName(name: string): string {
  const base = (name || 'fichier').split(/[\\/]/).pop() as string;
  const cleaned = base.replace(/[\u0000-\u001f\u007f"<>]/g, '').trim().slice(0, 150);
  return cleaned || 'fichier';
}

/** Content-Disposition for a download, with an ASCII fallback and the UTF-8 name (RFC 6266). */
export function contentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/[^\x20-\x7e]/g, '').replace(/["\\;]/g, '_') || 'fichier';
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Opens a stored attachment for reading (null when the file is gone). */
export async function openAttachment(config: Pick<Config, 'uploadDir'>, a: Attachment): Promise<{ stream: fs.ReadStream; size: number } | null> {
  const full = uploadFilePath(config, a.filePath);
  if (!full) return null;
  try {
    const stat = await fs.promises.stat(full);
    if (!stat.isFile()) return null;
    return { stream: fs.createReadStream(full), size: stat.size };
  } catch {
    return null;
  }
}
