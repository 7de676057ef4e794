// Matching a need (or, later, a notice) with the directory: the entry point other modules use.
// The rules and the ranking live in engine.ts, the weights in weights.ts (docs/adr/0009-matching.md).
import type { Platform } from '../../core/platform.ts';
import { match } from './engine.ts';
import type { Match, MatchCriteria } from './model.ts';

/**
 * The structures eligible for the criteria, best first (score desc, distance asc, name, id), with the
 * reasons in French. `total` counts every eligible structure not excluded; `limit` cuts the list;
 * `exclude` removes structure ids (those already contacted, for instance). Demo structures are included
 * only when the platform runs with DEMO on.
 */
export async function matchNeed(p: Platform, criteria: MatchCriteria, opts: { limit?: number; exclude?: string[] } = {}): Promise<{ total: number; items: Match[] }> {
  return match(p.db, criteria, { ...opts, includeDemo: p.config.demo });
}
