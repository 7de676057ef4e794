import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from './http.ts';
import type { Platform } from './platform.ts';
import { removeUpload, saveUpload, uploadFilePath, uploadRoutes } from './uploads.ts';

let root: string;
let config: { uploadDir: string };

beforeAll(async () => {
  root = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'passerelles-uploads-'));
  config = { uploadDir: path.join(root, 'uploads') };
});
afterAll(async () => {
  await fs.promises.rm(root, { recursive: true, force: true });
});

const NAME = '0123456789abcdef0123456789abcdef';

describe('saveUpload, uploadFilePath, removeUpload', () => {
  it('writes under a random name, creating folders, and returns the relative path', async () => {
    const rel = await saveUpload(config, 'logos', Buffer.from('pixels'), 'webp');
    expect(rel).toMatch(/^logos\/[0-9a-f]{32}\.webp$/);
    const full = uploadFilePath(config, rel);
    expect(full).toBe(path.join(config.uploadDir, rel));
    expect(await fs.promises.readFile(full!, 'utf8')).toBe('pixels');
    const other = await saveUpload(config, 'logos', Buffer.from('pixels'), 'webp');
    expect(other).not.toBe(rel);
    // No temporary file is left behind.
    expect((await fs.promises.readdir(path.join(config.uploadDir, 'logos'))).sort()).toEqual([rel, other].map((r) => r.slice(6)).sort());
  });
  it('refuses an extension it would never serve', async () => {
    await expect(saveUpload(config, 'logos', Buffer.from('<svg/>'), 'svg')).rejects.toThrow();
    await expect(saveUpload(config, 'logos', Buffer.from('x'), 'webp/../../x')).rejects.toThrow();
    await expect(saveUpload(config, '../etc' as 'logos', Buffer.from('x'), 'png')).rejects.toThrow();
  });
  it('resolves only names it makes', () => {
    expect(uploadFilePath(config, `logos/${NAME}.png`)).toBe(path.join(config.uploadDir, 'logos', `${NAME}.png`));
    expect(uploadFilePath(config, `logos/${NAME}.jpg`)).not.toBeNull();
    for (const bad of [
      '',
      '../secret.txt',
      `../logos/${NAME}.png`,
      `logos/../${NAME}.png`,
      `logos/../../${NAME}.png`,
      `/etc/passwd`,
      `/logos/${NAME}.png`,
      path.join(config.uploadDir, `logos/${NAME}.png`),
      `%2e%2e/%2e%2e/etc/passwd`,
      `logos/%2e%2e%2f${NAME}.png`,
      `..%2f..%2f${NAME}.png`,
      `logos\\..\\${NAME}.png`,
      `logos/${NAME}.svg`,
      `logos/${NAME}.PNG`,
      `logos/${NAME.toUpperCase()}.png`,
      `logos/${NAME.slice(1)}.png`,
      `logos/${NAME}.png/`,
      `logos/${NAME}.png\0.txt`,
      `logos/${NAME}.png\n`,
      `Logos/${NAME}.png`,
      `logos/sub/${NAME}.png`,
      `./logos/${NAME}.png`,
    ]) {
      expect(uploadFilePath(config, bad), bad).toBeNull();
    }
  });
  it('removes a file, ignores a missing one, and refuses paths that escape the folder', async () => {
    const rel = await saveUpload(config, 'logos', Buffer.from('x'), 'png');
    expect(await removeUpload(config, rel)).toBe(true);
    expect(fs.existsSync(path.join(config.uploadDir, rel))).toBe(false);
    expect(await removeUpload(config, rel)).toBe(false);

    const outside = path.join(root, 'precious.png');
    await fs.promises.writeFile(outside, 'keep me');
    await expect(removeUpload(config, '../precious.png')).rejects.toThrow();
    await expect(removeUpload(config, outside)).rejects.toThrow();
    expect(await fs.promises.readFile(outside, 'utf8')).toBe('keep me');
  });
});

describe('GET /uploads/:folder/:file', () => {
  let app: FastifyInstance;
  let rel: string;
  const bytes = Buffer.from('RIFF\x10\0\0\0WEBPVP8 fake image bytes', 'latin1');

  beforeAll(async () => {
    app = Fastify();
    installErrorHandling(app, (status, body) => `<!doctype html><title>${status}</title><p>${body.error.message}</p>`);
    await uploadRoutes(app, { config } as unknown as Platform);
    await app.ready();
    rel = await saveUpload(config, 'logos', bytes, 'webp');
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves the file with its type, a day of cache and nosniff', async () => {
    const res = await app.inject({ method: 'GET', url: `/uploads/${rel}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    expect(res.headers['cache-control']).toBe('public, max-age=86400');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(Number(res.headers['content-length'])).toBe(bytes.length);
    expect(res.rawPayload.equals(bytes)).toBe(true);
  });
  it('answers HEAD without a body', async () => {
    const res = await app.inject({ method: 'HEAD', url: `/uploads/${rel}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    expect(res.payload).toBe('');
  });
  it('answers 404 « Fichier introuvable. » for a missing file or a name it never makes', async () => {
    for (const url of [
      `/uploads/logos/${NAME}.webp`,
      `/uploads/logos/${rel.slice(6, 38)}.png`,
      `/uploads/logos/${rel.slice(6).toUpperCase()}`,
      `/uploads/logos/${rel.slice(6)}.txt`,
      `/uploads/other/${rel.slice(6)}`,
      `/uploads/logos/..%2f..%2f..%2fetc%2fpasswd`,
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.payload, url).toContain('Fichier introuvable.');
    }
  });
  it('never reaches outside the upload folder', async () => {
    for (const url of [
      '/uploads/../../etc/passwd',
      '/uploads/logos/../../../etc/passwd',
      '/uploads/%2e%2e/%2e%2e/etc/passwd',
      `/uploads/%2e%2e/${rel.slice(6)}`,
      `/uploads/logos/%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
      `/uploads/logos%2f..%2f..%2fetc/passwd`,
      `/uploads/logos/%2e%2e`,
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.payload, url).not.toContain('root:');
    }
  });
});
