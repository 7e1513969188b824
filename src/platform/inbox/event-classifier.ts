import { Logger } from '@nestjs/common';
import type { Statement } from '../store/statement-runner.js';

/** A new event as the inbox is about to store it, for classification in the same commit. */
export interface IncomingEvent {
  /** The id the event row will have; present in the store only once that row is inserted. */
  id: string;
  source: string;
  requestId: string;
  type: string;
  receivedAt: string;
  /** The envelope's `data`, as received. */
  data: Record<string, unknown>;
}

/** How a new event is stored once classified, and what else its commit writes. */
export interface Classification {
  /** The event row's status: routed, unrouted, unknown or invalid. */
  status: 'routed' | 'unrouted' | 'unknown' | 'invalid';
  /** Stored with the event (an invalid event's messages). */
  errors?: unknown;
  /**
   * Written after the event row in the same transaction. They must take effect only when the
   * event row was inserted (a duplicate inserts nothing): e.g. `… WHERE EXISTS (event id)`.
   */
  statements: Statement[];
  /**
   * Called once the commit inserted the event, with the rows of each of `statements`; never
   * for a duplicate. Must not wait for anything: the answer to the sender follows it.
   */
  committed(rows: unknown[][]): void;
}

/**
 * The port through which the bus classifies new events at ingest, so an event, its final
 * status and its deliveries are one commit. The inbox knows nothing of routes or deliveries.
 */
export interface EventClassifier {
  classify(event: IncomingEvent): Classification;
}

/**
 * The classifier in use, if any. None (nothing registered yet, or the bus stopping): the event
 * is stored as `received`, and the bus's recovery classifies it later. A classifier that
 * throws is treated as none for that event: a signed event is never dropped for it.
 */
export class ClassifierSlot {
  private readonly logger = new Logger('Inbox');
  private current?: EventClassifier;

  /** Registers the classifier; returns the function that removes it again. */
  use(classifier: EventClassifier): () => void {
    this.current = classifier;
    return () => {
      if (this.current === classifier) this.current = undefined;
    };
  }

  classify(event: IncomingEvent): Classification | undefined {
    if (!this.current) return undefined;
    try {
      return this.current.classify(event);
    } catch (error) {
      this.logger.error(
        `classifying event ${event.id} (${event.type}) failed; stored as received for recovery: ${(error as Error).message}`,
      );
      return undefined;
    }
  }

  /** Runs a classification's post-commit step; its failure never fails the stored event. */
  committed(event: IncomingEvent, classification: Classification, rows: unknown[][]): void {
    try {
      classification.committed(rows);
    } catch (error) {
      this.logger.error(`after storing event ${event.id}: ${(error as Error).message}`);
    }
  }
}
