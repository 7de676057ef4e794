// Impact figures (public, no personal data): per région, then per département of the operator's région,
// how many needs were posted, sent, got at least one interested structure, led to a contract, and the
// amount awarded to inclusive structures (a structure or a groupement of the platform). Demo needs are
// left out. A need counts in every territory its place of execution touches; a need for the whole
// country counts in the national line only.
import type { Config } from '../../core/config.ts';
import type { Queryable } from '../../core/db.ts';
import { loadTerritories } from '../territories/data.ts';
import { needPlaceKeys } from './repository.ts';

export interface ImpactFigures {
  posted: number;
  sent: number;
  withInterest: number;
  contracts: number;
  /** Euros (excluding VAT) awarded to a structure or groupement of the platform. */
  amountAwarded: number;
}

export interface ImpactRow extends ImpactFigures {
  key: string;
  code: string;
  name: string;
}

export interface Impact {
  national: ImpactFigures;
  regions: ImpactRow[];
  region: { code: string; name: string } | null;
  departments: ImpactRow[];
}

const zero = (): ImpactFigures => ({ posted: 0, sent: 0, withInterest: 0, contracts: 0, amountAwarded: 0 });

function add(to: ImpactFigures, n: ImpactFigures): void {
  to.posted += n.posted;
  to.sent += n.sent;
  to.withInterest += n.withInterest;
  to.contracts += n.contracts;
  to.amountAwarded += n.amountAwarded;
}

export async function impactFigures(q: Queryable, config: Pick<Config, 'region'>): Promise<Impact> {
  const rows = await q.query<{
    place_kind: 'commune' | 'territories' | 'country' | null;
    place_commune: string | null;
    place_keys: string[];
    sent: boolean;
    interested: boolean;
    contract: boolean;
    amount: number | null;
  }>(
    `SELECT n.place_kind, n.place_commune, n.place_keys, n.first_sent_at IS NOT NULL AS sent,
       (EXISTS (SELECT 1 FROM need_recipients r WHERE r.need_id = n.id AND r.interested_at IS NOT NULL)
        OR EXISTS (SELECT 1 FROM consortia c WHERE c.need_id = n.id)) AS interested,
       n.outcome_awarded = 'yes' AS contract,
       CASE WHEN n.outcome_awarded = 'yes' AND (n.outcome_structure_id IS NOT NULL OR n.outcome_consortium_id IS NOT NULL)
         THEN n.outcome_amount END AS amount
     FROM needs n
     WHERE n.submitted_at IS NOT NULL AND n.status NOT IN ('draft', 'awaiting_confirmation') AND NOT n.is_demo`,
  );
  const territories = loadTerritories();
  const national = zero();
  const byKey = new Map<string, ImpactFigures>();
  for (const r of rows) {
    const figures: ImpactFigures = {
      posted: 1,
      sent: r.sent ? 1 : 0,
      withInterest: r.interested ? 1 : 0,
      contracts: r.contract ? 1 : 0,
      amountAwarded: r.amount != null ? Number(r.amount) : 0,
    };
    add(national, figures);
    const keys = needPlaceKeys({ placeKind: r.place_kind, placeCommune: r.place_commune, placeKeys: r.place_keys ?? [] }) ?? [];
    for (const key of new Set(keys)) {
      if (!/^[RD]/.test(key)) continue;
      let f = byKey.get(key);
      if (!f) byKey.set(key, (f = zero()));
      add(f, figures);
    }
  }
  const row = (key: string): ImpactRow | null => {
    const t = territories.byKey.get(key);
    return t ? { key, code: t.code, name: t.name, ...(byKey.get(key) ?? zero()) } : null;
  };
  // Régions with needs, and the operator's région always; every département of the operator's région.
  const regionKeys = new Set([...byKey.keys()].filter((k) => k.startsWith('R')));
  const operator = territories.get('region', config.region);
  if (operator) regionKeys.add(operator.key);
  const regions = [...regionKeys].map(row).filter((r): r is ImpactRow => r !== null).sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  const departments = operator
    ? territories
        .all('departement')
        .filter((d) => d.regionCode === operator.code)
        .map((d) => row(d.key) as ImpactRow)
        .sort((a, b) => a.code.localeCompare(b.code))
    : [];
  return { national, regions, region: operator ? { code: operator.code, name: operator.name } : null, departments };
}
