// Expected errors are values with a stable code, a French message and a status.
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (message = 'Ressource introuvable.') => new AppError('NOT_FOUND', message, 404);
export const badRequest = (code: string, message: string, details?: unknown) => new AppError(code, message, 400, details);
