// Placeholder: the matching engine is being written (issue 4). Signature other modules code against.
import type { Platform } from '../../core/platform.ts';
import type { Match, MatchCriteria } from './model.ts';

export async function matchNeed(_p: Platform, _criteria: MatchCriteria, _opts: { limit?: number; exclude?: string[] } = {}): Promise<{ total: number; items: Match[] }> {
  return { total: 0, items: [] };
}
