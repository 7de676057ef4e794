// The fast path of the JSON readers (BOAMP open data, DECP): the text of a file, decoded chunk by chunk,
// is split at the values that matter (records) with native regular expressions, and each record goes to
// JSON.parse. Nothing else is built, so a large file streams at the speed of JSON.parse.
//
// The fast path only reads text it fully understands. At the first thing it does not expect (invalid
// UTF-8, a syntax error, a literal JSON does not allow such as NaN, the end of the file inside a value…)
// it throws JsonAnomaly, and the reader goes back to its careful path (stream-json), which reads the file
// again from the start, skips the records already given and says what is wrong and where, as before.
import fs from 'node:fs';

/** Something the fast path does not read: the careful path takes over. */
export class JsonAnomaly extends Error {}

/** JSON whitespace. */
const WS = /[ \t\n\r]*/y;
/** The rest of a string after its opening quote, closing quote included. */
const STRING_REST = /[^"\\]*(?:\\[\s\S][^"\\]*)*"/y;
/** Up to the next bracket inside an object or an array, strings skipped; the bracket is group 1. */
const TO_BRACKET = /[^"{}[\]]*(?:"[^"\\]*(?:\\[\s\S][^"\\]*)*"[^"{}[\]]*)*([{}[\]])/y;
/** Longest line tried as one record. */
const LINE_MAX = 1 << 22;
/** A number or a literal. */
const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** A sticky expression run at `at`: its match or null (its lastIndex is then the end of the match). */
function matchAt(re: RegExp, buf: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  try {
    return re.exec(buf);
  } catch {
    throw new JsonAnomaly('value too complex for the fast path'); // the regular expression's stack
  }
}

/**
 * Text being read: what has been decoded and not yet consumed (`buf`), and where reading is (`pos`).
 * `final`: no more text will come.
 */
export class JsonText {
  buf = '';
  pos = 0;
  final = false;
  /** Value being delimited: its start, where the scan stopped, and its depth. */
  private valueStart = -1;
  private scanAt = 0;
  private depth = 0;

  /** Adds decoded text, dropping what has been consumed (a value being delimited is kept). */
  append(text: string): void {
    const keep = this.valueStart >= 0 ? this.valueStart : this.pos;
    if (keep > 0) {
      this.buf = this.buf.slice(keep);
      this.pos -= keep;
      if (this.valueStart >= 0) {
        this.valueStart -= keep;
        this.scanAt -= keep;
      }
    }
    this.buf += text;
  }

  /** Skips whitespace; the next character, or '' when more text is needed (at the end: when there is none). */
  peek(): string {
    WS.lastIndex = this.pos;
    WS.exec(this.buf);
    this.pos = WS.lastIndex;
    return this.pos < this.buf.length ? this.buf[this.pos] : '';
  }

  /** Consumes the next character, which must be `c` (after whitespace); false when more text is needed. */
  expect(c: string): boolean {
    const next = this.peek();
    if (next === '') return false;
    if (next !== c) throw new JsonAnomaly(`expected ${c}`);
    this.pos++;
    return true;
  }

  /**
   * Delimits the value starting at `pos` (after whitespace) and consumes it: [start, end) in `buf`, or null
   * when more text is needed. Resumes where it stopped. The value is not checked: JSON.parse will.
   */
  value(): [number, number] | null {
    const buf = this.buf;
    if (this.valueStart < 0) {
      if (this.peek() === '') return null;
      this.valueStart = this.scanAt = this.pos;
      this.depth = 0;
      const c = buf[this.pos];
      if (c === '"') {
        if (!matchAt(STRING_REST, buf, this.pos + 1)) return this.more();
        return this.done(STRING_REST.lastIndex);
      }
      if (c !== '{' && c !== '[') {
        const m = matchAt(SCALAR, buf, this.pos);
        const end = m ? SCALAR.lastIndex : -1;
        // A scalar that touches the end of the text may go on in the next chunk.
        if (!this.final && (end === buf.length || (end < 0 && buf.length - this.pos < 8))) return this.more();
        if (end < 0) throw new JsonAnomaly('unexpected character');
        return this.done(end);
      }
      this.depth = 1;
      this.scanAt = this.pos + 1;
    } else if (buf[this.valueStart] === '"') {
      if (!matchAt(STRING_REST, buf, this.valueStart + 1)) return this.more();
      return this.done(STRING_REST.lastIndex);
    } else if (buf[this.valueStart] !== '{' && buf[this.valueStart] !== '[') {
      this.valueStart = -1;
      return this.value();
    }
    for (;;) {
      const m = matchAt(TO_BRACKET, buf, this.scanAt);
      if (!m) return this.more(); // read again from the last bracket with more text
      this.scanAt = TO_BRACKET.lastIndex;
      const c = m[1];
      if (c === '{' || c === '[') this.depth++;
      else if (--this.depth === 0) return this.done(this.scanAt);
    }
  }

  /** Records read at once as their line (see parsedValue), and lines that were not a record. */
  private lineHits = 0;
  private lineMisses = 0;

  /**
   * The next value (after whitespace), parsed and consumed; null when more text is needed. An object or an
   * array alone on its line (the way exports write records, a comma after it or not) is parsed as that
   * line without being delimited first: if JSON.parse takes the line, the line is exactly the value.
   * When lines keep not being values (pretty-printed or single-line files), the files are delimited.
   */
  parsedValue(): { value: unknown } | null {
    if (this.valueStart < 0 && (this.lineMisses < 16 || this.lineHits > this.lineMisses)) {
      const c = this.peek();
      if (c === '') return null;
      if (c === '{' || c === '[') {
        const buf = this.buf;
        const newline = buf.indexOf('\n', this.pos);
        // The line goes on in the next chunk: wait for it (unless it is too long to be a record's).
        if (newline < 0 && !this.final && buf.length - this.pos < LINE_MAX) return null;
        if (newline > 0 && newline - this.pos < LINE_MAX) {
          let end = newline;
          while (end > this.pos && (buf.charCodeAt(end - 1) === 0x0d || buf.charCodeAt(end - 1) === 0x20 || buf.charCodeAt(end - 1) === 0x09)) end--;
          if (buf.charCodeAt(end - 1) === 0x2c) end--;
          try {
            const value = JSON.parse(buf.slice(this.pos, end));
            this.pos = end;
            this.lineHits++;
            return { value };
          } catch {
            this.lineMisses++;
          }
        }
      }
    }
    const span = this.value();
    return span ? { value: this.parse(span) } : null;
  }

  /** The value just delimited, parsed. */
  parse([start, end]: [number, number]): unknown {
    try {
      return JSON.parse(this.buf.slice(start, end));
    } catch {
      throw new JsonAnomaly('invalid value');
    }
  }

  private more(): null {
    if (this.final) throw new JsonAnomaly('end of text inside a value');
    return null;
  }

  private done(end: number): [number, number] {
    const start = this.valueStart;
    this.valueStart = -1;
    this.pos = end;
    return [start, end];
  }
}

/**
 * The text of a file, decoded as strict UTF-8 chunk by chunk (a byte-order mark at the start is dropped);
 * an invalid byte or a read error throws JsonAnomaly.
 */
export async function* strictUtf8Chunks(file: string, highWaterMark = 256 * 1024): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const source = fs.createReadStream(file, { highWaterMark });
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new JsonAnomaly('invalid UTF-8');
      }
      if (text) yield text;
    }
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      throw new JsonAnomaly('invalid UTF-8');
    }
    if (rest) yield rest;
  } catch (err) {
    throw err instanceof JsonAnomaly ? err : new JsonAnomaly((err as Error).message);
  } finally {
    source.destroy();
  }
}
