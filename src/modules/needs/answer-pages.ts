// Placeholder: filled in by the work on issue 4.
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../core/platform.ts';

export async function needAnswerPages(_app: FastifyInstance, _p: Platform): Promise<void> {}
