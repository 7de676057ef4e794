// Editing a structure's profile: who may (members, facilitator of the territory, platform; not another
// organisation, not anonymous), what shows in search at once, official fields (facilitators and platform only,
// with a reason), French messages per field, CSRF on the form and on the upload, the logo (checked by content,
// resized, served, replaced), imports that leave edited fields alone, the completion score, and API tokens.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSiret } from '../src/core/siret.ts';
import { sha256 } from '../src/core/tokens.ts';
import { directoryVersion } from '../src/modules/directory/repository.ts';
import { SearchQuerySchema, searchStructures } from '../src/modules/directory/search.ts';
import { importStructures } from '../src/modules/directory/service.ts';
import { addMember, anonymous, createOrganisation, createPerson, postForm, type Session, signIn } from './helpers/accounts.ts';
import { createTestApp } from './helpers/app.ts';
import { structure } from './helpers/fixtures.ts';

type TestApp = Awaited<ReturnType<typeof createTestApp>>;
let t: TestApp;
let uploadDir: string;

const NET = 'nettoyage-de-locaux-16';
const EV = 'creation-et-entretien-des-espaces-verts';
const S = {
  // Lille (Nord).
  gamma: structure({
    name: 'Gamma Propreté',
    communeCode: '59350',
    description: 'Nettoyage de bureaux.',
    publicPhone: '03 20 00 00 01',
    activities: [{ sector: NET, serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 10 } }],
  }),
  // Amiens (Somme).
  hotel: structure({ name: 'Hotel Services Adaptés', kind: 'EA', communeCode: '80021' }),
  // Lille: official fields are corrected on this one.
  india: structure({ name: 'India Recyclage', communeCode: '59350' }),
};
const id = { gamma: '', hotel: '', india: '' };
let gammaOrg = '';
let hotelOrg = '';
let member: Session; // member (not administrator) of Gamma
let otherMember: Session; // member of Hotel
let facilitatorNord: Session; // verified facilitator of the Nord
let facilitatorSomme: Session; // verified facilitator of the Somme

beforeAll(async () => {
  uploadDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'passerelles-editing-'));
  t = await createTestApp({ UPLOAD_DIR: uploadDir });
  const report = await importStructures(t.db, Object.values(S).map((input, i) => ({ line: i + 1, input })));
  expect(report.rejected).toEqual([]);
  for (const k of Object.keys(S) as (keyof typeof S)[]) id[k] = ((await t.db.one<{ id: string }>('SELECT id FROM structures WHERE name = $1', [S[k].name])) as { id: string }).id;
  gammaOrg = await createOrganisation(t.db, { type: 'structure', name: S.gamma.name, structureId: id.gamma });
  hotelOrg = await createOrganisation(t.db, { type: 'structure', name: S.hotel.name, structureId: id.hotel });
  const m = await createPerson(t.db, { email: 'membre@gamma.example' });
  await addMember(t.db, gammaOrg, m.id, 'member');
  member = await signIn(t.db, m.id);
  const o = await createPerson(t.db, { email: 'membre@hotel.example' });
  await addMember(t.db, hotelOrg, o.id, 'admin');
  otherMember = await signIn(t.db, o.id);
  for (const [dep, set] of [
    ['D59', (s: Session) => (facilitatorNord = s)],
    ['D80', (s: Session) => (facilitatorSomme = s)],
  ] as const) {
    const org = await createOrganisation(t.db, { type: 'facilitator', territoryKeys: [dep], verified: true, category: 'clauses_sociales' });
    const f = await createPerson(t.db, { email: `facilitateur.${dep.toLowerCase()}@clauses.example` });
    await addMember(t.db, org, f.id, 'admin');
    set(await signIn(t.db, f.id));
  }
});
afterAll(async () => {
  await t?.close();
  await fs.promises.rm(uploadDir, { recursive: true, force: true });
});

const patch = (s: Session | null, structureId: string, payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'PATCH', url: `/api/v1/structures/${structureId}`, headers: { ...(s?.headers ?? {}), ...headers }, payload });
const page = (s: Session | null, url: string) => t.app.inject({ url, headers: s ? { cookie: s.cookie } : {} });
const search = async (q: Record<string, unknown>) => searchStructures(t.db, SearchQuerySchema.parse(q));
const row = (structureId: string) =>
  t.db.one<{ description: string | null; public_phone: string | null; name: string; siret: string; logo_path: string | null; edited_fields: string[]; edited_at: Date | null }>(
    'SELECT description, public_phone, name, siret, logo_path, edited_fields, edited_at FROM structures WHERE id = $1',
    [structureId],
  );
const lastAudit = (structureId: string) =>
  t.db.one<{ action: string; actor_id: string | null; actor_kind: string; reason: string | null; before: Record<string, unknown>; after: Record<string, unknown>; organisation_id: string | null }>(
    `SELECT action, actor_id, actor_kind, reason, before, after, organisation_id FROM audit_log WHERE target_type = 'structure' AND target_id = $1 ORDER BY id DESC LIMIT 1`,
    [structureId],
  );

/** A multipart body as a browser sends it. */
function multipart(fields: Record<string, string>, file?: { name: string; filename: string; type: string; data: Buffer }): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----passerelles${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
const png = (width: number, height: number, background = '#0055aa') => sharp({ create: { width, height, channels: 3, background } }).png().toBuffer();
const uploadLogoPage = (s: Session, structureId: string, data: Buffer, o: { csrf?: boolean; filename?: string } = {}) => {
  const body = multipart(o.csrf === false ? {} : { _csrf: s.csrf }, { name: 'logo', filename: o.filename ?? 'logo.png', type: 'image/png', data });
  return t.app.inject({ method: 'POST', url: `/structures/modifier/${structureId}/logo`, headers: { cookie: s.cookie, ...body.headers }, payload: body.payload } as InjectOptions);
};
const logoFiles = async () => (await fs.promises.readdir(path.join(uploadDir, 'logos')).catch(() => [] as string[])).filter((f) => !f.startsWith('.'));

/** A message people can read: French, not a validator's English. */
const expectFrench = (m: unknown) => {
  expect(typeof m).toBe('string');
  expect(m as string).not.toMatch(/\b(invalid|expected|required|must|received|undefined|null|NaN|Too)\b/i);
};

describe('who may edit', () => {
  it('anonymous: 401 on the API, sign-in first for the page', async () => {
    const res = await patch(anonymous(), id.gamma, { description: 'x' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('UNAUTHENTICATED');
    const p = await page(null, `/structures/modifier/${id.gamma}`);
    expect(p.statusCode).toBe(303);
    expect(p.headers.location).toBe(`/connexion?retour=${encodeURIComponent(`/structures/modifier/${id.gamma}`)}`);
  });

  it('a member of another organisation: 403 on the API and the page; a facilitator of another territory: 403', async () => {
    expect((await patch(otherMember, id.gamma, { description: 'Piratage' })).statusCode).toBe(403);
    expect((await page(otherMember, `/structures/modifier/${id.gamma}`)).statusCode).toBe(403);
    expect((await patch(facilitatorSomme, id.gamma, { description: 'Piratage' })).statusCode).toBe(403);
    expect((await row(id.gamma))?.description).toBe('Nettoyage de bureaux.');
  });

  it('unknown structures are 404', async () => {
    expect((await patch(member, '00000000-0000-4000-8000-000000000000', { description: 'x' })).statusCode).toBe(404);
    expect((await patch(member, 'pas-un-identifiant', { description: 'x' })).statusCode).toBe(404);
  });
});

describe('editing with the API', () => {
  it('a member edits the description and adds an activity: search shows it at once, audited with only what changed', async () => {
    expect((await search({ q: 'ébénisterie' })).total).toBe(0);
    expect((await search({ sector: EV, department: '62' })).total).toBe(0);
    const version = await directoryVersion(t.db);
    const res = await patch(member, id.gamma, {
      description: 'Nettoyage de bureaux et ébénisterie sur mesure.',
      activities: [
        { sector: NET, serviceTypes: ['PREST'], area: { kind: 'radius', radiusKm: 10 } },
        { sector: EV, serviceTypes: ['PREST', 'DISP'], area: { kind: 'territories', territories: ['Pas-de-Calais', 'commune:80021'] } },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.changed.sort()).toEqual(['activities', 'description']);
    expect(body.description).toBe('Nettoyage de bureaux et ébénisterie sur mesure.');
    expect(body.activities[1]).toMatchObject({ sector: { slug: EV }, serviceTypes: ['DISP', 'PREST'], area: { kind: 'territories', territories: ['commune:80021', 'departement:62'] } });
    expect(body.completion.score).toBeGreaterThan(0);
    expect(await directoryVersion(t.db)).toBeGreaterThan(version);

    const words = await search({ q: 'ébénisterie' });
    expect(words.items.map((i) => i.id)).toEqual([id.gamma]);
    const served = await search({ sector: EV, department: '62' });
    expect(served.items.map((i) => i.id)).toEqual([id.gamma]);
    expect(served.items[0].matchReasons.join(' ')).toMatch(/Pas-de-Calais/);
    const http = await t.app.inject({ url: '/api/v1/structures?q=%C3%A9b%C3%A9nisterie' });
    expect(http.json().items.map((i: { id: string }) => i.id)).toEqual([id.gamma]);
    // A small typo is corrected with the new word (the lexicon was rebuilt).
    expect((await search({ q: 'ébenistrie' })).items.map((i) => i.id)).toEqual([id.gamma]);

    const r = await row(id.gamma);
    expect(r?.edited_fields.sort()).toEqual(['activities', 'description']);
    expect(r?.edited_at).not.toBeNull();
    const a = await lastAudit(id.gamma);
    expect(a).toMatchObject({ action: 'structure.edited', actor_kind: 'person', organisation_id: gammaOrg });
    expect(Object.keys(a?.before ?? {}).sort()).toEqual(['activities', 'description']);
    expect(a?.before.description).toBe('Nettoyage de bureaux.');
    expect(a?.after.description).toBe('Nettoyage de bureaux et ébénisterie sur mesure.');
  });

  it('an edit that changes nothing writes nothing', async () => {
    const version = await directoryVersion(t.db);
    const audits = await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE target_id = $1`, [id.gamma]);
    const res = await patch(member, id.gamma, { description: 'Nettoyage de bureaux et ébénisterie sur mesure.' });
    expect(res.statusCode).toBe(200);
    expect(res.json().changed).toEqual([]);
    expect(await directoryVersion(t.db)).toBe(version);
    expect((await t.db.one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE target_id = $1`, [id.gamma]))?.n).toBe(audits?.n);
  });

  it('invalid fields: 422 with a French message per field', async () => {
    const res = await patch(member, id.gamma, {
      website: 'pas un site',
      publicEmail: 'contact-sans-arobase',
      publicPhone: '12',
      labels: ['label-inconnu'],
      activities: [{ sector: 'secteur-inconnu', serviceTypes: ['PREST'], area: { kind: 'territories', territories: ['Nulle-Part-sur-Mer'] } }],
    });
    expect(res.statusCode).toBe(422);
    const error = res.json().error;
    expect(error.code).toBe('VALIDATION_FAILED');
    expectFrench(error.message);
    expect(Object.keys(error.details.fields).sort()).toEqual(['activities.0.area.territories', 'activities.0.sector', 'labels', 'publicEmail', 'publicPhone', 'website']);
    for (const m of Object.values(error.details.fields)) expectFrench(m);
    expect(error.details.fields['activities.0.area.territories']).toContain('Nulle-Part-sur-Mer');

    const types = await patch(member, id.gamma, { etp: 'beaucoup', employeesInsertion: 2.5, description: 42, activities: [{ sector: NET, serviceTypes: [], area: { kind: 'radius' } }], inconnu: 1 });
    expect(types.statusCode).toBe(422);
    const fields = types.json().error.details.fields;
    expect(Object.keys(fields).sort()).toEqual(['activities.0.area.radiusKm', 'activities.0.serviceTypes', 'description', 'employeesInsertion', 'etp', 'inconnu']);
    for (const m of Object.values(fields)) expectFrench(m);
    expect(fields.etp).toMatch(/nombre/);
    expect((await row(id.gamma))?.public_phone).toBe('03 20 00 00 01');
  });

  it('the completion score goes up when a missing field is filled', async () => {
    const before = (await patch(member, id.gamma, {})).json().completion;
    expect(before.missing.map((m: { key: string }) => m.key)).toContain('clientReferences');
    const ref = before.missing.find((m: { key: string }) => m.key === 'clientReferences');
    expect(ref.href).toBe(`/structures/modifier/${id.gamma}#champ-clientReferences`);
    expectFrench(ref.label);
    const after = (await patch(member, id.gamma, { clientReferences: ['Ville de Lille — entretien des écoles (2024)'] })).json().completion;
    expect(after.score).toBe(before.score + ref.points);
    expect(after.missing.map((m: { key: string }) => m.key)).not.toContain('clientReferences');
  });
});

describe('official fields', () => {
  it('a member cannot change the SIRET, kind or legal name (403 OFFICIAL_FIELD_LOCKED); sending them unchanged is fine', async () => {
    const res = await patch(member, id.india, { name: 'Autre nom' });
    expect(res.statusCode).toBe(403);
    // India has no member: use Gamma's member on Gamma.
    const own = await patch(member, id.gamma, { name: 'Gamma Nouveau Nom', kind: 'ACI' });
    expect(own.statusCode).toBe(403);
    expect(own.json().error.code).toBe('OFFICIAL_FIELD_LOCKED');
    expectFrench(own.json().error.message);
    expect((await patch(member, id.gamma, { name: 'Gamma Propreté', kind: 'EI' })).statusCode).toBe(200);
    expect((await row(id.gamma))?.name).toBe('Gamma Propreté');
  });

  it('a facilitator of the territory corrects them with a reason (required), kept in the audit log', async () => {
    const noReason = await patch(facilitatorNord, id.india, { name: 'India Recyclage Lille' });
    expect(noReason.statusCode).toBe(422);
    expect(Object.keys(noReason.json().error.details.fields)).toEqual(['reason']);
    const newSiret = completeSiret('7300000000001');
    const res = await patch(facilitatorNord, id.india, { name: 'India Recyclage Lille', siret: newSiret.replace(/(\d{3})/g, '$1 ').trim(), kind: 'ACI', reason: 'Raison sociale et SIRET vérifiés sur l’avis de situation INSEE.' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: 'India Recyclage Lille', siret: newSiret, kind: 'ACI' });
    const a = await lastAudit(id.india);
    expect(a).toMatchObject({ action: 'structure.official_corrected', reason: 'Raison sociale et SIRET vérifiés sur l’avis de situation INSEE.' });
    expect(a?.before).toEqual({ kind: 'EI', name: 'India Recyclage', siret: S.india.siret });
    expect(a?.after).toEqual({ kind: 'ACI', name: 'India Recyclage Lille', siret: newSiret });
    expect((await t.app.inject({ url: `/api/v1/structures/by-siret/${newSiret}` })).json().id).toBe(id.india);
    expect((await search({ q: 'India Recyclage Lille' })).items[0]?.id).toBe(id.india);
    // A SIRET another structure has is refused.
    const taken = await patch(facilitatorNord, id.india, { siret: S.gamma.siret, reason: 'Essai' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('SIRET_TAKEN');
  });

  it('the edit page shows official fields read-only to members and as fields to facilitators', async () => {
    const m = await page(member, `/structures/modifier/${id.gamma}`);
    expect(m.statusCode).toBe(200);
    expect(m.body).not.toContain('name="siret"');
    expect(m.body).toContain(S.gamma.siret as string);
    const f = await page(facilitatorNord, `/structures/modifier/${id.gamma}`);
    expect(f.body).toContain('name="siret"');
    expect(f.body).toContain('name="reason"');
  });
});

describe('the edit page', () => {
  it('shows the form with the existing activities, 2 empty rows, the completion and what is missing', async () => {
    const res = await page(member, `/structures/modifier/${id.gamma}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Modifier la fiche : Gamma Propreté');
    expect(res.body).toMatch(/Fiche complète à \d+ %/);
    expect(res.body).toContain('href="#champ-logo"');
    for (const i of [0, 1, 2, 3]) expect(res.body).toContain(`name="activities.${i}.sector"`);
    expect(res.body).not.toContain('name="activities.4.sector"');
    expect(res.body).toContain('Pas-de-Calais (62)');
    expect(res.body).toContain('<script defer src="/static/app/editing.js"></script>');
  });

  it('saves a form (edit, add, remove activities); invalid input re-renders the form with the values kept', async () => {
    const base = {
      description: 'Nettoyage de bureaux, vitrerie et ébénisterie sur mesure pour les entreprises de la métropole lilloise depuis 2005.',
      brand: 'Gamma',
      website: 'www.gamma-proprete.fr',
      publicEmail: 'contact@gamma-proprete.fr',
      publicPhone: '03 20 00 00 01',
      etp: '12,5',
      employeesInsertion: '30',
      employeesPermanent: '',
      clientReferences: 'Ville de Lille\nCHU de Lille',
      'activities.0.existing': 'on',
      'activities.0.sector': NET,
      'activities.0.serviceTypes': 'PREST',
      'activities.0.areaKind': 'radius',
      'activities.0.radiusKm': '25',
      'activities.0.territories': '',
      'activities.1.existing': 'on',
      'activities.1.sector': EV,
      'activities.1.serviceTypes': 'PREST',
      'activities.1.areaKind': 'territories',
      'activities.1.territories': 'Pas-de-Calais (62)\nAmiens (80)',
      'activities.1.remove': 'on',
      'activities.2.sector': 'travaux-de-chantiers-74',
      'activities.2.serviceTypes': 'DISP',
      'activities.2.areaKind': 'territories',
      'activities.2.territories': 'département 62; Hauts-de-France',
      'activities.3.sector': '',
      'commitments.0.on': 'on',
      'commitments.0.detail': 'Référent dédié',
      'commitments.8.type': 'environmental',
      'commitments.8.label': 'Bilan carbone annuel',
      'commitments.8.detail': '',
    };
    const bad = await postForm(t.app, `/structures/modifier/${id.gamma}`, member, { ...base, publicEmail: 'pas-une-adresse', 'activities.2.radiusKm': '', 'activities.2.areaKind': 'radius' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Le formulaire n’a pas pu être envoyé');
    expect(bad.body).toContain('value="pas-une-adresse"');
    expect(bad.body).toContain('vitrerie et ébénisterie sur mesure');
    expect(bad.body).toMatch(/id="champ-publicEmail"[^>]*aria-invalid="true"/);
    expect(bad.body).toMatch(/id="champ-activities-2-radiusKm"[^>]*aria-invalid="true"/);
    expect((await row(id.gamma))?.public_phone).toBe('03 20 00 00 01');

    const ok = await postForm(t.app, `/structures/modifier/${id.gamma}`, member, base);
    expect(ok.statusCode, ok.body).toBe(303);
    expect(ok.headers.location).toBe(`/structures/modifier/${id.gamma}?message=enregistre`);
    const s = (await t.app.inject({ url: `/api/v1/structures/${id.gamma}` })).json();
    expect(s).toMatchObject({ brand: 'Gamma', website: 'https://www.gamma-proprete.fr', publicEmail: 'contact@gamma-proprete.fr', etp: 12.5, employeesInsertion: 30, employeesPermanent: null, clientReferences: ['Ville de Lille', 'CHU de Lille'] });
    expect(s.activities.map((a: { sector: { slug: string }; area: unknown }) => [a.sector.slug, a.area])).toEqual([
      [NET, { kind: 'radius', radiusKm: 25 }],
      ['travaux-de-chantiers-74', { kind: 'territories', territories: ['departement:62', 'region:32'] }],
    ]);
    expect(s.commitments).toEqual([
      { type: 'social', label: 'Accompagnement socioprofessionnel renforcé', detail: 'Référent dédié' },
      { type: 'environmental', label: 'Bilan carbone annuel' },
    ]);
    const after = await page(member, `/structures/modifier/${id.gamma}?message=enregistre`);
    expect(after.body).toContain('Fiche enregistrée.');
    const slug = s.slug as string;
    const profile = await t.app.inject({ url: `/structures/${slug}` });
    expect(profile.body).toContain('vitrerie et ébénisterie sur mesure');
    expect(profile.body).toContain('Bilan carbone annuel');
    expect(profile.body).toContain('Complétée par la structure');
  });

  it('CSRF: a form without its token is refused (403) and changes nothing', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/structures/modifier/${id.gamma}`,
      headers: { cookie: member.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ description: 'Sans jeton' }).toString(),
    });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Le formulaire a expiré');
    expect((await row(id.gamma))?.description).not.toBe('Sans jeton');
  });
});

describe('the logo', () => {
  it('CSRF: an upload without its token is refused (403) and nothing is stored', async () => {
    const res = await uploadLogoPage(member, id.gamma, await png(50, 50), { csrf: false });
    expect(res.statusCode).toBe(403);
    expect(await logoFiles()).toEqual([]);
    expect((await row(id.gamma))?.logo_path).toBeNull();
  });

  it('a text file named .png is refused (UPLOAD_NOT_AN_IMAGE), on the page and on the API', async () => {
    const text = Buffer.from('Bonjour, ceci est un fichier texte.\n');
    const res = await uploadLogoPage(member, id.gamma, text, { filename: 'logo.png' });
    expect(res.statusCode).toBe(415);
    expect(res.body).toContain('n’est pas une image PNG, JPEG ou WebP');
    const body = multipart({}, { name: 'logo', filename: 'logo.png', type: 'image/png', data: text });
    const apiRes = await t.app.inject({ method: 'PUT', url: `/api/v1/structures/${id.gamma}/logo`, headers: { ...member.headers, ...body.headers }, payload: body.payload });
    expect(apiRes.statusCode).toBe(415);
    expect(apiRes.json().error.code).toBe('UPLOAD_NOT_AN_IMAGE');
    expect(await logoFiles()).toEqual([]);
  });

  it('more than 2 MB is refused (UPLOAD_TOO_LARGE)', async () => {
    const big = Buffer.concat([await png(10, 10), Buffer.alloc(2 * 1024 * 1024 + 10)]);
    const body = multipart({}, { name: 'logo', filename: 'grand.png', type: 'image/png', data: big });
    const res = await t.app.inject({ method: 'PUT', url: `/api/v1/structures/${id.gamma}/logo`, headers: { ...member.headers, ...body.headers }, payload: body.payload });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('UPLOAD_TOO_LARGE');
    expect(await logoFiles()).toEqual([]);
  });

  it('a real PNG is stored resized, served at /uploads/…, shown on the profile; a new logo replaces and removes the old file', async () => {
    const res = await uploadLogoPage(member, id.gamma, await png(800, 600));
    expect(res.statusCode, res.body).toBe(303);
    const first = (await row(id.gamma))?.logo_path as string;
    expect(first).toMatch(/^logos\/[0-9a-f]{32}\.webp$/);
    expect(await logoFiles()).toEqual([first.slice('logos/'.length)]);
    const served = await t.app.inject({ url: `/uploads/${first}` });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/webp');
    const meta = await sharp(served.rawPayload).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 400, 300]);
    const slug = (await t.db.one<{ slug: string }>('SELECT slug FROM structures WHERE id = $1', [id.gamma]))?.slug;
    expect((await t.app.inject({ url: `/structures/${slug}` })).body).toContain(`src="/uploads/${first}"`);
    const publicProfile = (await t.app.inject({ url: `/api/v1/structures/${id.gamma}` })).json();
    expect(publicProfile.logoUrl).toBe(`${t.platform.config.publicUrl}/uploads/${first}`);
    expect(publicProfile.editedAt).not.toBeNull();
    expect((await lastAudit(id.gamma))).toMatchObject({ action: 'structure.logo_changed', before: { logo: null }, after: { logo: first } });
    expect((await row(id.gamma))?.edited_fields).toContain('logo');

    const body = multipart({}, { name: 'logo', filename: 'nouveau.jpg', type: 'image/jpeg', data: await sharp({ create: { width: 300, height: 300, channels: 3, background: '#ff0000' } }).jpeg().toBuffer() });
    const again = await t.app.inject({ method: 'PUT', url: `/api/v1/structures/${id.gamma}/logo`, headers: { ...member.headers, ...body.headers }, payload: body.payload });
    expect(again.statusCode, again.body).toBe(200);
    const second = (await row(id.gamma))?.logo_path as string;
    expect(second).not.toBe(first);
    expect(again.json().logoUrl).toBe(`${t.platform.config.publicUrl}/uploads/${second}`);
    expect(await logoFiles()).toEqual([second.slice('logos/'.length)]);
    expect((await t.app.inject({ url: `/uploads/${first}` })).statusCode).toBe(404);

    const removed = await t.app.inject({ method: 'DELETE', url: `/api/v1/structures/${id.gamma}/logo`, headers: member.headers });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().completion.missing.map((m: { key: string }) => m.key)).toContain('logo');
    expect(await logoFiles()).toEqual([]);
  });

  it('another organisation may not upload a logo (403)', async () => {
    const body = multipart({}, { name: 'logo', filename: 'logo.png', type: 'image/png', data: await png(20, 20) });
    const res = await t.app.inject({ method: 'PUT', url: `/api/v1/structures/${id.gamma}/logo`, headers: { ...otherMember.headers, ...body.headers }, payload: body.payload });
    expect(res.statusCode).toBe(403);
    expect(await logoFiles()).toEqual([]);
  });
});

describe('imports after an edit', () => {
  it('leave the edited fields alone and update the others; the same data again is unchanged', async () => {
    const edited = await row(id.gamma);
    const source = { ...S.gamma, description: 'Description de la source.', publicPhone: '03 20 99 99 99', activities: [{ sector: NET, serviceTypes: ['DISP' as const], area: { kind: 'country' as const } }] };
    const report = await importStructures(t.db, [{ line: 1, input: source }]);
    expect(report).toMatchObject({ updated: 1, created: 0 });
    const after = await row(id.gamma);
    expect(after?.description).toBe(edited?.description);
    expect(after?.public_phone).toBe('03 20 99 99 99');
    const s = (await t.app.inject({ url: `/api/v1/structures/${id.gamma}` })).json();
    expect(s.activities.map((a: { sector: { slug: string } }) => a.sector.slug)).toEqual([NET, 'travaux-de-chantiers-74']);
    expect((await search({ q: 'ébénisterie' })).items.map((i) => i.id)).toEqual([id.gamma]);
    expect((await importStructures(t.db, [{ line: 1, input: source }])).unchanged).toBe(1);
  });
});

describe('API tokens', () => {
  const token = async (organisationId: string, scopes: string[]) => {
    const value = `jeton-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}-abcdef`;
    const r = await t.db.one<{ id: string }>(
      `INSERT INTO api_tokens (organisation_id, name, token_hash, prefix, scopes, expires_at) VALUES ($1, 'intégration', $2, $3, $4, now() + interval '1 day') RETURNING id`,
      [organisationId, sha256(value), value.slice(0, 8), scopes],
    );
    return { value, id: (r as { id: string }).id };
  };

  it('a write token of the structure’s organisation edits (audited as the token); read-only 403; another organisation’s 403', async () => {
    const write = await token(gammaOrg, ['read', 'write']);
    const res = await patch(null, id.gamma, { publicPhone: '03 20 11 22 33' }, { authorization: `Bearer ${write.value}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().publicPhone).toBe('03 20 11 22 33');
    expect(await lastAudit(id.gamma)).toMatchObject({ action: 'structure.edited', actor_id: null, actor_kind: `api_token:${write.id}` });

    const read = await token(gammaOrg, ['read']);
    const ro = await patch(null, id.gamma, { publicPhone: '03 20 00 00 00' }, { authorization: `Bearer ${read.value}` });
    expect(ro.statusCode).toBe(403);
    const other = await token(hotelOrg, ['read', 'write']);
    expect((await patch(null, id.gamma, { publicPhone: '03 20 00 00 00' }, { authorization: `Bearer ${other.value}` })).statusCode).toBe(403);
    expect((await row(id.gamma))?.public_phone).toBe('03 20 11 22 33');
  });
});

describe('the typo lexicon', () => {
  it('after edits (descriptions, names), it is what a full rebuild gives', async () => {
    await patch(member, id.gamma, { description: 'Vitrerie, ébénisterie et tapisserie ; vitrerie encore.', brand: 'Gamma Vitres' });
    await patch(facilitatorNord, id.india, { name: 'India Ressourcerie', reason: 'Nouveau nom déclaré à l’INSEE.' });
    const lexicon = () => t.db.query<{ word: string; lexeme: string; occurrences: number }>('SELECT word, lexeme, occurrences FROM search_lexicon ORDER BY word');
    const incremental = await lexicon();
    expect(incremental.find((w) => w.word === 'tapisserie')).toBeDefined();
    expect(incremental.find((w) => w.word === 'vitrerie')?.occurrences).toBeGreaterThanOrEqual(2);
    expect(incremental.find((w) => w.word === 'ressourcerie')).toBeDefined();
    await t.db.query('SELECT refresh_search_lexicon()');
    expect(incremental).toEqual(await lexicon());
  });
});

describe('anonymous browser with a CSRF cookie', () => {
  it('posting the form is 401 (never a change)', async () => {
    const res = await postForm(t.app, `/structures/modifier/${id.gamma}`, anonymous(), { description: 'Anonyme' });
    expect(res.statusCode).toBe(401);
  });
});
