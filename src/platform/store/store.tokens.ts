/** Injection token of the opened Store (Kysely instance and dialect). */
export const STORE = Symbol('switchyard.store');

/** Injection token of the StatementRunner behind the StoreWriter. */
export const STATEMENT_RUNNER = Symbol('switchyard.statement-runner');
