// Small helpers every page module uses to answer and to read the address.
import type { FastifyReply } from 'fastify';

/** Sends a rendered page. */
export const sendHtml = (reply: FastifyReply, body: string, status = 200) => reply.status(status).type('text/html; charset=utf-8').send(body);

/** The first value of a query or form field that may be repeated. */
export const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
