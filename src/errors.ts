/**
 * One error base with a stable `code`; whether a failure is worth retrying is decided here, once.
 * Adapters translate their technology's errors into these; nothing else escapes them.
 */
export class DoppelError extends Error {
  readonly code: string;
  readonly transient: boolean;

  constructor(code: string, message: string, options: { transient?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.transient = options.transient ?? false;
  }
}

/** The seed or a request is unusable: bad format, empty, ragged. Never retried; the reason is shown to the user. */
export class BadInputError extends DoppelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('BAD_INPUT', message, options);
  }
}

/** A message, artifact or response broke its contract (schema validation failed). Never retried. */
export class ContractError extends DoppelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONTRACT', message, options);
  }
}

/** A dependency is busy or briefly down (throttling, 5xx, model not ready): retry later. */
export class TransientError extends DoppelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('TRANSIENT', message, { ...options, transient: true });
  }
}

/** A dependency refused the call for good (validation, 4xx, access denied). */
export class PermanentError extends DoppelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('PERMANENT', message, options);
  }
}

/** An object or record that should exist does not. */
export class NotFoundError extends DoppelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('NOT_FOUND', message, options);
  }
}

/**
 * An object changed while a run read it (a seed overwritten between the profile's pass and the PII
 * index's): the run cannot name what it read. Never retried; the new upload makes a run of its own.
 */
export class SeedChangedError extends DoppelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('SEED_CHANGED', message, options);
  }
}

/** Something is not there yet (e.g. shards still landing): retry later. */
export class NotReadyError extends DoppelError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('NOT_READY', message, { ...options, transient: true });
  }
}

export const isTransient = (error: unknown): boolean => error instanceof DoppelError && error.transient;

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
