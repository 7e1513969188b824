/** What the store announces on `@nestjs/event-emitter` (metrics listen); once per transaction. */
export const STORE_SIGNALS = {
  committed: 'switchyard.store.committed',
} as const;

/** One group commit: how long the transaction took, how many statements it carried. */
export interface StoreCommittedSignal {
  seconds: number;
  statements: number;
  ok: boolean;
}
