/** Injection token of the opened Store (Kysely instance and dialect). */
export const STORE = Symbol('switchyard.store');
