// Text helpers shared by search, imports and slugs.

/** Lower case, accents removed, punctuation turned into single spaces. */
export function normalize(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[œ]/g, 'oe')
    .replace(/[æ]/g, 'ae')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Normalised place name: "St-Omer CEDEX 2" and "Saint Omer" give the same key. */
export function placeKey(s: string): string {
  return normalize(s)
    .replace(/\bcedex( \d+)?\b/g, '')
    .replace(/\bste\b/g, 'sainte')
    .replace(/\bst\b/g, 'saint')
    .replace(/\s+/g, ' ')
    .trim();
}

export function slugify(s: string, max = 60): string {
  return normalize(s).replace(/ /g, '-').slice(0, max).replace(/-+$/g, '');
}

/** French alphabetical order (one collator: creating one per comparison is slow). */
const collator = new Intl.Collator('fr');
export const compareFr = (a: string, b: string) => collator.compare(a, b);
