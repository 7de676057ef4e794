// Audit log of sensitive actions: who, what, when, on what, before and after.
import type { Queryable } from './db.ts';

export interface AuditEntry {
  /** The person who acted; null for the system, the CLI or an API token (say which in actorKind). */
  actorId: string | null;
  actorKind?: string;
  action: string;
  targetType: string;
  targetId: string;
  organisationId?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

export async function audit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (actor_id, actor_kind, action, target_type, target_id, organisation_id, before, after, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      e.actorId,
      e.actorKind ?? (e.actorId ? 'person' : 'system'),
      e.action,
      e.targetType,
      e.targetId,
      e.organisationId ?? null,
      e.before === undefined ? null : JSON.stringify(e.before),
      e.after === undefined ? null : JSON.stringify(e.after),
      e.reason ?? null,
    ],
  );
}
