// Import formats: each reader turns a file into numbered lines (a StructureInput, or why the line
// cannot be read), and throws an AppError only when the whole file is unusable (encoding, JSON syntax,
// missing CSV columns, unknown envelope). Validation, geocoding and writing are done by
// importStructures (../service.ts).
import type { ImportLine } from '../service.ts';
import { readCsvFile } from './csv.ts';
import { readDataInclusionFile } from './data-inclusion.ts';
import { readEmploisFile } from './emplois.ts';
import { readMarcheFile } from './marche.ts';

export const IMPORT_FORMATS = ['emplois', 'marche', 'data-inclusion', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

const READERS: Record<ImportFormat, (file: string) => Promise<ImportLine[]>> = {
  emplois: readEmploisFile,
  marche: readMarcheFile,
  'data-inclusion': readDataInclusionFile,
  csv: readCsvFile,
};

export async function readStructuresFile(format: ImportFormat, file: string): Promise<ImportLine[]> {
  return READERS[format](file);
}
