// Uploaded images: checked by content, decoded with limits, re-encoded small and without metadata.
import sharp, { type Metadata } from 'sharp';
import { AppError } from './errors.ts';

// Each logo is decoded once: libvips' operation cache would only hold memory.
sharp.cache(false);

export const LOGO_MAX_BYTES = 2 * 1024 * 1024;
/** Decompression bombs: a small file can declare an enormous canvas. 40 megapixels is above any camera photo. */
export const LOGO_MAX_PIXELS = 40_000_000;
/** The processed logo fits in this square (never enlarged). */
export const LOGO_MAX_SIDE = 400;

export type ImageKind = 'png' | 'jpeg' | 'webp';

export interface ProcessedImage {
  data: Buffer;
  ext: 'png' | 'webp';
  width: number;
  height: number;
  contentType: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The image type announced by the file's first bytes (whatever its name or declared type), or null. */
export function sniffImageType(data: Buffer): ImageKind | null {
  if (data.length >= 8 && data.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

const notAnImage = () => new AppError('UPLOAD_NOT_AN_IMAGE', 'Le fichier n’est pas une image PNG, JPEG ou WebP.', 415);
const unreadable = () => new AppError('UPLOAD_UNREADABLE', 'L’image est illisible ou incomplète : enregistrez-la de nouveau puis réessayez.', 422);
const tooManyPixels = () =>
  new AppError('UPLOAD_TOO_MANY_PIXELS', 'L’image est trop grande : 40 millions de pixels au plus (par exemple 8 000 × 5 000).', 422, {
    maxPixels: LOGO_MAX_PIXELS,
  });

const isPixelLimitError = (e: unknown) => e instanceof Error && /pixel limit/i.test(e.message);

/**
 * A structure's logo: PNG, JPEG or WebP of at most 2 MB, recognised by its content (magic bytes, then the
 * decoder must agree). The result fits in 400 × 400 (never enlarged), is turned upright according to its
 * EXIF orientation, carries no metadata at all (EXIF, GPS, XMP, ICC: converted to sRGB) and is re-encoded
 * as WebP, so nothing of the uploaded file but its pixels is ever served. Animated images keep their
 * first frame.
 */
export async function processLogo(data: Buffer): Promise<ProcessedImage> {
  if (!Buffer.isBuffer(data) || data.length === 0) throw notAnImage();
  if (data.length > LOGO_MAX_BYTES) throw new AppError('UPLOAD_TOO_LARGE', 'Le logo dépasse 2 Mo.', 413, { maxBytes: LOGO_MAX_BYTES });
  const kind = sniffImageType(data);
  if (!kind) throw notAnImage();

  // 'error' refuses truncated and corrupt files but tolerates the harmless warnings of many phone photos.
  const input = { failOn: 'error', limitInputPixels: LOGO_MAX_PIXELS } as const;

  // Header only: the decoder must recognise the same format, and the canvas must be reasonable.
  let meta: Metadata;
  try {
    meta = await sharp(data, { ...input, limitInputPixels: false }).metadata();
  } catch {
    throw unreadable();
  }
  if (meta.format !== kind) throw notAnImage();
  if (!meta.width || !meta.height) throw unreadable();
  if (meta.width * meta.height > LOGO_MAX_PIXELS) throw tooManyPixels();

  try {
    const { data: out, info } = await sharp(data, input)
      .rotate()
      .resize(LOGO_MAX_SIDE, LOGO_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      // smartSubsample keeps thin coloured lines and lettering sharp, which logos are made of.
      .webp({ quality: 85, alphaQuality: 100, smartSubsample: true })
      .toBuffer({ resolveWithObject: true });
    return { data: out, ext: 'webp', width: info.width, height: info.height, contentType: 'image/webp' };
  } catch (e) {
    throw isPixelLimitError(e) ? tooManyPixels() : unreadable();
  }
}
