// One entry point for every notice format: a file, or a directory whose readable files are read one
// after the other (sorted by name, not recursive). A broken record or file is reported and reading goes on.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../../core/errors.ts';
import type { NoticeFormat, ReadItem } from '../model.ts';
import { readBoampJson } from './boamp.ts';
import { readBoampXml } from './boamp-xml.ts';
import { readDecp } from './decp.ts';
import { readEformsXml } from './eforms.ts';

const EXTENSIONS: Record<NoticeFormat, string[]> = {
  boamp: ['.json', '.jsonl', '.ndjson'],
  'boamp-xml': ['.xml'],
  eforms: ['.xml'],
  decp: ['.json', '.jsonl', '.ndjson', '.xml'],
};

const READERS: Record<NoticeFormat, (file: string) => AsyncGenerator<ReadItem>> = {
  boamp: readBoampJson,
  'boamp-xml': readBoampXml,
  eforms: readEformsXml,
  decp: readDecp,
};

/** The files to read: the file itself, or the readable files of a directory (by extension), sorted. */
export async function noticeFiles(format: NoticeFormat, fileOrDir: string): Promise<{ files: string[]; directory: boolean }> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(fileOrDir);
  } catch {
    throw new AppError('NOTICE_FILE_NOT_FOUND', `Fichier ou dossier introuvable : ${fileOrDir}`);
  }
  if (!stat.isDirectory()) return { files: [fileOrDir], directory: false };
  const entries = await fs.promises.readdir(fileOrDir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && EXTENSIONS[format].includes(path.extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => path.join(fileOrDir, name));
  return { files, directory: true };
}

/** Prefixes a position with the file name when reading a directory ("a.jsonl, ligne 3"). */
function inFile(item: ReadItem, file: string): ReadItem {
  const base = path.basename(file);
  return item.position.startsWith(base) ? item : { ...item, position: `${base}, ${item.position}` };
}

/** Every notice (or unreadable record) of a file or directory, in the given format. */
export async function* readNotices(format: NoticeFormat, fileOrDir: string): AsyncGenerator<ReadItem> {
  const { files, directory } = await noticeFiles(format, fileOrDir);
  const read = READERS[format];
  for (const file of files) {
    for await (const item of read(file)) yield directory ? inFile(item, file) : item;
  }
}
