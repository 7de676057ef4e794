// Editing API: PATCH /api/v1/structures/{id} (profile), PUT and DELETE /api/v1/structures/{id}/logo.
// Access 'api': a signed-in person (with the CSRF header) or an API token with the write scope of the
// structure's organisation (or of a facilitator of its territory); the service checks who may edit.
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { type ZodTypeProvider, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../core/config.ts';
import { LOGO_MAX_BYTES } from '../../core/images.ts';
import type { Platform } from '../../core/platform.ts';
import { EditInputSchema, type EditResult, editStructure, removeLogo, setLogo } from './editing.ts';
import { ErrorSchema, StructureSchema } from './schemas.ts';

/**
 * Multipart for logo uploads, registered only in the scopes of the upload routes. One file, cut one byte
 * past 2 MB (processLogo then answers UPLOAD_TOO_LARGE in French); fields are attached to the body as values
 * (files as Buffers) before the CSRF check reads `_csrf`.
 */
export const LOGO_MULTIPART = {
  attachFieldsToBody: 'keyValues' as const,
  throwFileSizeLimit: false,
  limits: { fileSize: LOGO_MAX_BYTES + 1, files: 1, fields: 20, fieldSize: 10_000, parts: 25 },
};

/** The first file of a multipart body (field `logo` by convention). */
export function uploadedFile(body: unknown): Buffer | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as Record<string, unknown>;
  if (Buffer.isBuffer(b.logo)) return b.logo;
  for (const v of Object.values(b)) if (Buffer.isBuffer(v)) return v;
  return null;
}

export const CompletionSchema = z
  .object({
    score: z.number().int().min(0).max(100),
    missing: z.array(z.object({ key: z.string(), label: z.string(), href: z.string().describe('Page et champ à compléter'), points: z.number() })),
  })
  .describe('Complétude de la fiche (0 à 100) et ce qui manque');

const EditResponseSchema = StructureSchema.extend({
  logoUrl: z.string().nullable(),
  editedAt: z.string().nullable(),
  completion: CompletionSchema,
  changed: z.array(z.string()).describe('Champs modifiés par cette requête'),
});

export const logoUrl = (config: Config, logoPath: string | null) => (logoPath ? `${config.publicUrl}/uploads/${logoPath}` : null);

function editResponse(config: Config, r: EditResult) {
  return { ...r.structure, logoUrl: logoUrl(config, r.structure.logoPath), completion: r.completion, changed: r.changed };
}

// The body is validated by the service, which answers 422 with a French message per field; the schema
// only documents it (OpenAPI).
// One compiler for routes with different schemas (any).
const bodyByService: FastifySchemaCompiler<any> = (route) =>
  route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : (validatorCompiler(route as never) as never);

const Params = z.object({ id: z.string().max(200) });

export async function editingRoutes(app: FastifyInstance, p: Platform): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.patch(
    '/api/v1/structures/:id',
    {
      config: { access: 'api' },
      validatorCompiler: bodyByService,
      schema: {
        tags: ['Annuaire'],
        summary: 'Modifier la fiche d’une structure',
        description:
          'Pour les membres de la structure (session, ou jeton d’API de l’organisation de la structure avec la portée écriture), un facilitateur de son territoire ou l’équipe de la plateforme. ' +
          'Les champs absents ne changent pas ; `activities` remplace toutes les activités. Le SIRET, le type et la raison sociale viennent d’une source officielle : ' +
          'seuls un facilitateur du territoire ou l’équipe de la plateforme les corrigent, avec un motif (`reason`). Les champs modifiés ne sont plus écrasés par les imports. ' +
          'La réponse donne la fiche et sa complétude (`completion`). Erreurs de saisie : 422 `VALIDATION_FAILED`, `details.fields` donne un message par champ.',
        params: Params,
        body: EditInputSchema,
        response: { 200: EditResponseSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema },
      },
    },
    async (req) => editResponse(p.config, await editStructure(p, req.actor, req.params.id, req.body)),
  );

  r.delete(
    '/api/v1/structures/:id/logo',
    {
      config: { access: 'api' },
      schema: {
        tags: ['Annuaire'],
        summary: 'Retirer le logo d’une structure',
        params: Params,
        response: { 200: EditResponseSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (req) => editResponse(p.config, await removeLogo(p, req.actor, req.params.id)),
  );

  // Uploads: multipart only in this scope.
  await app.register(async (scope) => {
    await scope.register(fastifyMultipart, LOGO_MULTIPART);
    scope.withTypeProvider<ZodTypeProvider>().put(
      '/api/v1/structures/:id/logo',
      {
        config: { access: 'api' },
        validatorCompiler: bodyByService,
        schema: {
          tags: ['Annuaire'],
          summary: 'Envoyer le logo d’une structure',
          description:
            'Formulaire `multipart/form-data` avec un fichier dans le champ `logo` : PNG, JPEG ou WebP, 2 Mo au plus, reconnu par son contenu. ' +
            'Il est redimensionné (400 × 400 au plus), réencodé en WebP sans métadonnées et remplace le logo précédent. ' +
            'Erreurs : 415 `UPLOAD_NOT_AN_IMAGE`, 413 `UPLOAD_TOO_LARGE`, 422 `UPLOAD_UNREADABLE` ou `UPLOAD_MISSING`.',
          consumes: ['multipart/form-data'],
          params: Params,
          body: z.object({ logo: z.any().meta({ type: 'string', format: 'binary', description: 'Le fichier image' }) }),
          response: { 200: EditResponseSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema, 422: ErrorSchema },
        },
      },
      async (req) => editResponse(p.config, await setLogo(p, req.actor, req.params.id, uploadedFile(req.body))),
    );
  });
}
