// Import files must be UTF-8: a pass-through stream that checks every byte and stops at the first
// invalid sequence, telling where it is (byte offset and line), so a person can find it.
// The rules are those of RFC 3629 (shortest form, no surrogates, nothing above U+10FFFF).
import fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../../core/errors.ts';

export class Utf8Validator extends Transform {
  /** Continuation bytes still expected in the current sequence. */
  private need = 0;
  /** Allowed range of the next continuation byte (narrower after E0, ED, F0, F4). */
  private lo = 0x80;
  private hi = 0xbf;
  private offset = 0;
  private line = 1;
  private seqOffset = 0;
  private seqLine = 1;
  private seqByte = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.offset === 0 && chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))) {
      callback(
        new AppError('BAD_ENCODING', 'Le fichier est encodé en UTF-16 : enregistrez-le en UTF-8 (dans un tableur : « CSV UTF-8 »).', 400, {
          offset: 0,
          line: 1,
        }),
      );
      return;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.need > 0) {
        if (b < this.lo || b > this.hi) {
          callback(this.error(this.seqOffset, this.seqLine, this.seqByte));
          return;
        }
        this.lo = 0x80;
        this.hi = 0xbf;
        this.need--;
      } else if (b < 0x80) {
        if (b === 0x0a) this.line++;
      } else {
        this.seqOffset = this.offset + i;
        this.seqLine = this.line;
        this.seqByte = b;
        if (b >= 0xc2 && b <= 0xdf) this.need = 1;
        else if (b === 0xe0) [this.need, this.lo] = [2, 0xa0];
        else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) this.need = 2;
        else if (b === 0xed) [this.need, this.hi] = [2, 0x9f];
        else if (b === 0xf0) [this.need, this.lo] = [3, 0x90];
        else if (b >= 0xf1 && b <= 0xf3) this.need = 3;
        else if (b === 0xf4) [this.need, this.hi] = [3, 0x8f];
        else {
          callback(this.error(this.seqOffset, this.seqLine, b));
          return;
        }
      }
    }
    this.offset += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.need > 0) callback(this.error(this.seqOffset, this.seqLine));
    else callback();
  }

  private error(offset: number, line: number, byte?: number): AppError {
    const hex = byte === undefined ? '' : `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    const what = byte === undefined ? 'séquence incomplète en fin de fichier' : `octet ${hex} invalide`;
    return new AppError(
      'BAD_ENCODING',
      `Le fichier n’est pas encodé en UTF-8 (${what} à la position ${offset}, ligne ${line}). ` +
        'Enregistrez-le en UTF-8 (dans un tableur : « CSV UTF-8 ») puis recommencez.',
      400,
      { offset, line, byte: hex || undefined },
    );
  }
}

/** A file as a stream of bytes, checked as UTF-8 on the way. */
export function openUtf8(file: string): Transform {
  const source = fs.createReadStream(file);
  const validator = new Utf8Validator();
  source.on('error', (err) => validator.destroy(err));
  return source.pipe(validator);
}

/** The first bytes of a file as text (to sniff its shape: JSON lines or not, CSV separator). */
export async function readHead(file: string, bytes = 1 << 20): Promise<{ text: string; complete: boolean }> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    const size = (await fh.stat()).size;
    return { text: buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, ''), complete: bytesRead >= size };
  } finally {
    await fh.close();
  }
}
