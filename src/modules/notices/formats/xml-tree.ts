// Notices as JSON trees. XML files (BOAMP XML, eForms) are read with saxes into the same tree shape as
// the JSON that BOAMP open data publishes in `donnees`: element names as keys (prefixes kept), attributes
// as "@name", text as "#text", a repeated element becomes an array, an empty element "" (markers such as
// <MARCHE_RESERVE_NON/> are kept). Files are streamed: only the notice being read sits in memory.
// The second half of this file holds the small helpers every reader uses to walk such a tree and to
// normalise its leaves (codes, SIRET, dates, amounts).
import fs from 'node:fs';
import path from 'node:path';
import { SaxesParser, type SaxesTag, type SaxesTagNS } from 'saxes';
import type { Notice } from '../model.ts';

export type TreeValue = string | number | boolean | null | TreeNode | TreeValue[];
export interface TreeNode {
  [key: string]: TreeValue;
}

/** One element of an XML file recognised as a notice: its tree and its XML text. */
export interface XmlRecord {
  name: string;
  tree: TreeValue;
  xml: string;
  /** Line where the element starts (1-based). */
  line: number;
  /** The notice is the root element of the file (the usual one-notice file). */
  isRoot: boolean;
}

export type XmlItem = { ok: true; record: XmlRecord } | { ok: false; line: number; code: string; message: string };

export interface XmlReadOptions {
  /** Is this closed element a notice? (called for every element, innermost first) */
  isRecord: (name: string, value: TreeValue) => boolean;
  /** Resolve namespaces and rename elements (eForms: canonical prefixes whatever the file declares). */
  renameElement?: (tag: SaxesTagNS) => string;
  /** What to tell when the file holds no notice at all (French). */
  noRecordMessage: string;
}

interface Frame {
  name: string;
  node: TreeNode;
  text: string;
  hasChildren: boolean;
  hasAttributes: boolean;
  /** Offset (in characters) of the "<" opening the element. */
  start: number;
  line: number;
  /** A notice was found inside: this element cannot be one. */
  holdsRecord: boolean;
}

const XML_DECLARATION_ENCODING = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;

/** The encoding an XML file declares (UTF-8 when it says nothing). */
async function declaredEncoding(file: string): Promise<string> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(200);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead).toString('latin1');
    const m = XML_DECLARATION_ENCODING.exec(head.replace(/^\uFEFF|^ï»¿/, ''));
    const label = m ? m[1].toLowerCase() : 'utf-8';
    return ['iso-8859-1', 'latin1', 'iso-8859-15', 'windows-1252', 'cp1252'].includes(label) ? 'windows-1252' : 'utf-8';
  } finally {
    await fh.close();
  }
}

/** The value of a closed element in the tree. */
function elementValue(f: Frame): TreeValue {
  if (!f.hasChildren && !f.hasAttributes) return f.text;
  const text = f.hasChildren ? f.text.trim() : f.text;
  if (text !== '') f.node['#text'] = text;
  return f.node;
}

/** Adds a child value under its name: a second one with the same name turns the entry into an array. */
function addChild(parent: TreeNode, name: string, value: TreeValue, repeated: Set<string>) {
  if (!(name in parent)) {
    parent[name] = value;
    return;
  }
  if (repeated.has(name)) (parent[name] as TreeValue[]).push(value);
  else {
    parent[name] = [parent[name], value];
    repeated.add(name);
  }
}

/**
 * The notices of an XML file, streamed: each element that `isRecord` accepts is yielded with its tree and
 * its XML text, then dropped. A file that is not well formed yields an error (where it breaks) after the
 * notices read before that point.
 */
export async function* readXmlRecords(file: string, options: XmlReadOptions): AsyncGenerator<XmlItem> {
  const encoding = await declaredEncoding(file);
  const parser = new SaxesParser({ xmlns: Boolean(options.renameElement), position: true });
  const stack: Frame[] = [];
  const repeatedOf = new WeakMap<TreeNode, Set<string>>();
  const queue: XmlItem[] = [];
  let buffer = '';
  let bufferStart = 0;
  let records = 0;
  let sawRoot = false;

  const nameOf = (tag: SaxesTag) => (options.renameElement && tag.uri !== undefined ? options.renameElement(tag as SaxesTagNS) : tag.name);

  parser.on('opentag', (tag) => {
    const at = parser.position - bufferStart;
    const start = bufferStart + buffer.lastIndexOf('<', Math.max(0, at - 1));
    const node: TreeNode = {};
    let hasAttributes = false;
    for (const [key, raw] of Object.entries(tag.attributes)) {
      if (key === 'xmlns' || key.startsWith('xmlns:') || key.startsWith('xsi:')) continue;
      node[`@${key}`] = typeof raw === 'string' ? raw : raw.value;
      hasAttributes = true;
    }
    const parent = stack.at(-1);
    if (parent) parent.hasChildren = true;
    stack.push({ name: nameOf(tag), node, text: '', hasChildren: false, hasAttributes, start, line: parser.line, holdsRecord: false });
    sawRoot = true;
  });
  parser.on('text', (t) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on('cdata', (t) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on('closetag', () => {
    const f = stack.pop();
    if (!f) return;
    const value = elementValue(f);
    if (!f.holdsRecord && options.isRecord(f.name, value)) {
      const end = parser.position - bufferStart;
      queue.push({ ok: true, record: { name: f.name, tree: value, xml: buffer.slice(f.start - bufferStart, end), line: f.line, isRoot: stack.length === 0 } });
      records++;
      for (const ancestor of stack) ancestor.holdsRecord = true;
      return;
    }
    const parent = stack.at(-1);
    if (!parent) return;
    let repeated = repeatedOf.get(parent.node);
    if (!repeated) repeatedOf.set(parent.node, (repeated = new Set()));
    addChild(parent.node, f.name, value, repeated);
  });

  /** Drops the text no open notice can need any more. */
  const trimBuffer = () => {
    const candidate = stack.find((f) => !f.holdsRecord);
    const lastTag = buffer.lastIndexOf('<');
    const keepFrom = candidate ? candidate.start : lastTag >= 0 ? bufferStart + lastTag : bufferStart + buffer.length;
    if (keepFrom > bufferStart) {
      buffer = buffer.slice(keepFrom - bufferStart);
      bufferStart = keepFrom;
    }
  };

  const failure = (err: unknown): XmlItem => ({
    ok: false,
    line: parser.line,
    code: 'NOTICE_XML_INVALID',
    message: `Le fichier ${path.basename(file)} n’est pas un XML bien formé (ligne ${parser.line}, colonne ${parser.column} : ${xmlErrorText(err)}).`,
  });

  const decoder = new TextDecoder(encoding);
  const source = fs.createReadStream(file);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const text = decoder.decode(chunk, { stream: true });
      buffer += text;
      parser.write(text);
      yield* queue.splice(0);
      trimBuffer();
    }
    const rest = decoder.decode();
    buffer += rest;
    parser.write(rest);
    parser.close();
  } catch (err) {
    source.destroy();
    yield* queue.splice(0);
    yield failure(err);
    return;
  }
  yield* queue.splice(0);
  if (!sawRoot) yield { ok: false, line: 1, code: 'NOTICE_XML_INVALID', message: `Le fichier ${path.basename(file)} ne contient aucun élément XML.` };
  else if (records === 0) yield { ok: false, line: 1, code: 'NOTICE_XML_UNKNOWN', message: options.noRecordMessage };
}

/** saxes' message without its "file:line:column:" prefix, in French for the usual cases. */
function xmlErrorText(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const msg = raw.replace(/^(?:[^:]*:)?\d+:\d+:\s*/, '').replace(/\.$/, '');
  const unclosed = /^unclosed tag: (.+)$/.exec(msg);
  if (unclosed) return `balise <${unclosed[1]}> jamais fermée`;
  const mismatch = /^unexpected close tag/.test(msg);
  if (mismatch) return 'balise fermante inattendue';
  if (/^text data outside of root node/.test(msg)) return 'texte après l’élément racine';
  if (/^document must contain a root element/.test(msg)) return 'aucun élément racine';
  if (/only one root/.test(msg)) return 'plusieurs éléments racines';
  if (/disallowed character/.test(msg)) return 'caractère interdit';
  return msg;
}

// ---------------------------------------------------------------------------------------------------
// Walking a tree and normalising its leaves (shared by the BOAMP and eForms readers).

export const isNode = (v: unknown): v is TreeNode => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value that may be one element or several, as a list (nothing → []). */
export function all(v: TreeValue | undefined): TreeValue[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** The nodes (objects) among a value that may be one or several. */
export const nodesOf = (v: TreeValue | undefined): TreeNode[] => all(v).filter(isNode);

/** Every value reached by following `keys` from `v`, through arrays at any step. */
export function allAt(v: TreeValue | undefined, ...keys: string[]): TreeValue[] {
  let current = all(v);
  for (const key of keys) current = current.flatMap((x) => (isNode(x) ? all(x[key]) : []));
  return current;
}

/** The first value reached by following `keys` (undefined when nothing is there). */
export const firstAt = (v: TreeValue | undefined, ...keys: string[]): TreeValue | undefined => allAt(v, ...keys)[0];

/** The text of a leaf: a string, a number, or an element's "#text"; trimmed, null when empty. */
export function textOf(v: TreeValue | undefined): string | null {
  if (Array.isArray(v)) return textOf(v[0]);
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (isNode(v)) return textOf(v['#text'] ?? v['#TEXT']);
  return null;
}

/** An attribute of an element ("@name"). */
export function attrOf(v: TreeValue | undefined, name: string): string | null {
  if (Array.isArray(v)) return attrOf(v[0], name);
  return isNode(v) ? textOf(v[`@${name}`]) : null;
}

/** The 8 digits of a CPV code ("50118110-8" → "50118110"), null when it is not one. */
export function cpv8(v: TreeValue | undefined): string | null {
  const m = /^\s*(\d{8})(?:\s*-\s*\d)?\s*$/.exec(textOf(v) ?? '');
  return m ? m[1] : null;
}

/** A SIRET: 14 digits once spaces and dots are removed, else null. */
export function siret14(v: TreeValue | undefined): string | null {
  const digits = (textOf(v) ?? '').replace(/[\s.\u00a0]/g, '');
  return /^\d{14}$/.test(digits) ? digits : null;
}

/** A day as YYYY-MM-DD from "2017-01-01", "2023-03-23+01:00", "2023-05-26Z", an ISO timestamp, "31/01/2017" or epoch ms. */
export function isoDay(v: TreeValue | undefined): string | null {
  if (typeof v === 'number' && v > 1e11) return new Date(v).toISOString().slice(0, 10);
  const s = textOf(v);
  if (!s) return null;
  const iso = /^(\d{4}-\d{2}-\d{2})/.exec(s);
  if (iso) return iso[1];
  const fr = /^(\d{2})\/(\d{2})\/(\d{4})/.exec(s);
  return fr ? `${fr[3]}-${fr[2]}-${fr[1]}` : null;
}

/**
 * A deadline: a full ISO timestamp when a time is known ("2023-05-22" + "20:59:32+01:00" →
 * "2023-05-22T20:59:32+01:00"; "2017-02-07T12:00:00+01:00" as is), else the day.
 */
export function isoDeadline(date: TreeValue | undefined, time?: TreeValue | undefined): string | null {
  if (typeof date === 'number' && date > 1e11) return new Date(date).toISOString();
  const s = textOf(date);
  if (!s) return null;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s)) return s;
  const day = isoDay(s);
  if (!day) return null;
  const t = /^(\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:\d{2})?$/.exec(textOf(time) ?? '');
  if (!t) return day;
  const zone = t[2] ?? /(Z|[+-]\d{2}:\d{2})$/.exec(s.slice(10))?.[1] ?? '';
  return `${day}T${t[1].length === 5 ? `${t[1]}:00` : t[1]}${zone}`;
}

/** An amount in euros from "159691.6", "1 083 333", "9999999,99"; null when it is not a number. */
export function amountOf(v: TreeValue | undefined): number | null {
  const s = textOf(v);
  if (!s) return null;
  const cleaned = s.replace(/[\s\u00a0\u202f]|€|EUR/g, '').replace(/,(\d{1,2})$/, '.$1');
  if (!/^-?\d+(?:\.\d+)?$/.test(cleaned)) return null;
  const n = Number(cleaned);
  return Number.isFinite(n) ? n : null;
}

/** Distinct values, in order. */
export const distinct = <T>(values: Iterable<T>): T[] => [...new Set(values)];

// ---------------------------------------------------------------------------------------------------
// What a format's tree reader returns: a notice without the fields its envelope decides.

/** A notice read from a tree, before its source, id, URL and raw record are set (title may be missing). */
export type NoticeBody = Omit<Notice, 'source' | 'sourceId' | 'url' | 'raw' | 'title'> & { title: string | null };
