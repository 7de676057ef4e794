// Uploaded files on disk: random names under the upload folder, written atomically, served read-only.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';
import type { Platform } from './platform.ts';

export type UploadFolder = 'logos' | 'needs';

/** The only relative paths that exist: a folder, 16 random bytes in hex and a known extension. */
const REL_PATH = /^([a-z]+)\/([0-9a-f]{32})\.(png|webp|jpg|pdf|docx|xlsx|pptx|odt|ods|odp|doc|xls)$/;

export const UPLOAD_CONTENT_TYPES: Record<string, string> = {
  png: 'image/png',
  webp: 'image/webp',
  jpg: 'image/jpeg',
  // Attachments of purchasing needs (never served by the public route below).
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
};

/** Folders the public route serves; the others (needs' attachments) go through their module's checks. */
const PUBLIC_FOLDERS = new Set<string>(['logos']);

/** Absolute path of an upload, or null for anything that is not exactly a name `saveUpload` makes. */
export function uploadFilePath(config: Pick<Config, 'uploadDir'>, relPath: string): string | null {
  if (typeof relPath !== 'string' || !REL_PATH.test(relPath)) return null;
  const root = path.resolve(config.uploadDir);
  const full = path.resolve(root, relPath);
  // Cannot fail with the pattern above; kept so that a future change of the pattern cannot open the disk.
  return full.startsWith(root + path.sep) ? full : null;
}

/**
 * Writes `data` as `<uploadDir>/<folder>/<32 hex>.<ext>` and returns `<folder>/<name>.<ext>` (what to store).
 * The file appears whole or not at all: it is written under a temporary name in the same folder, then renamed.
 */
export async function saveUpload(config: Pick<Config, 'uploadDir'>, folder: UploadFolder, data: Buffer, ext: string): Promise<string> {
  const relPath = `${folder}/${randomBytes(16).toString('hex')}.${ext}`;
  const full = uploadFilePath(config, relPath);
  if (!full) throw new Error(`saveUpload: unsupported folder or extension (${folder}, ${ext})`);
  await fs.promises.mkdir(path.dirname(full), { recursive: true });
  const tmp = path.join(path.dirname(full), `.${path.basename(full)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.promises.writeFile(tmp, data, { flag: 'wx', mode: 0o644 });
    await fs.promises.rename(tmp, full);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  return relPath;
}

/**
 * Deletes an upload. True when a file was removed, false when there was none (already removed).
 * Throws for a path that is not one `saveUpload` makes (`../`, absolute paths…): nothing outside the
 * upload folder is ever touched.
 */
export async function removeUpload(config: Pick<Config, 'uploadDir'>, relPath: string): Promise<boolean> {
  const full = uploadFilePath(config, relPath);
  if (!full) throw new Error(`removeUpload: refused path ${JSON.stringify(relPath)}`);
  try {
    await fs.promises.unlink(full);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** `GET /uploads/:folder/:file`: the stored files, with their type, cacheable for a day. */
export async function uploadRoutes(app: FastifyInstance, platform: Platform) {
  const notFound = () => new AppError('NOT_FOUND', 'Fichier introuvable.', 404);
  app.get<{ Params: { folder: string; file: string } }>('/uploads/:folder/:file', { config: { access: 'public' } }, async (req, reply) => {
    const relPath = `${req.params.folder}/${req.params.file}`;
    const full = PUBLIC_FOLDERS.has(req.params.folder) ? uploadFilePath(platform.config, relPath) : null;
    if (!full) throw notFound();
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(full, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw notFound();
      throw e;
    }
    let size: number;
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw notFound();
      size = stat.size;
    } catch (e) {
      await handle.close();
      throw e;
    }
    const ext = full.slice(full.lastIndexOf('.') + 1);
    return reply
      .header('Content-Type', UPLOAD_CONTENT_TYPES[ext]!)
      .header('Content-Length', size)
      .header('Cache-Control', 'public, max-age=86400')
      .header('X-Content-Type-Options', 'nosniff')
      .send(handle.createReadStream());
  });
}
