/** What the store announces on `@nestjs/event-emitter` (metrics listen): each transaction, each retention run. */
export const STORE_SIGNALS = {
  committed: 'switchyard.store.committed',
  pruned: 'switchyard.store.pruned',
} as const;

/** One group commit: how long the transaction took, how many statements it carried. */
export interface StoreCommittedSignal {
  seconds: number;
  statements: number;
  ok: boolean;
}

/** What one retention run pruned (counts only); announced when the run ends. */
export interface RetentionRun {
  startedAt: string;
  finishedAt: string;
  events: number;
  deliveries: number;
  attempts: number;
  /** SQLite pages handed back to the file system (0 on PostgreSQL). */
  pagesReclaimed: number;
}
