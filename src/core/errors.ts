/** Errors the colony raises on bad input; transports map `code` to their own status codes. */
export type PhagoErrorCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION';

export class PhagoError extends Error {
  constructor(
    readonly code: PhagoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PhagoError';
  }
}

export const invalid = (msg: string) => new PhagoError('INVALID_ARGUMENT', msg);
export const notFound = (msg: string) => new PhagoError('NOT_FOUND', msg);
