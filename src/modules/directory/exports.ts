// Export formats (placeholder: the writers land with the export work).
import type { Writable } from 'node:stream';
import type { Db } from '../../core/db.ts';
import { AppError } from '../../core/errors.ts';

export const EXPORT_FORMATS = ['data-inclusion', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export async function exportStructures(_db: Db, format: ExportFormat, _out: Writable): Promise<number> {
  throw new AppError('NOT_IMPLEMENTED', `Format ${format} pas encore disponible.`);
}
