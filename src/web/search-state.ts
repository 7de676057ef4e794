// The state of the results page lives in the query string, with the API's parameter names (plus view).
import { placeKey } from '../core/text.ts';
import { AppError } from '../core/errors.ts';
import { loadTerritories, type Territory } from '../modules/territories/data.ts';

export type View = 'list' | 'map';

/** The query as typed, leniently read (never throws): what the form shows back. */
export interface FormState {
  q: string;
  kind: string[];
  family: string[];
  sectorGroup: string[];
  sector: string[];
  serviceType: string[];
  department: string;
  region: string;
  /** What the visible commune field shows: a label ("Lille (59)") or the text typed. */
  communeText: string;
  /** INSEE code once resolved. */
  communeCode: string;
  radiusKm: string;
  sort: string;
  page: string;
  perPage: string;
  view: View;
}

type RawQuery = Record<string, unknown>;

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v])
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter(Boolean);
const one = (v: unknown): string => {
  const l = Array.isArray(v) ? v : [v];
  const first = l.find((x) => x !== undefined && x !== null && String(x).trim() !== '');
  return first === undefined ? '' : String(first).trim();
};

export function readState(raw: RawQuery): FormState {
  return {
    q: one(raw.q),
    kind: list(raw.kind),
    family: list(raw.family),
    sectorGroup: list(raw.sectorGroup),
    sector: list(raw.sector),
    serviceType: list(raw.serviceType),
    department: one(raw.department),
    region: one(raw.region),
    // "commune" carries an INSEE code (links of the app, autocompletion); "lieu" what a person typed.
    // An old or hand-made link may still put a name in "commune": it is read as typed text.
    communeText: one(raw.lieu) || (INSEE.test(one(raw.commune)) ? '' : one(raw.commune)),
    communeCode: INSEE.test(one(raw.commune)) ? one(raw.commune).toUpperCase() : '',
    radiusKm: one(raw.radiusKm),
    sort: one(raw.sort),
    page: one(raw.page),
    perPage: one(raw.perPage),
    view: one(raw.view) === 'map' ? 'map' : 'list',
  };
}

const INSEE = /^(\d{5}|2[AB]\d{3})$/i;

/**
 * What a person typed in the commune field: a postal code (first: that is what people type), an INSEE
 * code, a name or a label ("Lille", "Lille (59)"). A name must be the commune's name or its beginning:
 * a commune is never guessed from a few letters found inside another name.
 */
export function resolveCommune(text: string): Territory {
  const t = loadTerritories();
  const s = text.trim();
  if (/^\d{5}$/.test(s)) {
    const byPostal = t.suggest(s, 50, ['commune']).filter((c) => c.postalCodes.includes(s));
    const main = byPostal.sort((a, b) => (b.population ?? 0) - (a.population ?? 0))[0];
    if (main) return main;
  }
  if (INSEE.test(s)) {
    const byCode = t.commune(s.toUpperCase());
    if (byCode) return byCode;
  }
  const labelled = /^(.+?)\s*\((\d{2,3}|2[AB])\)$/i.exec(s);
  if (labelled) {
    const hit = t.resolveCommune({ city: labelled[1], department: labelled[2].toUpperCase() });
    if (hit) return hit;
  }
  const name = placeKey(labelled ? labelled[1] : s);
  const [first] = name ? t.suggest(name, 1, ['commune']) : [];
  const known = first ? placeKey(first.name) : '';
  if (first && (known === name || (name.length >= 3 && known.startsWith(name)))) return first;
  throw new AppError(
    'UNKNOWN_COMMUNE',
    `Commune introuvable : « ${s.slice(0, 80)} ». Saisissez le nom d’une commune, son code postal ou son code INSEE.`,
    400,
    { field: 'commune' },
  );
}

/** Resolves the commune text into a code (mutates the state); throws a French 400 when unknown. */
export function resolveStateCommune(state: FormState): void {
  const t = loadTerritories();
  const chosen = state.communeCode ? t.commune(state.communeCode) : undefined;
  if (chosen) {
    state.communeText = t.label(chosen);
    return;
  }
  if (state.communeCode && !state.communeText) state.communeText = state.communeCode;
  state.communeCode = '';
  if (!state.communeText) return;
  const c = resolveCommune(state.communeText);
  state.communeCode = c.code;
  state.communeText = loadTerritories().label(c);
}

/** Parameters for the API schema: the raw query with the commune resolved, without the view. */
export function apiQuery(raw: RawQuery, state: FormState): RawQuery {
  const { view: _view, lieu: _lieu, ...rest } = raw;
  return { ...rest, commune: state.communeCode || undefined };
}

/** Canonical query string of a state, with overrides; defaults are left out. */
export function queryString(s: FormState, over: Partial<Record<'page' | 'view', string>> = {}): string {
  const p = new URLSearchParams();
  const add = (k: string, v: string) => {
    if (v) p.append(k, v);
  };
  add('q', s.q);
  for (const k of ['kind', 'family', 'sectorGroup', 'sector', 'serviceType'] as const) for (const v of s[k]) add(k, v);
  add('department', s.department);
  add('region', s.region);
  if (s.communeCode) add('commune', s.communeCode);
  else add('lieu', s.communeText);
  add('radiusKm', s.radiusKm);
  if (s.sort && s.sort !== 'relevance') add('sort', s.sort);
  if (s.perPage && s.perPage !== '20') add('perPage', s.perPage);
  const page = over.page ?? s.page;
  if (page && page !== '1') add('page', page);
  const view = over.view ?? s.view;
  if (view === 'map') add('view', 'map');
  const out = p.toString();
  return out ? `?${out}` : '';
}
