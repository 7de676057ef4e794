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
 *
 * The fast path (below) reads the XML that data feeds write; at the first thing it does not read
 * (a DOCTYPE, a processing instruction, a name outside ASCII, anything not well formed…) the file is read
 * again by saxes, which gives the same notices (those already given are skipped) and says exactly what
 * is wrong and where.
 */
export async function* readXmlRecords(file: string, options: XmlReadOptions): AsyncGenerator<XmlItem> {
  let given = 0;
  try {
    for await (const item of fastXmlRecords(file, options)) {
      given++;
      yield item;
    }
    return;
  } catch (err) {
    if (!(err instanceof XmlAnomaly)) throw err;
  }
  let skipped = 0;
  for await (const item of saxesXmlRecords(file, options)) {
    if (item.ok && skipped < given) skipped++;
    else yield item;
  }
}

/** The careful path: saxes, exact errors. */
async function* saxesXmlRecords(file: string, options: XmlReadOptions): AsyncGenerator<XmlItem> {
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

// ---------------------------------------------------------------------------------------------------
// The fast path: a reader of the XML data feeds write (elements, attributes, text, the five predefined
// entities and character references, CDATA, comments, namespaces), with native string search and
// regular expressions. It checks what saxes checks for such documents (one root, tags that match, names,
// no "<" in attribute values, no duplicate attribute, declared namespace prefixes, allowed characters,
// known entities, no "]]>" in text) and builds the same tree; anything else throws XmlAnomaly.

class XmlAnomaly extends Error {}

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
const NAME = '[A-Za-z_][A-Za-z0-9._-]*';
const QNAME = `${NAME}(?::${NAME})?`;
const S = '[ \\t\\r\\n]';
/** ASCII characters that may start a name (1) or go on in one (2); ':' is handled apart. */
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) NAME_CHAR[c] = 1;
  else if (/[0-9.-]/.test(ch)) NAME_CHAR[c] = 2;
}
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;

/**
 * The end of the name starting at `i` (ASCII, at most one ":" and not at either end of a part), -1 when
 * it is not such a name, -2 when the text ends inside it.
 */
function nameEnd(buf: string, i: number): number {
  if (i >= buf.length) return -2;
  let c = buf.charCodeAt(i);
  if (c >= 128 || NAME_CHAR[c] !== 1) return -1;
  let colon = false;
  for (i++; i < buf.length; i++) {
    c = buf.charCodeAt(i);
    if (c < 128 && NAME_CHAR[c] !== 0) continue;
    if (c !== 0x3a) return c >= 128 ? -1 : i;
    if (colon) return -1;
    colon = true;
    i++;
    if (i >= buf.length) return -2;
    c = buf.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] !== 1) return -1;
  }
  return -2;
}

/** Is buf[from, to) only XML spaces? */
function onlySpaces(buf: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(buf.charCodeAt(i))) return false;
  return true;
}

const END_TAG = new RegExp(`</(${QNAME})${S}*>`, 'y');
const XML_DECLARATION = new RegExp(
  `<\\?xml${S}+version${S}*=${S}*(?:"1\\.[0-9]+"|'1\\.[0-9]+')(?:${S}+encoding${S}*=${S}*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:${S}+standalone${S}*=${S}*(?:"(?:yes|no)"|'(?:yes|no)'))?${S}*\\?>`,
  'y',
);
/** Characters XML 1.0 does not allow (lone surrogates included); the first test is the quick one. */
const MAYBE_DISALLOWED = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF\uD800-\uDFFF]/;
const DISALLOWED = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/g;
const UNKNOWN_ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** Longest markup waited for across chunks before it is taken as broken. */
const MARKUP_MAX = 1 << 16;

function isXmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

/** Content (text, attribute value, comment, CDATA) with a character XML does not allow is an anomaly. */
function checkChars(s: string): string {
  if (MAYBE_DISALLOWED.test(s) && DISALLOWED.test(s)) throw new XmlAnomaly('disallowed character');
  return s;
}

function decodeEntities(s: string): string {
  checkChars(s);
  if (!s.includes('&')) return s;
  if (UNKNOWN_ENTITY.test(s)) throw new XmlAnomaly('entity');
  return s.replace(ENTITY, (_m, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (named) return PREDEFINED[named];
    const code = dec !== undefined ? Number(dec) : Number.parseInt(hex!, 16);
    if (!isXmlChar(code)) throw new XmlAnomaly('character reference');
    return String.fromCodePoint(code);
  });
}

/** Text as saxes gives it: line ends made "\n", entities decoded. */
function textValue(raw: string): string {
  if (raw.includes(']]>')) throw new XmlAnomaly(']]>');
  return decodeEntities(raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw);
}

/** An attribute value as saxes gives it: line ends and tabs made spaces, entities decoded. */
function attributeValue(raw: string): string {
  return decodeEntities(/[\t\n\r]/.test(raw) ? raw.replace(/\r\n|[\r\n\t]/g, ' ') : raw);
}

interface FastFrame {
  name: string;
  /** The name as written, for the end tag. */
  qname: string;
  node: TreeNode;
  text: string;
  hasChildren: boolean;
  hasAttributes: boolean;
  /** Offsets (in characters from the start of the text) of the "<" and of the end of the start tag. */
  start: number;
  tagEnd: number;
  holdsRecord: boolean;
  repeated: Set<string> | null;
  ns: Namespaces;
  /** Text other than XML spaces was seen. */
  hasContent: boolean;
}

/** Namespace prefixes in scope (xmlns mode), and the names elements got under them. */
interface Namespaces {
  scope: Map<string, string>;
  names: Map<string, string>;
}

/**
 * The names elements get, shared by every file read with the same renaming and the same namespace
 * declarations (a feed's files all declare the same ones): the renamed strings are the same objects from
 * one notice to the next.
 */
const sharedNames = new WeakMap<(tag: SaxesTagNS) => string, Map<string, Map<string, string>>>();

/** Element names read without namespaces (their canonical strings, shared by every file). */
const PLAIN_NAMES = new Map<string, string>();

function namesFor(rename: ((tag: SaxesTagNS) => string) | undefined, scope: Map<string, string>): Map<string, string> {
  if (!rename) return new Map();
  let bySignature = sharedNames.get(rename);
  if (!bySignature) sharedNames.set(rename, (bySignature = new Map()));
  const signature = [...scope].map(([p, u]) => `${p}=${u}`).join('\u0000');
  let names = bySignature.get(signature);
  if (!names) {
    if (bySignature.size > 100) bySignature.clear();
    bySignature.set(signature, (names = new Map()));
  }
  return names;
}

/** The decoder saxesXmlRecords uses for a file starting with these bytes (its declared encoding). */
function decoderFor(head: Buffer): TextDecoder {
  const m = XML_DECLARATION_ENCODING.exec(head.subarray(0, 200).toString('latin1').replace(/^\uFEFF|^ï»¿/, ''));
  const label = m ? m[1].toLowerCase() : 'utf-8';
  return new TextDecoder(['iso-8859-1', 'latin1', 'iso-8859-15', 'windows-1252', 'cp1252'].includes(label) ? 'windows-1252' : 'utf-8');
}

/** Files up to this size are read in one go (one notice per file is the usual case). */
const WHOLE_FILE_MAX = 1 << 20;

/** The text of a file, decoded as saxesXmlRecords does (declared encoding, byte-order mark dropped), in chunks. */
async function* decodedChunks(file: string): AsyncGenerator<string> {
  let small: Buffer | null = null;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      if (fs.fstatSync(fd).size <= WHOLE_FILE_MAX) small = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    throw new XmlAnomaly('unreadable');
  }
  if (small) {
    const text = decoderFor(small).decode(small);
    if (text) yield text;
    return;
  }
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch {
    throw new XmlAnomaly('unreadable');
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 18);
    let decoder: TextDecoder | null = null;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, buf.length, null));
      } catch {
        throw new XmlAnomaly('unreadable');
      }
      decoder ??= decoderFor(buf.subarray(0, bytesRead));
      if (bytesRead === 0) break;
      const text = decoder.decode(buf.subarray(0, bytesRead), { stream: true });
      if (text) yield text;
    }
    const rest = decoder!.decode();
    if (rest) yield rest;
  } finally {
    await fh.close();
  }
}

/** The fast path on text given chunk by chunk: the records each chunk completes. Throws XmlAnomaly. */
interface FastXmlReader {
  push(text: string): XmlItem[];
  end(): XmlItem[];
}

function fastXmlReader(options: XmlReadOptions): FastXmlReader {
  const xmlns = Boolean(options.renameElement);
  const stack: FastFrame[] = [];
  const queue: XmlItem[] = [];
  const rootNs: Namespaces = { scope: new Map(), names: namesFor(options.renameElement, new Map()) };
  let buf = '';
  let base = 0; // offset of buf[0] in the whole text
  let pos = 0; // next character to read, in buf
  let sawRoot = false;
  let rootClosed = false;
  let records = 0;
  let final = false;
  // Lines, counted as saxes does (\r\n, \r, \n), up to `lineAt`.
  let line = 1;
  let lineAt = 0;
  let afterCR = false;
  const countLines = (to: number) => {
    if (to <= lineAt) return;
    const from = lineAt - base;
    const end = to - base;
    const cr = buf.indexOf('\r', from);
    if (cr < 0 || cr >= end) {
      for (let i = buf.indexOf('\n', from); i >= 0 && i < end; i = buf.indexOf('\n', i + 1)) line++;
      afterCR = false;
    } else {
      const part = buf.slice(from, end);
      line += part.match(/\r\n|\r|\n/g)!.length;
      if (afterCR && part.startsWith('\n')) line--;
      afterCR = part.endsWith('\r');
    }
    lineAt = to;
  };

  /** The name an element gets (eForms: canonical prefixes), checking its prefix is declared. */
  const elementName = (qname: string, ns: Namespaces): string => {
    if (!xmlns) {
      // The same string object for the same name: property keys already known to the engine.
      const known = PLAIN_NAMES.get(qname);
      if (known !== undefined) return known;
      if (PLAIN_NAMES.size > 10_000) PLAIN_NAMES.clear();
      PLAIN_NAMES.set(qname, qname);
      return qname;
    }
    const known = ns.names.get(qname);
    if (known !== undefined) return known;
    const scope = ns.scope;
    const colon = qname.indexOf(':');
    const prefix = colon < 0 ? '' : qname.slice(0, colon);
    const local = colon < 0 ? qname : qname.slice(colon + 1);
    if (prefix === 'xmlns') throw new XmlAnomaly('xmlns prefix');
    const uri = prefix === 'xml' ? XML_NAMESPACE : scope.get(prefix);
    if (uri === undefined) {
      if (prefix !== '') throw new XmlAnomaly('unbound prefix');
    }
    const name = options.renameElement!({ name: qname, prefix, local, uri: uri ?? '', attributes: {}, ns: {}, isSelfClosing: false } as unknown as SaxesTagNS);
    ns.names.set(qname, name);
    return name;
  };

  const openTag = (qname: string, attributes: [string, string][] | null, selfClosing: boolean, start: number, tagEnd: number) => {
    if (rootClosed) throw new XmlAnomaly('second root');
    const parent = stack.length ? stack[stack.length - 1] : null;
    let ns = parent ? parent.ns : rootNs;
    const node: TreeNode = {};
    let hasAttributes = false;
    if (attributes) {
      const seen = attributes.length > 1 ? new Set<string>() : null;
      let declares = false;
      for (const [key, value] of attributes) {
        if (seen) {
          if (seen.has(key)) throw new XmlAnomaly('duplicate attribute');
          seen.add(key);
        }
        if (xmlns && (key === 'xmlns' || key.startsWith('xmlns:'))) {
          const prefix = key === 'xmlns' ? '' : key.slice(6);
          if (prefix === 'xml' || prefix === 'xmlns' || value === XML_NAMESPACE || value === XMLNS_NAMESPACE || (prefix !== '' && value === '')) throw new XmlAnomaly('namespace declaration');
          if (!declares) ns = { scope: new Map(ns.scope), names: ns.names };
          declares = true;
          ns.scope.set(prefix, value);
        }
      }
      if (declares) ns.names = namesFor(options.renameElement, ns.scope);
      const expanded = new Set<string>();
      for (const [key, value] of attributes) {
        if (xmlns && key !== 'xmlns' && !key.startsWith('xmlns:')) {
          const colon = key.indexOf(':');
          if (colon >= 0) {
            const prefix = key.slice(0, colon);
            const uri = prefix === 'xml' ? XML_NAMESPACE : ns.scope.get(prefix);
            if (uri === undefined || prefix === 'xmlns') throw new XmlAnomaly('unbound attribute prefix');
            const full = `${uri}\u0000${key.slice(colon + 1)}`;
            if (expanded.has(full)) throw new XmlAnomaly('duplicate attribute');
            expanded.add(full);
          }
        }
        if (key === 'xmlns' || key.startsWith('xmlns:') || key.startsWith('xsi:')) continue;
        node[`@${key}`] = value;
        hasAttributes = true;
      }
    }
    const frame: FastFrame = {
      name: elementName(qname, ns),
      qname,
      node,
      text: '',
      hasChildren: false,
      hasAttributes,
      start,
      tagEnd,
      holdsRecord: false,
      repeated: null,
      ns,
      hasContent: false,
    };
    if (parent) parent.hasChildren = true;
    stack.push(frame);
    sawRoot = true;
    if (selfClosing) closeTag(qname, tagEnd);
  };

  const closeTag = (qname: string, end: number) => {
    const f = stack.pop();
    if (!f || f.qname !== qname) throw new XmlAnomaly('unexpected end tag');
    // elementValue, without trimming text that is only spaces
    let value: TreeValue;
    if (!f.hasChildren && !f.hasAttributes) value = f.text;
    else {
      const text = f.hasChildren ? (f.hasContent ? f.text.trim() : '') : f.text;
      if (text !== '') f.node['#text'] = text;
      value = f.node;
    }
    if (stack.length === 0) rootClosed = true;
    if (!f.holdsRecord && options.isRecord(f.name, value)) {
      countLines(f.tagEnd);
      queue.push({ ok: true, record: { name: f.name, tree: value, xml: buf.slice(f.start - base, end - base), line, isRoot: stack.length === 0 } });
      records++;
      for (const ancestor of stack) ancestor.holdsRecord = true;
      return;
    }
    const parent = stack.length ? stack[stack.length - 1] : null;
    if (!parent) return;
    addChild(parent.node, f.name, value, (parent.repeated ??= new Set()));
  };

  const addText = (from: number, to: number) => {
    const spaces = onlySpaces(buf, from, to);
    if (stack.length === 0) {
      if (!spaces) throw new XmlAnomaly('text outside the root');
      return;
    }
    const top = stack[stack.length - 1];
    // Spaces after a child and before any text are trimmed away at the end: not kept.
    if (spaces && top.hasChildren && !top.hasContent) return;
    const raw = buf.slice(from, to);
    if (spaces) top.text += raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
    else {
      top.text += textValue(raw);
      top.hasContent = true;
    }
  };

  /** Markup cut by the end of the chunk is waited for; markup that cannot be read is an anomaly. */
  const wait = (at: number): boolean => {
    if (!final && buf.length - at < MARKUP_MAX) return true;
    throw new XmlAnomaly('markup');
  };

  /** Reads the markup and text of buf from pos; returns when more text is needed. */
  const read = () => {
    for (;;) {
      const lt = buf.indexOf('<', pos);
      if (lt < 0) {
        if (final) {
          addText(pos, buf.length);
          pos = buf.length;
        }
        return;
      }
      if (lt > pos) addText(pos, lt);
      pos = lt;
      if (lt + 1 >= buf.length) {
        if (wait(lt)) return;
      }
      const c = buf.charCodeAt(lt + 1);
      if (c === 0x2f) {
        const top = stack.length ? stack[stack.length - 1] : null;
        if (top) {
          const gt = lt + 2 + top.qname.length;
          if (buf.charCodeAt(gt) === 0x3e && buf.slice(lt + 2, gt) === top.qname) {
            pos = gt + 1;
            closeTag(top.qname, base + pos);
            continue;
          }
        }
        END_TAG.lastIndex = lt;
        const m = END_TAG.exec(buf);
        if (!m) {
          if (buf.indexOf('>', lt) < 0 && wait(lt)) return;
          throw new XmlAnomaly('end tag');
        }
        pos = END_TAG.lastIndex;
        closeTag(m[1], base + pos);
      } else if (c === 0x21) {
        if (!final && buf.length - lt < 9) return; // "<!--" or "<![CDATA[" may be cut
        if (buf.startsWith('<!--', lt)) {
          const end = buf.indexOf('-->', lt + 4);
          if (end < 0) {
            if (wait(lt)) return;
          }
          const body = checkChars(buf.slice(lt + 4, end));
          if (body.includes('--') || body.endsWith('-')) throw new XmlAnomaly('comment');
          pos = end + 3;
        } else if (buf.startsWith('<![CDATA[', lt)) {
          if (stack.length === 0) throw new XmlAnomaly('CDATA outside the root');
          const end = buf.indexOf(']]>', lt + 9);
          if (end < 0) {
            if (wait(lt)) return;
          }
          const raw = checkChars(buf.slice(lt + 9, end));
          const top = stack[stack.length - 1];
          top.text += raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
          if (!onlySpaces(raw, 0, raw.length)) top.hasContent = true;
          pos = end + 3;
        } else throw new XmlAnomaly('declaration');
      } else if (c === 0x3f) {
        if (base + lt !== 0) throw new XmlAnomaly('processing instruction');
        XML_DECLARATION.lastIndex = lt;
        if (!XML_DECLARATION.exec(buf)) {
          if (buf.indexOf('?>', lt) < 0 && wait(lt)) return;
          throw new XmlAnomaly('XML declaration');
        }
        pos = XML_DECLARATION.lastIndex;
      } else {
        // <name (space+ name space* = space* "value")* space* /?>
        const nameAt = nameEnd(buf, lt + 1);
        let at = nameAt;
        let attributes: [string, string][] | null = null;
        let selfClosing = false;
        let complete = false;
        while (at >= 0) {
          let spaced = false;
          while (at < buf.length && isSpace(buf.charCodeAt(at))) [at, spaced] = [at + 1, true];
          if (at >= buf.length) break;
          const ch = buf.charCodeAt(at);
          if (ch === 0x3e) {
            at++;
            complete = true;
            break;
          }
          if (ch === 0x2f) {
            if (at + 1 >= buf.length) break;
            if (buf.charCodeAt(at + 1) !== 0x3e) throw new XmlAnomaly('start tag');
            at += 2;
            selfClosing = complete = true;
            break;
          }
          if (!spaced) throw new XmlAnomaly('start tag');
          const keyEnd = nameEnd(buf, at);
          if (keyEnd === -1) throw new XmlAnomaly('attribute name');
          if (keyEnd === -2) break;
          const key = buf.slice(at, keyEnd);
          at = keyEnd;
          while (at < buf.length && isSpace(buf.charCodeAt(at))) at++;
          if (at >= buf.length) break;
          if (buf.charCodeAt(at) !== 0x3d) throw new XmlAnomaly('attribute without value');
          at++;
          while (at < buf.length && isSpace(buf.charCodeAt(at))) at++;
          if (at >= buf.length) break;
          const quote = buf.charCodeAt(at);
          if (quote !== 0x22 && quote !== 0x27) throw new XmlAnomaly('unquoted attribute');
          const close = buf.indexOf(quote === 0x22 ? '"' : "'", at + 1);
          if (close < 0) break;
          const raw = buf.slice(at + 1, close);
          if (raw.includes('<')) throw new XmlAnomaly('< in an attribute');
          (attributes ??= []).push([key, attributeValue(raw)]);
          at = close + 1;
        }
        if (nameAt === -1) throw new XmlAnomaly('tag name');
        if (!complete) {
          if (wait(lt)) return;
        }
        pos = at;
        openTag(buf.slice(lt + 1, nameAt), attributes, selfClosing, base + lt, base + at);
      }
    }
  };

  /** Drops the text no open notice can need any more (lines are counted first). */
  const trim = () => {
    const candidate = stack.find((f) => !f.holdsRecord);
    const keepFrom = Math.min(candidate ? candidate.start : base + pos, base + pos);
    if (keepFrom > base) {
      if (!rootClosed) countLines(keepFrom); // no record can come after the root
      buf = buf.slice(keepFrom - base);
      pos -= keepFrom - base;
      base = keepFrom;
    }
  };

  return {
    push(text: string): XmlItem[] {
      buf += text;
      read();
      const out = queue.splice(0);
      trim();
      return out;
    },
    end(): XmlItem[] {
      final = true;
      read();
      if (stack.length || !sawRoot || records === 0) throw new XmlAnomaly('unclosed, empty or without notice');
      return queue.splice(0);
    },
  };
}

async function* fastXmlRecords(file: string, options: XmlReadOptions): AsyncGenerator<XmlItem> {
  const reader = fastXmlReader(options);
  for await (const text of decodedChunks(file)) yield* reader.push(text);
  yield* reader.end();
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
  for (const key of keys) {
    const next: TreeValue[] = [];
    for (const x of current) {
      if (!isNode(x)) continue;
      const child = x[key];
      if (Array.isArray(child)) for (const item of child) next.push(item);
      else if (child !== undefined && child !== null) next.push(child);
    }
    current = next;
  }
  return current;
}

function firstFrom(values: TreeValue[], keys: string[], from: number): TreeValue | undefined {
  if (from === keys.length) return values[0];
  for (const x of values) {
    if (!isNode(x)) continue;
    const found = firstFrom(all(x[keys[from]]), keys, from + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The first value reached by following `keys` (undefined when nothing is there). */
export const firstAt = (v: TreeValue | undefined, ...keys: string[]): TreeValue | undefined => firstFrom(all(v), keys, 0);

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
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (iso) return calendarDay(iso[1], iso[2], iso[3]);
  const fr = /^(\d{2})\/(\d{2})\/(\d{4})/.exec(s);
  return fr ? calendarDay(fr[3], fr[2], fr[1]) : null;
}

/** "YYYY-MM-DD" when the three numbers make a day of the calendar, else null (not 2017-02-30 nor 2024-13-01). */
export function calendarDay(year: string, month: string, day: string): string | null {
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const same = date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
  return same ? `${year}-${month}-${day}` : null;
}

/**
 * A deadline: a full ISO timestamp when a time is known ("2023-05-22" + "20:59:32+01:00" →
 * "2023-05-22T20:59:32+01:00"; "2017-02-07T12:00:00+01:00" as is), else the day.
 */
export function isoDeadline(date: TreeValue | undefined, time?: TreeValue | undefined): string | null {
  if (typeof date === 'number' && date > 1e11) return new Date(date).toISOString();
  const s = textOf(date);
  if (!s) return null;
  // A whole timestamp is kept as written when its day and time exist (not "2026-09-31T12:00", nor "T25:00").
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s)) return isoDay(s) && /^.{10}T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?$/.test(s) ? s : null;
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
