import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { LOGO_MAX_BYTES, processLogo, sniffImageType } from './images.ts';

const canvas = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: channels === 4 ? { r: 0, g: 0, b: 145, alpha: 0.5 } : '#000091' } });

/** The AppError `processLogo` rejects with, as [code, status]. */
async function refusal(data: Buffer): Promise<[string, number]> {
  try {
    await processLogo(data);
  } catch (e) {
    if (e instanceof AppError) return [e.code, e.status];
    throw e;
  }
  throw new Error('the image was accepted');
}

describe('processLogo', () => {
  it('shrinks a 1000×500 PNG to fit in 400×400 and re-encodes it as WebP', async () => {
    const out = await processLogo(await canvas(1000, 500).png().toBuffer());
    expect(out).toMatchObject({ ext: 'webp', contentType: 'image/webp', width: 400, height: 200 });
    const meta = await sharp(out.data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 400, 200]);
  });
  it('never enlarges a small image, and keeps transparency', async () => {
    const out = await processLogo(await canvas(120, 80, 4).png().toBuffer());
    expect([out.width, out.height]).toEqual([120, 80]);
    expect((await sharp(out.data).metadata()).hasAlpha).toBe(true);
  });
  it('accepts JPEG and WebP', async () => {
    expect(await processLogo(await canvas(800, 800).jpeg().toBuffer())).toMatchObject({ width: 400, height: 400, ext: 'webp' });
    expect(await processLogo(await canvas(300, 900).webp().toBuffer())).toMatchObject({ width: 133, height: 400, ext: 'webp' });
  });
  it('turns a photo upright from its EXIF orientation and strips EXIF and GPS', async () => {
    const jpeg = await canvas(600, 300)
      .jpeg()
      .withExif({ IFD0: { Make: 'PhoneCam', Copyright: 'Camille Martin' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '50/1 37/1 0/1' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const before = await sharp(jpeg).metadata();
    expect(before.orientation).toBe(6);
    expect(before.exif?.includes('PhoneCam')).toBe(true);

    const out = await processLogo(jpeg);
    // 600×300 rotated a quarter turn is 300×600, which fits in 400×400 as 200×400.
    expect([out.width, out.height]).toEqual([200, 400]);
    const after = await sharp(out.data).metadata();
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect(out.data.includes('PhoneCam')).toBe(false);
    expect(out.data.includes('Camille Martin')).toBe(false);
  });
  it('refuses a text file named logo.png', async () => {
    const r = await refusal(Buffer.from('Bonjour, ceci est un fichier texte renommé logo.png\n'));
    expect(r).toEqual(['UPLOAD_NOT_AN_IMAGE', 415]);
    await expect(processLogo(Buffer.from('hello'))).rejects.toThrow('Le fichier n’est pas une image PNG, JPEG ou WebP.');
  });
  it('refuses an empty file, a GIF, a PDF and an SVG', async () => {
    expect(await refusal(Buffer.alloc(0))).toEqual(['UPLOAD_NOT_AN_IMAGE', 415]);
    expect(await refusal(await canvas(50, 50).gif().toBuffer())).toEqual(['UPLOAD_NOT_AN_IMAGE', 415]);
    expect(await refusal(Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n'))).toEqual(['UPLOAD_NOT_AN_IMAGE', 415]);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>');
    expect(await refusal(svg)).toEqual(['UPLOAD_NOT_AN_IMAGE', 415]);
  });
  it('refuses a truncated PNG or JPEG, and garbage behind a PNG signature', async () => {
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
    expect(await refusal(png.subarray(0, Math.floor(png.length / 2)))).toEqual(['UPLOAD_UNREADABLE', 422]);
    const jpeg = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
    expect(await refusal(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)))).toEqual(['UPLOAD_UNREADABLE', 422]);
    expect(await refusal(Buffer.concat([png.subarray(0, 8), Buffer.from('not really a png at all')]))).toEqual(['UPLOAD_UNREADABLE', 422]);
    expect(await refusal(Buffer.from('RIFF\0\0\0\0WEBPVP8 garbage'))).toEqual(['UPLOAD_UNREADABLE', 422]);
  });
  it('refuses more than 2 MB before decoding anything', async () => {
    const png = await canvas(10, 10).png().toBuffer();
    const big = Buffer.concat([png, Buffer.alloc(LOGO_MAX_BYTES + 1 - png.length)]);
    expect(big.length).toBe(2 * 1024 * 1024 + 1);
    expect(await refusal(big)).toEqual(['UPLOAD_TOO_LARGE', 413]);
    await expect(processLogo(big)).rejects.toThrow('Le logo dépasse 2 Mo.');
  });
  it('refuses a decompression bomb: a small file declaring 10000×10000 pixels', async () => {
    const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: '#ffffff' } }).png({ compressionLevel: 9 }).toBuffer();
    expect(bomb.length).toBeLessThan(LOGO_MAX_BYTES);
    expect(await refusal(bomb)).toEqual(['UPLOAD_TOO_MANY_PIXELS', 422]);
  });
});

describe('sniffImageType', () => {
  it('reads the magic bytes, not the name', async () => {
    expect(sniffImageType(await canvas(4, 4).png().toBuffer())).toBe('png');
    expect(sniffImageType(await canvas(4, 4).jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImageType(await canvas(4, 4).webp().toBuffer())).toBe('webp');
    expect(sniffImageType(await canvas(4, 4).gif().toBuffer())).toBeNull();
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
    expect(sniffImageType(Buffer.from([0x89, 0x50]))).toBeNull();
  });
});
