// The classifier's prefilter (classify.ts mayMatch): an automaton over the literal forms of RULE_STEMS and
// CRITERION_TEXT_STEMS (text-rules.ts). It must say exactly what the expressions themselves say on the
// normalised text, or rules are skipped (a missed finding) or run for nothing.
import { describe, expect, it } from 'vitest';
import { mayMatch, normalizeText } from '../src/modules/notices/classify.ts';
import { CRITERION_TEXT_STEMS, RULE_STEMS } from '../src/modules/notices/text-rules.ts';

const spec = (text: string, criterion: boolean) => (criterion ? CRITERION_TEXT_STEMS : RULE_STEMS).test(normalizeText(text).text);

/** Pieces that start, end, overlap or nearly spell the stems, with accents, capitals and odd spacing. */
const PIECES = [
  'réserv', 'Réservé', 'RÉSERVÉE', 'se réserve', 'sous réserve', 'sous  réserve', 'réservoir', 'reser', 'rés', 'ervé',
  'insert', 'insertion', "l'insertion", 'inser', 'tion', 'SIAE', 'siaes', 'siae-', 'ESAT', 'esatt', 'GEIQ', 'etti',
  'entreprise adaptée', 'entreprises', 'adaptées', 'critère', 'critères social', 'socia', 'sociale', 'clause', 'clauses vertes',
  'déchets', 'tri des', 'valoriser les', 'recycler', 'trier', 'les', 'nombre', "d'heures", 'volume horaire', 'volume',
  'environnement', 'environ', 'durable', 'dur', 'label', 'lab', 'carbone', 'Œuvre', 'œco', 'écoconception', 'éco-',
  'L.2113-12', '2113', '211', '2152', 'décret', 'ordonnance', 'cmp', 'code des marchés publics', 'marchés', 'CO2', 'bio',
  'handicap', 'énergétique', 'émission', 'solidaire', 'égalité', 'circuit', 'exclusivement', 'ouverte', 'uniquement',
  "qu'à", 'destinés', 'a des personnes', 'à des publics', 'en difficulté', 'le', 'de', 'la', 'et', 'ou', 'ni', '’', "'",
  'HQE', 'FSC', 'fsc-', 'PEFC', 'renouvelable', 'recyclage', 'recyclables', 'gravats', 'Volume :', 'volume:', 'volumes',
  'respectueux', 'chantier propre', 'chantiers verts', 'faibles émissions', 'nuisances', 'domaine social', 'considérations relatives au',
  '-', '.', ',', ':', '\n', '\u00a0', '  ', 'ÿ', '€', '—', 'ﬁ', '中',
];

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

describe('prefilter', () => {
  it('agrees with RULE_STEMS and CRITERION_TEXT_STEMS on random texts built of near-stems', () => {
    const random = prng(20261127);
    const disagreements: string[] = [];
    let positives = 0;
    for (let n = 0; n < 6000; n++) {
      const parts: string[] = [];
      const count = 1 + Math.floor(random() * 8);
      for (let k = 0; k < count; k++) parts.push(PIECES[Math.floor(random() * PIECES.length)], random() < 0.4 ? ' ' : random() < 0.5 ? '' : 'x');
      const text = parts.join('');
      for (const criterion of [false, true]) {
        const expected = spec(text, criterion);
        if (expected) positives++;
        if (mayMatch(text, criterion) !== expected) disagreements.push(`${criterion ? 'criterion' : 'rule'}: ${JSON.stringify(text)}`);
      }
    }
    expect(disagreements).toEqual([]);
    // Both answers are common in the set, so a matcher saying always yes or always no fails.
    expect(positives).toBeGreaterThan(2000);
    expect(positives).toBeLessThan(10000);
  });

  it('reads a form that starts inside a longer partial one, and checks the conditions at its ends', () => {
    expect(mayMatch('les déchets et la réser réservation', false)).toBe(true);
    expect(mayMatch('inserinsertion', false)).toBe(true);
    expect(mayMatch('Le pouvoir adjudicateur se réserve le droit', false)).toBe(false);
    expect(mayMatch('sous réserve de', false)).toBe(false);
    expect(mayMatch('un réservoir', false)).toBe(false);
    expect(mayMatch('un réservoir réservé', false)).toBe(true);
    expect(mayMatch('les SIAEs', false)).toBe(false);
    expect(mayMatch('les SIAE.', false)).toBe(true);
    expect(mayMatch('une approche sociale', false)).toBe(false);
    expect(mayMatch('une approche sociale', true)).toBe(true);
  });
});
