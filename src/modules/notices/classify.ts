// Classification of a notice, with its evidence: reserved markets (by family), clause sociale d'insertion,
// critère social, environmental clause or criterion, and insertion hours, per notice and per lot.
//
// Evidence comes from two places:
// - `notice.fieldFindings`, read by the format readers from structured fields, taken as they are;
// - `textFindings(text)` for every `notice.texts` entry: French rules (text-rules.ts) run on each sentence.
//
// Speed: most sentences of a notice hold none of the words any rule needs (text-rules.ts RULE_STEMS). The
// stems are expanded to literal strings once, built into one automaton (Aho–Corasick) and looked for in the
// normalised bytes of each text, then of each sentence of a text that holds one; only those sentences go
// through the rules, and within them a group of rules runs only when its words are there (GROUP_NEEDS,
// NOISE_NEEDS).
//
// Decisions (see also text-rules.ts):
// - Text rules work per sentence; negation ("non", "pas de", "aucune", "sans", "ni", "Néant" answers,
//   "ne s'applique pas") is looked for in the clause of the sentence that holds the match only.
// - A finding of a lot-level text belongs to that lot. A sentence of a notice-level text that names lots
//   ("les lots 1 et 2 sont réservés…") gives findings for those lots; otherwise its findings are notice-level.
// - Notice-level findings apply to every lot (a reservation or clause stated for the whole notice holds for
//   each lot); the notice's flags are the union of its lots and its notice-level findings.
// - 'unspecified' is dropped from `reserved` when a family is known for the same lot (or the notice).
// - Insertion hours: the same number stated twice in one scope (a lot, or the notice level) counts once.
//   A lot's hours are its own; a notice with a single lot gives it the notice-level hours. The notice's
//   hours are the sum of its lots, plus notice-level numbers that are neither a lot's number nor that sum.
import {
  RESERVED_FAMILIES,
  type Classification,
  type Finding,
  type FindingKind,
  type LotClassification,
  type Notice,
  type NoticeText,
  type ReservedFamily,
} from './model.ts';
import * as rules from './text-rules.ts';

// ---------------------------------------------------------------------------------------------------
// Normalisation

/** A normalised text and, for each of its characters, the index of the original character it comes from. */
export interface NormalizedText {
  text: string;
  /** map[i] = index in the original of normalised character i; map[text.length] = original length. */
  map: number[];
}

const SPECIAL_CHARS: Record<string, string> = {};
for (const c of '’‘‛`´ʼ′ʹ') SPECIAL_CHARS[c] = "'";
for (const c of '«»“”„‟″') SPECIAL_CHARS[c] = '"';
for (const c of '‐‑‒–—―−﹣－⁃') SPECIAL_CHARS[c] = '-';
for (const c of '\u200b\u200c\u200d\u2060\ufeff\u00ad') SPECIAL_CHARS[c] = '';
Object.assign(SPECIAL_CHARS, { œ: 'oe', Œ: 'oe', æ: 'ae', Æ: 'ae', ß: 'ss', _: ' ', º: '°', '…': '...' });

const charCache = new Map<string, string>();
function normalizeChar(c: string): string {
  let n = charCache.get(c);
  if (n !== undefined) return n;
  if (c in SPECIAL_CHARS) n = SPECIAL_CHARS[c];
  else if (/\s/.test(c)) n = ' ';
  else n = c.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  charCache.set(c, n);
  return n;
}

/** What each ASCII character becomes (the common case, without a map lookup). */
const ASCII_CHARS: string[] = Array.from({ length: 128 }, (_, code) => normalizeChar(String.fromCharCode(code)));

const normalizedChar = (input: string, i: number): string => {
  const code = input.charCodeAt(i);
  return code < 128 ? ASCII_CHARS[code] : normalizeChar(input[i]);
};

/** Lower case, no accents, one kind of apostrophe, quote and dash, single plain spaces; with the index map. */
export function normalizeText(input: string): NormalizedText {
  let text = '';
  const map: number[] = [];
  let afterSpace = true; // a space at the start is dropped
  for (let i = 0; i < input.length; i++) {
    const n = normalizedChar(input, i);
    if (n.length === 1) {
      if (n === ' ') {
        if (afterSpace) continue;
        afterSpace = true;
      } else afterSpace = false;
      text += n;
      map.push(i);
      continue;
    }
    for (const ch of n) {
      if (ch === ' ') {
        if (afterSpace) continue;
        afterSpace = true;
      } else afterSpace = false;
      text += ch;
      map.push(i);
    }
  }
  if (text.endsWith(' ')) {
    text = text.slice(0, -1);
    map.pop();
  }
  map.push(input.length);
  return { text, map };
}


// ---------------------------------------------------------------------------------------------------
// Prefilter: RULE_STEMS (text-rules.ts) as literal strings, looked for in the normalised text as bytes

/**
 * The normalised form of each UTF-16 unit (normalizeChar), as at most 3 bytes: characters beyond Latin-1
 * become 0x01, which no stem holds and which, like them, is not a word character for \b. Filled on demand.
 */
const FOLD_LENGTH = new Uint8Array(65536).fill(255);
const FOLD_BYTES = new Uint8Array(65536 * 3);

function foldOf(code: number): number {
  let length = FOLD_LENGTH[code];
  if (length !== 255) return length;
  const n = normalizeChar(String.fromCharCode(code));
  length = Math.min(3, n.length);
  for (let k = 0; k < length; k++) FOLD_BYTES[code * 3 + k] = n.charCodeAt(k) < 256 ? n.charCodeAt(k) : 1;
  FOLD_LENGTH[code] = length;
  return length;
}
for (let code = 0; code < 128; code++) foldOf(code);

/** The byte of a unit that normalises to exactly one byte, else 0xFFFF (the common case, read first). */
const FOLD_ONE = new Uint16Array(65536).fill(0xffff);
for (let code = 0; code < 128; code++) if (FOLD_LENGTH[code] === 1) FOLD_ONE[code] = FOLD_BYTES[code * 3];

let foldBuffer = new Uint8Array(1 << 16);

/** The bytes of normalizeText(input).text (a trailing space kept), in foldBuffer; their number. */
function fold(input: string): number {
  if (foldBuffer.length < input.length * 3) foldBuffer = new Uint8Array(input.length * 3 + 1024);
  const out = foldBuffer;
  let n = 0;
  let afterSpace = true;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    const one = FOLD_ONE[code];
    if (one !== 0xffff) {
      if (one === 0x20) {
        if (afterSpace) continue;
        afterSpace = true;
      } else afterSpace = false;
      out[n++] = one;
      continue;
    }
    const length = FOLD_LENGTH[code] !== 255 ? FOLD_LENGTH[code] : foldOf(code);
    if (length === 1) FOLD_ONE[code] = FOLD_BYTES[code * 3];
    for (let k = 0; k < length; k++) {
      const b = FOLD_BYTES[code * 3 + k];
      if (b === 0x20) {
        if (afterSpace) continue;
        afterSpace = true;
      } else afterSpace = false;
      out[n++] = b;
    }
  }
  return n;
}

/** One literal form of a stem, with what its ends require. */
interface StemForm {
  bytes: number[];
  /** A lookbehind, lookahead or \b at either end, checked on the normalised text at the match. */
  before: RegExp | null;
  after: RegExp | null;
}

type StemToken = { lit: string } | { look: 'before' | 'after' | 'boundary'; source: string };

/**
 * Every literal form of a pattern of RULE_STEMS: literals, (?:…|…) groups, "?" and, at either end of a
 * form only, \b and lookarounds. Anything else is an error at start-up.
 */
function stemForms(source: string): StemForm[] {
  let i = 0;
  const alternation = (): StemToken[][] => {
    const forms: StemToken[][] = [];
    let current: StemToken[][] = [[]];
    while (i < source.length && source[i] !== ')') {
      if (source[i] === '|') {
        forms.push(...current);
        current = [[]];
        i++;
        continue;
      }
      let atom: StemToken[][];
      if (source.startsWith('(?:', i)) {
        i += 3;
        atom = alternation();
        i++;
      } else if (source.startsWith('(?<!', i) || source.startsWith('(?!', i)) {
        const look = source[i + 2] === '<' ? 'before' : 'after';
        const from = i;
        i += look === 'before' ? 4 : 3;
        alternation();
        i++;
        atom = [[{ look, source: source.slice(from, i) }]];
      } else if (source[i] === '\\') {
        const c = source[i + 1];
        i += 2;
        atom = c === 'b' ? [[{ look: 'boundary', source: String.raw`\b` }]] : [[{ lit: c }]];
      } else if (/[a-z0-9' :-]/.test(source[i])) {
        atom = [[{ lit: source[i] }]];
        i++;
      } else throw new Error(`stemForms: ${source[i]} at ${i} is not supported`);
      if (source[i] === '?') {
        atom = [[], ...atom];
        i++;
      }
      current = current.flatMap((head) => atom.map((tail) => [...head, ...tail]));
    }
    forms.push(...current);
    return forms;
  };
  const forms = alternation();
  if (i !== source.length) throw new Error('stemForms: unbalanced');
  return forms.map((tokens) => {
    let start = 0;
    let end = tokens.length;
    const before: string[] = [];
    const after: string[] = [];
    const look = (t: StemToken, side: 'before' | 'after') => 'look' in t && (t.look === side || t.look === 'boundary');
    while (start < end && look(tokens[start], 'before')) before.push((tokens[start++] as { source: string }).source);
    while (end > start && look(tokens[end - 1], 'after')) after.unshift((tokens[--end] as { source: string }).source);
    const middle = tokens.slice(start, end);
    if (middle.some((t) => 'look' in t) || middle.length < 2) throw new Error(`stemForms: ${source}`);
    const text = middle.map((t) => (t as { lit: string }).lit).join('');
    // \b and lookbehinds hold at the start of the match, \b and lookaheads at its end (tested on the text there).
    return {
      bytes: [...text].map((c) => c.charCodeAt(0)),
      before: before.length ? new RegExp(before.join(''), 'y') : null,
      after: after.length ? new RegExp(after.join(''), 'y') : null,
    };
  });
}

/**
 * Finds whether any form of a stems pattern occurs in folded text: one automaton (Aho–Corasick) over the
 * bytes of all forms, read once per byte of text. Bytes that no form holds share one class, so a state's row
 * of transitions is short. `rows[state * width + class]` is the row offset of the next state; the last cell
 * of a row says what ends there: 0 nothing, 1 a form without conditions at its ends, 2 forms to check.
 */
class StemMatcher {
  private readonly classOf = new Uint8Array(256);
  private readonly width: number;
  private readonly rows: Int32Array;
  /** Row offset → the forms ending there (through the failure links too) that have conditions at their ends. */
  private readonly checks = new Map<number, StemForm[]>();

  constructor(pattern: RegExp) {
    const forms = stemForms(pattern.source);
    let classes = 1;
    for (const form of forms) for (const b of form.bytes) if (!this.classOf[b]) this.classOf[b] = classes++;
    this.width = classes + 1;
    // The trie of the forms, then its failure links breadth first, which turn it into a complete automaton.
    const next: number[][] = [new Array(classes).fill(-1)];
    const ends: StemForm[][] = [[]];
    for (const form of forms) {
      let state = 0;
      for (const b of form.bytes) {
        const c = this.classOf[b];
        if (next[state][c] === -1) {
          next[state][c] = next.length;
          next.push(new Array(classes).fill(-1));
          ends.push([]);
        }
        state = next[state][c];
      }
      ends[state].push(form);
    }
    const fail = new Array<number>(next.length).fill(0);
    const queue: number[] = [];
    for (let c = 0; c < classes; c++) {
      if (next[0][c] === -1) next[0][c] = 0;
      else queue.push(next[0][c]);
    }
    for (let q = 0; q < queue.length; q++) {
      const state = queue[q];
      ends[state] = [...ends[state], ...ends[fail[state]]];
      for (let c = 0; c < classes; c++) {
        const target = next[state][c];
        if (target === -1) next[state][c] = next[fail[state]][c];
        else {
          fail[target] = next[fail[state]][c];
          queue.push(target);
        }
      }
    }
    this.rows = new Int32Array(next.length * this.width);
    next.forEach((row, state) => {
      const offset = state * this.width;
      row.forEach((target, c) => (this.rows[offset + c] = target * this.width));
      const found = ends[state];
      if (found.some((f) => !f.before && !f.after)) this.rows[offset + classes] = 1;
      else if (found.length) {
        this.rows[offset + classes] = 2;
        this.checks.set(offset, found);
      }
    });
  }

  test(length: number): boolean {
    const b = foldBuffer;
    const { rows, classOf } = this;
    const last = this.width - 1;
    let row = 0;
    let text: string | null = null;
    for (let i = 0; i < length; i++) {
      row = rows[row + classOf[b[i]]];
      const end = rows[row + last];
      if (end === 0) continue;
      if (end === 1) return true;
      text ??= Buffer.from(b.buffer, b.byteOffset, length).toString('latin1');
      for (const form of this.checks.get(row)!) {
        if (form.before) {
          form.before.lastIndex = i + 1 - form.bytes.length;
          if (!form.before.test(text)) continue;
        }
        if (form.after) {
          form.after.lastIndex = i + 1;
          if (!form.after.test(text)) continue;
        }
        return true;
      }
    }
    return false;
  }
}

const RULE_STEM_MATCHER = new StemMatcher(rules.RULE_STEMS);
const CRITERION_STEM_MATCHER = new StemMatcher(rules.CRITERION_TEXT_STEMS);

/** Can a rule match in this text (criterion text or not)? RULE_STEMS on its normalised form. */
export function mayMatch(text: string, criterionText: boolean): boolean {
  return (criterionText ? CRITERION_STEM_MATCHER : RULE_STEM_MATCHER).test(fold(text));
}

// ---------------------------------------------------------------------------------------------------
// Sentences

const INLINE_BULLET = /[ \t\u00a0]+([•▪◦●■►➢✓✔➤])[ \t\u00a0]+/g;
const BULLET_LINE = /^\s*(?:[-–—•▪◦●■►➢✓✔➤*·]|\d{1,2}[.)°]|[a-hj-z][)]|\(?[ivx]{1,4}[.)])\s+/i;
/** A line that ends like this goes on on the next line even when that one starts with a capital. */
const CONTINUES = /(?:\b(?:a|à|au|aux|de|des|du|d'|l'|la|le|les|et|ou|en|par|pour|sur|un|une|avec|dans|qui|que|dont|est|sont|n°)|[,(\-–'’])\s*$/i;
const ENDS_SENTENCE = /[.!?;…]["»)]?\s*$/;
const ABBREVIATIONS = new Set(
  'art arts cf p pp al ex m mm mme mlle st ste env min max ref réf tel tél hab ch chap vol ca approx n no nº num sq suiv av bd dept dpt cod ord coll éd ed ann mod'.split(' '),
);
const ANSWER_AFTER_QUESTION = /^(?:oui|non|néant|neant|sans objet|aucun|aucune|n\/a)\b/i;

/** Characters read back from a full stop to find the word it ends (an abbreviation, an initial, a number). */
const TAIL = 40;

function splitBlock(block: string): string[] {
  const out: string[] = [];
  let start = 0;
  const re = /[.!?…]+["»)]?(?=\s|$)/g;
  for (let m = re.exec(block); m; m = re.exec(block)) {
    const end = m.index + m[0].length;
    const next = block.slice(end).trimStart();
    if (next === '') break;
    const mark = m[0][0];
    if (mark === '?' && ANSWER_AFTER_QUESTION.test(next)) continue;
    if (mark === '.') {
      const before = block.slice(start, m.index);
      // The end of what comes before is enough (expressions anchored at the end scan the whole string).
      const tail = before.slice(-TAIL);
      const word = /([\p{L}\d°.]+)$/u.exec(tail)?.[1] ?? '';
      if (ABBREVIATIONS.has(word.toLowerCase()) || /^\p{L}$/u.test(word) || /^(?:\p{L}\.)+\p{L}$/u.test(word)) continue;
      if (/^\s*(?:\d{1,2}|[a-z]|[ivx]{1,4})$/i.test(before)) continue; // "1. Prix"
      if (/[:;,]\s*\d{1,2}$/.test(tail)) continue; // "critères suivants : 1. Prix (50 %) ; 2. Valeur…"
    }
    if (!/^["«(]?[\p{Lu}\d•\-–—*]/u.test(next)) continue;
    out.push(block.slice(start, end));
    start = end;
  }
  out.push(block.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Splits a text into sentences: French punctuation (not after "art.", "L.", "n°", initials), line breaks
 * (a wrapped line is joined back), bullet lists (each item is one sentence, prefixed by the line that
 * introduces the list with ":", so that "réservé aux structures suivantes : - ESAT" stays whole).
 */
export function splitSentences(text: string): string[] {
  const lines = text.replace(INLINE_BULLET, '\n$1 ').split(/\r\n|\r|\n/);
  const blocks: { text: string; bullet: boolean }[] = [];
  let current: { text: string; bullet: boolean } | null = null;
  for (const line of lines) {
    if (line.trim() === '') {
      current = null;
      continue;
    }
    const bullet = BULLET_LINE.test(line);
    // "Marché réservé :\nNon", "Le marché est-il réservé ?\nNon": the value goes with its label.
    const answersLabel = current !== null && !bullet && (/:\s*$/.test(current.text) || (/\?\s*$/.test(current.text) && ANSWER_AFTER_QUESTION.test(line.trim())));
    const startsNew =
      !answersLabel && (current === null || bullet || ENDS_SENTENCE.test(current.text) || (/^\s*["«(]?\p{Lu}/u.test(line) && !CONTINUES.test(current.text)));
    if (startsNew) {
      current = { text: line.trim(), bullet };
      blocks.push(current);
    } else current!.text += ' ' + line.trim();
  }
  const sentences: string[] = [];
  let intro: string | null = null;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const parts = splitBlock(block.text);
    if (block.bullet && intro !== null) {
      sentences.push(...parts.map((p, j) => (j === 0 ? `${intro} ${p}` : p)));
      continue;
    }
    intro = null;
    const last = parts[parts.length - 1] ?? '';
    if (/:\s*$/.test(last) && blocks[i + 1]?.bullet) {
      sentences.push(...parts.slice(0, -1));
      intro = last;
    } else sentences.push(...parts);
  }
  return sentences;
}

// ---------------------------------------------------------------------------------------------------
// Sentence analysis

interface Span {
  start: number;
  end: number;
}

interface LotRef extends Span {
  lots: string[];
}

interface Hit extends Span {
  kind: FindingKind;
  /** For `reserved` the family, for `insertionHours` the number; otherwise null (the words matched are used). */
  value: string | null;
}

interface SentenceContext {
  /** Normalised sentence. */
  norm: string;
  /** Same, with NOISE phrases blanked (same length). */
  masked: string;
  /** Same as masked, with article citations, lot references and dates blanked too (for numbers). */
  numbers: string;
  clauses: Span[];
  lotRefs: LotRef[];
  criterionText: boolean;
  /** An execution-condition or award-criterion text: what it names is required of the holder. */
  requirementText: boolean;
  /** The previous sentence of the same text stated a social clause (a bare "Nombre d'heures : 350" continues it). */
  afterSocialClause: boolean;
  /** Topics negated in a clause ("pas de clause sociale", "marché non réservé"): "<clause start>|<topic>". */
  negatedTopics: Set<string>;
}

type NegationTopic = rules.Topic | 'reserved';

function markNegated(ctx: SentenceContext, pos: number, topic: NegationTopic): void {
  ctx.negatedTopics.add(`${clauseAt(ctx, pos).start}|${topic}`);
}

const isNegatedTopic = (ctx: SentenceContext, pos: number, topic: NegationTopic) => ctx.negatedTopics.has(`${clauseAt(ctx, pos).start}|${topic}`);

const globals = new WeakMap<RegExp, RegExp>();
/** A global copy of a rule's pattern (rules are written without flags). */
function g(re: RegExp): RegExp {
  let r = globals.get(re);
  if (!r) {
    r = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
    globals.set(re, r);
  }
  r.lastIndex = 0;
  return r;
}

function blank(s: string, start: number, end: number, ch = '~'): string {
  return s.slice(0, start) + ch.repeat(end - start) + s.slice(end);
}

const overlaps = (spans: Span[], start: number, end: number) => spans.some((s) => start < s.end && end > s.start);

function clausesOf(norm: string): Span[] {
  const spans: Span[] = [];
  let start = 0;
  for (const m of norm.matchAll(g(rules.CLAUSE_BOUNDARY))) {
    spans.push({ start, end: m.index });
    start = m.index + (m[0] === ';' ? 1 : 0);
  }
  spans.push({ start, end: norm.length });
  return spans;
}

function clauseAt(ctx: SentenceContext, pos: number): Span {
  return ctx.clauses.find((c) => pos >= c.start && pos < c.end) ?? ctx.clauses[ctx.clauses.length - 1];
}

function lotList(list: string): string[] {
  const lots: number[] = [];
  let range = false;
  for (const m of list.matchAll(/(\d{1,3})|(\ba\b|\bau\b|-)/g)) {
    if (m[2]) {
      range = true;
      continue;
    }
    const n = Number(m[1]);
    const prev = lots[lots.length - 1];
    if (range && prev !== undefined && n > prev && n - prev <= 50) for (let k = prev + 1; k < n; k++) lots.push(k);
    lots.push(n);
    range = false;
  }
  return [...new Set(lots)].map(String);
}

function lotRefsOf(norm: string): LotRef[] {
  return [...norm.matchAll(g(rules.LOT_REFERENCE))].map((m) => ({ start: m.index, end: m.index + m[0].length, lots: lotList(m[1]) }));
}

/** The lots a match of a notice-level sentence is about: the nearest lot reference of its clause, or none. */
function lotsAt(ctx: SentenceContext, hit: Span): string[] | null {
  const clause = clauseAt(ctx, hit.start);
  const refs = ctx.lotRefs.filter((r) => r.start >= clause.start && r.end <= clause.end);
  // "les lots 1 et 2 sont réservés": the lots are part of the match.
  const inside = refs.filter((r) => r.start < hit.end && r.end > hit.start);
  if (inside.length) return [...new Set(inside.flatMap((r) => r.lots))];
  const before = refs.filter((r) => r.end <= hit.start).pop();
  let after = refs.find((r) => r.start >= hit.end);
  if (after && /\d/.test(ctx.numbers.slice(hit.end, after.start))) after = undefined;
  if (after && (!before || /^\s?\(\s?$|\b(?:pour|au|aux|du|des|sur|concernant|dans)\s(?:le |les |l')?(?:\(\s?)?$/.test(ctx.norm.slice(hit.end, after.start)))) {
    if (!before || after.start - hit.end <= 40) return after.lots;
  }
  return before?.lots ?? after?.lots ?? null;
}

/** Is the match negated within its clause ("pas de clause sociale", "Marché réservé : non", "la clause ne s'applique pas")? */
function negated(ctx: SentenceContext, start: number, end: number): boolean {
  const clause = clauseAt(ctx, start);
  const post = ctx.norm.slice(end, clause.end);
  if (rules.NEGATIVE_ANSWER.test(post) || rules.NEGATED_VERB_AFTER.test(post)) return true;
  const tokens = ctx.norm.slice(clause.start, start).match(/[a-z0-9°]+'?|[^\sa-z0-9]/g) ?? [];
  for (let i = tokens.length - 1, seen = 0; i >= 0 && seen < 8; i--, seen++) {
    const t = tokens[i];
    if (rules.NEGATION_CUES.has(t)) {
      // "Marché réservé : non Clause sociale : oui": that "non" answers the previous label.
      if (t === 'non' && (tokens[i - 1] === ':' || tokens[i - 1] === '?')) return false;
      return true;
    }
    if (!rules.NEGATION_FILLERS.has(t)) return false;
  }
  return false;
}

// --- articles

interface Citation extends Span {
  meaning: rules.ArticleMeaning;
}

const ARTICLE_BY_KEY = new Map(rules.ARTICLES.map((a) => [a.article, a.meaning]));
const RESERVED_RANGE: rules.ArticleMeaning = { kind: 'reserved', families: ['unspecified'] };

function articleMeaning(letter: string | undefined, chapter: string, article: string, sub: string | undefined): rules.ArticleMeaning | undefined {
  const l = (letter ?? (chapter === '2152' ? 'r' : 'l')).toUpperCase();
  const base = `${l}${chapter}-${Number(article)}`;
  return (sub ? ARTICLE_BY_KEY.get(`${base}-${sub}`) : undefined) ?? ARTICLE_BY_KEY.get(base);
}

function citationsOf(norm: string): Citation[] {
  const found: Citation[] = [];
  let consumed = 0;
  const citations = rules.GROUP_NEEDS.citations.test(norm) ? norm.matchAll(g(rules.ARTICLE_CITATION)) : [];
  for (const m of citations) {
    const [, letter, chapter, article, sub] = m;
    const start = m.index;
    if (start < consumed) continue; // already read as the continuation of a list
    let end = start + m[0].length;
    if (!letter && !rules.ARTICLE_WORD_BEFORE.test(norm.slice(Math.max(0, start - 12), start)) && !rules.CODE_AFTER.test(norm.slice(end, end + 40))) continue;
    const meaning = articleMeaning(letter, chapter, article, sub);
    if (meaning) found.push({ start, end, meaning });
    // "L2113-12 et 13", "L. 2113-12 à L. 2113-16"
    let previous = Number(article);
    for (let c = rules.ARTICLE_CONTINUATION.exec(norm.slice(end)); c; c = rules.ARTICLE_CONTINUATION.exec(norm.slice(end))) {
      const [, connector, ch, art, s] = c;
      const next = Number(art);
      const cStart = end;
      end += c[0].length;
      if ((connector === 'a' || connector === 'au') && (ch ?? chapter) === chapter && next - previous >= 2) {
        const last = found[found.length - 1];
        if (last && last.meaning.kind === 'reserved') {
          found[found.length - 1] = { start: last.start, end, meaning: RESERVED_RANGE };
          previous = next;
          continue;
        }
      }
      const cm = articleMeaning(letter, ch ?? chapter, art, s);
      if (cm) found.push({ start: cStart, end, meaning: cm });
      previous = next;
    }
    consumed = end;
  }
  if (!rules.GROUP_NEEDS.oldArticles.test(norm)) return found;
  const covered: Span[] = found.map((c) => ({ start: c.start, end: c.end }));
  for (const rule of rules.OLD_ARTICLES) {
    for (const m of norm.matchAll(g(rule.pattern))) {
      const span = { start: m.index, end: m.index + m[0].length };
      if (overlaps(covered, span.start, span.end)) continue;
      covered.push(span);
      found.push({ ...span, meaning: rule.meaning });
    }
  }
  return found;
}

function contextOf(norm: string, criterionText: boolean, requirementText: boolean, afterSocialClause: boolean): { ctx: SentenceContext; citations: Citation[] } {
  let masked = norm;
  rules.NOISE.forEach((re, i) => {
    if (!rules.NOISE_NEEDS[i].test(masked)) return;
    for (const m of masked.matchAll(g(re))) masked = blank(masked, m.index, m.index + m[0].length);
  });
  const citations = citationsOf(norm);
  const lotRefs = lotRefsOf(norm);
  let numbers = masked;
  for (const s of [...citations, ...lotRefs]) numbers = blank(numbers, s.start, s.end, '#');
  for (const m of numbers.matchAll(/\d+(?:[-/]\d+)+|\b(?:n°|no)\s?\d+/g)) numbers = blank(numbers, m.index, m.index + m[0].length, '#');
  return { ctx: { norm, masked, numbers, clauses: clausesOf(norm), lotRefs, criterionText, requirementText, afterSocialClause, negatedTopics: new Set() }, citations };
}

// --- rules

function articleHits(ctx: SentenceContext, citations: Citation[]): Hit[] {
  const hits: Hit[] = [];
  const clauseContext = !rules.RESERVATION_WORD.test(ctx.norm) && rules.CLAUSE_PERFORMANCE_CONTEXT.test(ctx.masked);
  for (const c of citations) {
    if (negated(ctx, c.start, c.end)) continue;
    const m = c.meaning;
    if (m.kind === 'reserved') {
      if (clauseContext || isNegatedTopic(ctx, c.start, 'reserved')) continue;
      for (const family of m.families) hits.push({ kind: 'reserved', value: family, start: c.start, end: c.end });
      continue;
    }
    const social = rules.SOCIAL_ARTICLE_WORDS.test(ctx.masked) && !isNegatedTopic(ctx, c.start, 'social');
    const environmental = rules.ENVIRONMENTAL_ARTICLE_WORDS.test(ctx.masked) && !isNegatedTopic(ctx, c.start, 'environmental');
    if (m.kind === 'executionCondition') {
      if (social) hits.push({ kind: 'socialClause', value: null, start: c.start, end: c.end });
      if (environmental) hits.push({ kind: 'environmentalClause', value: null, start: c.start, end: c.end });
    } else {
      if (social) hits.push({ kind: 'socialCriterion', value: null, start: c.start, end: c.end });
      if (environmental) hits.push({ kind: 'environmentalCriterion', value: null, start: c.start, end: c.end });
    }
  }
  return hits;
}

function familiesIn(window: string): { family: ReservedFamily; start: number; end: number }[] {
  const covered: Span[] = [];
  const found: { family: ReservedFamily; start: number; end: number }[] = [];
  for (const term of rules.FAMILY_TERMS) {
    for (const m of window.matchAll(g(term.pattern))) {
      const end = m.index + m[0].length;
      if (overlaps(covered, m.index, end)) continue;
      if (term.needsOperator && !rules.OPERATOR_WORDS.test(window.slice(0, m.index))) continue;
      if (!term.needsOperator && rules.PERSONS_OF_STRUCTURE.test(window.slice(Math.max(0, m.index - 50), m.index))) continue;
      covered.push({ start: m.index, end });
      found.push({ family: term.family, start: m.index, end });
    }
  }
  return found;
}

/** Where the words a reservation is made to end, reading from `from`: a new clause with its own subject, TARGET_WINDOW, or `limit`. */
function targetEnd(norm: string, from: number, limit: number): number {
  const end = Math.min(limit, from + rules.TARGET_WINDOW);
  const cut = rules.TARGET_WINDOW_END.exec(norm.slice(from, end));
  return cut ? from + cut.index : end;
}

function reservationHits(ctx: SentenceContext): Hit[] {
  const hits: Hit[] = [];
  const taken: Span[] = [];
  const { norm } = ctx;
  if (!rules.GROUP_NEEDS.reservation.test(norm)) return hits;
  for (const trigger of rules.RESERVATION_TRIGGERS) {
    for (const m of norm.matchAll(g(trigger.pattern))) {
      const start = m.index;
      const end = start + m[0].length;
      if (overlaps(taken, start, end)) continue;
      if (trigger.notBefore?.test(norm.slice(Math.max(0, start - 15), start))) continue;
      if (trigger.predicateNotBefore && rules.PREDICATE_VERB.test(m[0]) && trigger.predicateNotBefore.test(norm.slice(Math.max(0, start - 25), start))) continue;
      if (trigger.notAfter?.test(norm.slice(end, end + 30))) continue;
      const windowEnd = targetEnd(norm, end, clauseAt(ctx, start).end);
      if (rules.RESERVED_TO_OTHER.test(norm.slice(end, windowEnd))) {
        taken.push({ start, end });
        continue;
      }
      const window = ctx.masked.slice(end, windowEnd);
      const families = familiesIn(window);
      if (families.length === 0 && !trigger.generic) continue;
      if (!trigger.generic && rules.HOURS_NOT_CONTRACT.test(window.slice(0, Math.min(...families.map((f) => f.start))))) continue;
      taken.push({ start, end });
      const hitEnd = end + Math.max(0, ...families.map((f) => f.end));
      if (negated(ctx, start, hitEnd)) {
        markNegated(ctx, start, 'reserved');
        continue;
      }
      if (families.length === 0) hits.push({ kind: 'reserved', value: 'unspecified', start, end });
      for (const f of families) hits.push({ kind: 'reserved', value: f.family, start, end: end + f.end });
      // "le lot n°1 est réservé aux ESAT, le lot n°2 aux SIAE": an elliptic member repeats the reservation for other lots.
      for (let from = windowEnd, k = 0; k < 5; k++) {
        const e = rules.RESERVATION_ELLIPSIS.exec(norm.slice(from));
        if (!e) break;
        const targetStart = from + e[0].length;
        const end2 = targetEnd(norm, targetStart, norm.length);
        const more = familiesIn(ctx.masked.slice(targetStart, end2));
        if (more.length === 0) break;
        for (const f of more) hits.push({ kind: 'reserved', value: f.family, start: from, end: targetStart + f.end });
        from = end2;
      }
    }
  }
  return hits;
}

const clauseKind = (topic: rules.Topic): FindingKind => (topic === 'social' ? 'socialClause' : 'environmentalClause');
const criterionKind = (topic: rules.Topic): FindingKind => (topic === 'social' ? 'socialCriterion' : 'environmentalCriterion');

function phraseHits(ctx: SentenceContext): Hit[] {
  const hits: Hit[] = [];
  // A clause holding an explicit award criterion ("critère social : heures d'insertion proposées") makes the
  // other wording of the same topic in it part of the criterion.
  const criterionClauses = new Set<string>();
  const possible = { social: rules.GROUP_NEEDS.socialPhrases.test(ctx.masked), environmental: rules.GROUP_NEEDS.environmentalPhrases.test(ctx.masked) };
  const matches: { rule: rules.PhraseRule; start: number; end: number }[] = [];
  for (const rule of rules.PHRASE_RULES) {
    if (!possible[rule.topic] || (rule.needs && !rule.needs.test(ctx.masked))) continue;
    if (rule.requirement && !ctx.requirementText && !rule.requirement.test(ctx.masked)) continue;
    const re = g(rule.pattern);
    for (let m = re.exec(ctx.masked); m; m = re.exec(ctx.masked)) {
      matches.push({ rule, start: m.index, end: m.index + m[0].length });
      if (m[0] === '') re.lastIndex++;
    }
  }
  const kept = matches.filter((m) => {
    if (negated(ctx, m.start, m.end)) {
      markNegated(ctx, m.start, m.rule.topic);
      return false;
    }
    if (m.rule.role === 'criterion') criterionClauses.add(`${clauseAt(ctx, m.start).start}|${m.rule.topic}`);
    return true;
  });
  for (const { rule, start, end } of kept) {
    const inCriterion = ctx.criterionText || criterionClauses.has(`${clauseAt(ctx, start).start}|${rule.topic}`);
    const kind = rule.role === 'clause' ? clauseKind(rule.topic) : rule.role === 'criterion' || inCriterion ? criterionKind(rule.topic) : clauseKind(rule.topic);
    hits.push({ kind, value: null, start, end });
  }
  if (ctx.criterionText) {
    for (const [words, kind] of [
      [rules.SOCIAL_CRITERION_WORDS, 'socialCriterion'],
      [rules.ENVIRONMENTAL_CRITERION_WORDS, 'environmentalCriterion'],
    ] as const) {
      for (const m of ctx.masked.matchAll(g(words))) {
        const end = m.index + m[0].length;
        if (negated(ctx, m.index, end)) continue;
        hits.push({ kind, value: null, start: m.index, end });
      }
    }
  }
  return hits;
}

function parseNumber(int: string, decimals: string | undefined): number {
  return Number(`${int.replace(/[ .]/g, '')}${decimals ? `.${decimals}` : ''}`);
}

function hoursHits(ctx: SentenceContext): Hit[] {
  const hits: Hit[] = [];
  const text = ctx.numbers;
  let lastHitEnd = -Infinity;
  for (const m of text.matchAll(g(rules.NUMBER))) {
    const start = m.index;
    const end = start + m[0].length;
    let value = parseNumber(m[1], m[2]);
    if (!(value > 0)) continue;
    let hitStart = start;
    const clause = clauseAt(ctx, start);
    const before = text.slice(clause.start, start);
    const after = text.slice(end, clause.end);
    if (rules.NUMBER_NOT_AFTER.test(before) || rules.HOURS_NOT_AFTER.test(after)) continue;
    const unit = rules.HOUR_UNIT_AFTER.exec(after);
    let insertion = false;
    if (unit) {
      if (rules.HOURS_NOT_BEFORE.test(before) || rules.SERVICE_HOURS_KIND.test(after)) continue;
      // "Clause d'insertion : 5 % des heures travaillées, estimées à 8 000 heures": 8 000 is the base of the
      // share; the insertion hours are the share of it (400), when the clause speaks of insertion.
      const near = before.slice(-150);
      const share = rules.SHARE_BASE_BEFORE.exec(near);
      // "350 heures d'insertion", "1 500 heures de travail réservées à l'insertion" (up to the next number)
      const forward = after.slice(unit[0].length, unit[0].length + 90).split(/\d/)[0];
      if (share) {
        if (!rules.INSERTION_WORDING.test(text.slice(clause.start, clause.end))) continue;
        value = Math.round((value * parseNumber(share[1], share[2])) / 100);
        hitStart = start - near.length + share.index;
        insertion = true;
      } else if (rules.INSERTION_WORDING.test(forward)) insertion = true;
      else if (!rules.OTHER_HOURS_KIND.test(after)) {
        // "clause d'insertion : 420 heures", "…insertion représente 5 % des heures, soit 1 200 heures"
        let back = before.slice(-150);
        if (clause.start > 0 && rules.CLAUSE_GOES_ON.test(text.slice(clause.start, clause.end)))
          back = text.slice(Math.max(0, clause.start - 150), start);
        const quantities = [...back.matchAll(g(rules.HOUR_QUANTITY))];
        const last = quantities[quantities.length - 1];
        if (last) back = back.slice(last.index + last[0].length);
        // "…5 % des heures, soit 7 000 heures de travail": the base of the share, not the insertion hours
        const base = rules.WORK_HOURS_AFTER.test(after) && rules.PERCENTAGE.test(back);
        insertion =
          !base &&
          (rules.INSERTION_WORDING.test(back) ||
            (start - lastHitEnd <= rules.HOURS_LIST_GAP && (lastHitEnd >= clause.start || !/[a-z]{3}/.test(text.slice(lastHitEnd, start).replace(rules.HOURS_LIST_FILLERS, '')))) ||
            // "- Clause sociale d'insertion\n- Volume horaire : 2 000 heures"
            (ctx.afterSocialClause && (rules.HOURS_BARE_LABEL_BEFORE.test(before) || rules.VOLUME_LABEL_BEFORE.test(before)) && rules.BARE_HOURS_AFTER.test(after)));
      }
    } else if (!rules.NOT_HOURS_AFTER.test(after)) {
      // "nombre d'heures d'insertion : 700", "Nombre d'heures : 350 (clause d'insertion)"
      insertion =
        rules.HOURS_LABEL_BEFORE.test(before) ||
        (rules.HOURS_GENERIC_LABEL_BEFORE.test(before) && rules.INSERTION_WORDING.test(text.slice(clause.start, clause.end))) ||
        (ctx.afterSocialClause && rules.HOURS_BARE_LABEL_BEFORE.test(before));
    }
    if (!insertion) continue;
    const hitEnd = end + (unit?.[0].length ?? 0);
    if (negated(ctx, hitStart, hitEnd)) continue;
    hits.push({ kind: 'insertionHours', value: String(value), start: hitStart, end: hitEnd });
    lastHitEnd = hitEnd;
  }
  return hits;
}

// --- findings

const EXCERPT_MAX = 300;

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The sentence, or when longer than EXCERPT_MAX, the part of it around the match (cut at spaces, marked with "…"). `whole`: the sentence collapsed. */
function excerptOf(sentence: string, from: number, to: number, whole = collapse(sentence)): string {
  if (whole.length <= EXCERPT_MAX) return whole;
  const room = Math.max(0, EXCERPT_MAX - (to - from));
  let a = Math.max(0, from - Math.floor(room / 2));
  let b = Math.min(sentence.length, a + Math.max(EXCERPT_MAX, to - from));
  a = Math.max(0, Math.min(a, b - EXCERPT_MAX));
  if (a > 0) {
    const space = sentence.indexOf(' ', a);
    if (space !== -1 && space < from) a = space + 1;
  }
  if (b < sentence.length) {
    const space = sentence.lastIndexOf(' ', b);
    if (space > to) b = space;
  }
  return `${a > 0 ? '…' : ''}${collapse(sentence.slice(a, b))}${b < sentence.length ? '…' : ''}`;
}

/** Paths repeat from one notice to the next: the answer is kept. */
const criterionPaths = new Map<string, boolean>();

function isCriterionText(path: string): boolean {
  let criterion = criterionPaths.get(path);
  if (criterion === undefined) {
    criterion = rules.CRITERION_PATH.test(path) && !rules.NOT_CRITERION_PATH.test(path);
    if (criterionPaths.size > 10_000) criterionPaths.clear();
    criterionPaths.set(path, criterion);
  }
  return criterion;
}

/**
 * Findings of one free text: every sentence is normalised and run through the rules of text-rules.ts.
 * The excerpt is the sentence; the path and lot are the text's (a notice-level sentence naming lots gives
 * findings for those lots). One finding per kind, value and lot in a sentence.
 */
export function textFindings(text: NoticeText): Finding[] {
  const findings: Finding[] = [];
  const criterionText = isCriterionText(text.path);
  // Every rule needs one of the prefilter's fragments in its sentence: a text, then a sentence, without any gives nothing.
  if (!mayMatch(text.text, criterionText)) return findings;
  const requirementText = criterionText || rules.EXECUTION_PATH.test(text.path);
  let afterSocialClause = false;
  for (const sentence of splitSentences(text.text)) {
    if (!mayMatch(sentence, criterionText)) {
      afterSocialClause = false;
      continue;
    }
    const { text: norm, map } = normalizeText(sentence);
    if (norm === '') continue;
    const { ctx, citations } = contextOf(norm, criterionText, requirementText, afterSocialClause);
    const hits = [...reservationHits(ctx), ...phraseHits(ctx), ...articleHits(ctx, citations), ...hoursHits(ctx)];
    afterSocialClause = hits.some((h) => h.kind === 'socialClause');
    const seen = new Set<string>();
    const sentenceFindings: Finding[] = [];
    let collapsed: string | null = null;
    for (const hit of hits) {
      const lots = text.lot !== null ? [text.lot] : (lotsAt(ctx, hit) ?? [null]);
      const from = map[hit.start];
      const to = map[hit.end] ?? sentence.length;
      const words = collapse(sentence.slice(from, to));
      const value = hit.value ?? words;
      for (const lot of lots) {
        // One finding per kind (and family / number) and lot in a sentence: the first rule's words.
        const key = `${hit.kind}|${hit.kind === 'reserved' || hit.kind === 'insertionHours' ? value : ''}|${lot}`;
        if (seen.has(key)) continue;
        seen.add(key);
        collapsed ??= collapse(sentence);
        sentenceFindings.push({ kind: hit.kind, value, lot, origin: 'text', path: text.path, excerpt: excerptOf(sentence, from, to, collapsed), words });
      }
    }
    // A family named in the sentence makes its "reserved, family not stated" redundant for the same lot.
    findings.push(
      ...sentenceFindings.filter(
        (f) => !(f.kind === 'reserved' && f.value === 'unspecified' && sentenceFindings.some((o) => o.kind === 'reserved' && o.value !== 'unspecified' && o.lot === f.lot)),
      ),
    );
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------
// Classification

const trailingNumber = (s: string): number | null => {
  const m = /(\d+)\s*$/.exec(s);
  return m ? Number(m[1]) : null;
};

/** A lot as named by a finding ("1", "01", "LOT-0001") → the notice's lot number when one matches. */
function resolveLot(lot: string, numbers: string[]): string {
  if (numbers.includes(lot)) return lot;
  const n = trailingNumber(lot);
  if (n === null) return lot;
  return numbers.find((x) => trailingNumber(x) === n) ?? lot;
}

const naturalOrder = (a: string, b: string) => a.localeCompare(b, 'fr', { numeric: true });

interface Flags {
  reserved: ReservedFamily[];
  socialClause: boolean;
  socialCriterion: boolean;
  environmental: boolean;
}

function flagsOf(findings: Finding[]): Flags {
  const families = new Set<ReservedFamily>();
  for (const f of findings) if (f.kind === 'reserved' && (RESERVED_FAMILIES as readonly string[]).includes(f.value)) families.add(f.value as ReservedFamily);
  if (families.size > 1) families.delete('unspecified');
  const has = (kind: FindingKind) => findings.some((f) => f.kind === kind);
  return {
    reserved: RESERVED_FAMILIES.filter((f) => families.has(f)),
    socialClause: has('socialClause') || hoursValues(findings).length > 0,
    socialCriterion: has('socialCriterion'),
    environmental: has('environmentalClause') || has('environmentalCriterion'),
  };
}

/** The number of an insertion-hours finding ("1 200,5" is written "1200,5" in its value). */
const hourValue = (f: Finding) => Number(f.value.replace(',', '.'));

/** Distinct positive numbers of hours among the findings. */
function hoursValues(findings: Finding[]): number[] {
  const values = findings.filter((f) => f.kind === 'insertionHours').map(hourValue);
  return [...new Set(values.filter((v) => Number.isFinite(v) && v > 0))];
}

const sum = (values: number[]): number | null => (values.length ? values.reduce((s, v) => s + v, 0) : null);

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = JSON.stringify([f.kind, f.value, f.lot, f.path, f.excerpt]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The notice's families: those of its notice-level findings and of its lots. « unspecified » stays when a
 * lot's own findings leave it unspecified (lot 1 res-pub-ser, lot 2 res-ws: ess and unspecified), and goes
 * when it only comes from the notice level and a family is known.
 */
function noticeReserved(lots: LotClassification[], findings: Finding[], noticeLevel: Finding[]): ReservedFamily[] {
  const families = new Set<ReservedFamily>(flagsOf(noticeLevel).reserved);
  let lotUnspecified = false;
  for (const lot of lots) {
    for (const family of lot.reserved) {
      if (family !== 'unspecified') families.add(family);
      else if (findings.some((f) => f.lot === lot.lot && f.kind === 'reserved' && f.value === 'unspecified')) lotUnspecified = true;
    }
  }
  if (lotUnspecified) families.add('unspecified');
  else if (families.size > 1) families.delete('unspecified');
  return RESERVED_FAMILIES.filter((f) => families.has(f));
}

/** Classifies a notice: its findings (fields and texts), its flags, and each lot's flags. */
export function classifyNotice(notice: Notice): Classification {
  const lotNumbers = [...new Set(notice.lots.map((l) => l.number))];
  const findings = dedupe(
    [...notice.fieldFindings, ...notice.texts.flatMap((t) => textFindings(t))].map((f) => (f.lot === null ? f : { ...f, lot: resolveLot(f.lot, lotNumbers) })),
  );
  const extraLots = [...new Set(findings.map((f) => f.lot).filter((l): l is string => l !== null && !lotNumbers.includes(l)))].sort(naturalOrder);
  const lotIds = [...lotNumbers, ...extraLots];
  const noticeLevel = findings.filter((f) => f.lot === null);
  const noticeHours = hoursValues(noticeLevel);

  const lotHours = new Map<string, number[]>();
  const lots: LotClassification[] = lotIds.map((lot) => {
    const own = findings.filter((f) => f.lot === lot);
    const hours = hoursValues(own);
    lotHours.set(lot, hours);
    return {
      lot,
      ...flagsOf([...own, ...noticeLevel]),
      insertionHours: sum(hours) ?? (lotIds.length === 1 ? sum(noticeHours) : null),
    };
  });

  // A volume stated once for several lots ("lots 1 et 2 : 300 heures au total") counts once in the notice total.
  const hourKey = (f: Finding) => `${f.path}|${f.excerpt}|${f.value}`;
  const lotsOfKey = new Map<string, Set<string>>();
  for (const f of findings) if (f.kind === 'insertionHours' && f.lot !== null) lotsOfKey.set(hourKey(f), (lotsOfKey.get(hourKey(f)) ?? new Set()).add(f.lot));
  const countedShared = new Set<string>();
  const lotParts: number[] = [];
  for (const lot of lotIds) {
    for (const v of lotHours.get(lot) ?? []) {
      const sources = findings.filter((f) => f.kind === 'insertionHours' && f.lot === lot && hourValue(f) === v);
      const shared = sources.every((f) => (lotsOfKey.get(hourKey(f))?.size ?? 0) > 1 && !rules.HOURS_EACH_LOT.test(f.excerpt));
      if (shared && sources.some((f) => countedShared.has(hourKey(f)))) continue;
      for (const f of sources) countedShared.add(hourKey(f));
      lotParts.push(v);
    }
  }
  const lotsTotal = sum(lotParts);
  let insertionHours: number | null;
  if (lotsTotal === null) insertionHours = sum(noticeHours);
  else {
    const lotValues = new Set([...lotHours.values()].flat());
    insertionHours = lotsTotal + (sum(noticeHours.filter((v) => v !== lotsTotal && !lotValues.has(v))) ?? 0);
  }

  return {
    source: notice.source,
    id: notice.sourceId,
    ...flagsOf(findings),
    reserved: noticeReserved(lots, findings, noticeLevel),
    insertionHours,
    findings,
    lots,
  };
}
