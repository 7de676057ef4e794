// Import formats (placeholder: the readers land with the import work).
import { AppError } from '../../../core/errors.ts';
import type { ImportLine } from '../service.ts';

export const IMPORT_FORMATS = ['emplois', 'marche', 'data-inclusion', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export async function readStructuresFile(format: ImportFormat, _file: string): Promise<ImportLine[]> {
  throw new AppError('NOT_IMPLEMENTED', `Format ${format} pas encore disponible.`);
}
