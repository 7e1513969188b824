import { Injectable } from '@nestjs/common';
import {
  type DeliveryContext,
  ModuleStore,
  type ModuleState,
  OnWhippyEvent,
  SubscriberRegistry,
} from '../../platform/bus/index.js';
import { CallAnalyzed, MessageCreated, type WhippyMessage } from '../../platform/events/index.js';
import { AtsSettings, BULLHORN_MODULE, type BullhornSettings } from './ats.settings.js';
import { BullhornClient } from './bullhorn.client.js';
import { addressKind, CandidateFinder } from './candidate-finder.js';
import { callComments, messageComments } from './note-comments.js';

/** The kept Note of a Whippy message: a replay or a retry finds it and creates no second one. */
interface NoteRecord {
  noteId: number;
  candidateId: number;
  eventId: string;
}

/**
 * `ats.bullhorn.notes`: each inbound or outbound message (message.created) and each analysed
 * call (call.analyzed) as one Note on the Bullhorn candidate with the contact's phone number
 * (inbound: `from`, outbound: `to`) or email. A message without a candidate is logged and
 * counted, and the delivery succeeds: retrying would not make a candidate appear.
 */
@Injectable()
export class BullhornNotes {
  /** Messages that found no candidate since the start; each is kept in the store too. */
  unmatched = 0;
  private readonly settings: BullhornSettings;
  private readonly state: ModuleState;

  constructor(
    settings: AtsSettings,
    store: ModuleStore,
    private readonly client: BullhornClient,
    private readonly candidates: CandidateFinder,
    registry: SubscriberRegistry,
  ) {
    this.settings = settings.bullhorn;
    this.state = store.scope(BULLHORN_MODULE);
    registry.requireSettings(['ats.bullhorn.notes'], settings.bullhorn);
  }

  // One message's events (its message.created, its call.analyzed, their replays) run one at a time.
  @OnWhippyEvent(MessageCreated, CallAnalyzed, {
    id: 'ats.bullhorn.notes',
    orderBy: (event) => event.data.id,
  })
  async record(event: MessageCreated | CallAnalyzed, ctx: DeliveryContext): Promise<void> {
    const message = event.data;
    const isCall = event instanceof CallAnalyzed;
    if (!message.id) {
      ctx.logger.warn(`event ${event.id} (${event.type}) has no message id; no note`);
      return;
    }
    if (!isCall && !this.settings.messageTypes.includes(message.type ?? '')) {
      ctx.logger.debug(`message ${message.id} is of type ${message.type}; not noted`);
      return;
    }
    const kept = await this.state.get<NoteRecord>('note', message.id);
    if (kept) {
      ctx.logger.log(`message ${message.id} is already Note ${kept.noteId}; nothing to do`);
      return;
    }
    const address = contactAddress(message);
    if (!address) {
      ctx.logger.warn(`message ${message.id} has no ${message.direction} contact address; no note`);
      return;
    }

    const [candidate] = await this.candidates.find(address, ctx.signal);
    if (!candidate) {
      this.unmatched += 1;
      await this.state.put('unmatched', message.id, { eventId: event.id, by: addressKind(address) });
      ctx.logger.log(
        `no Bullhorn candidate has the ${addressKind(address)} of message ${message.id}; not noted (${this.unmatched} unmatched since start)`,
      );
      return;
    }

    const noteId = await this.client.createNote(
      {
        personReference: { id: candidate.id },
        action: isCall
          ? (this.settings.callNoteAction ?? this.settings.noteAction)
          : this.settings.noteAction,
        comments: isCall ? callComments(message) : messageComments(message),
      },
      ctx.signal,
    );
    await this.state.put('note', message.id, {
      noteId,
      candidateId: candidate.id,
      eventId: event.id,
    } satisfies NoteRecord);
    ctx.logger.log(`message ${message.id} → Note ${noteId} on candidate ${candidate.id}`);
  }
}

/** The contact's side of a message: who sent an inbound one, who received an outbound one. */
function contactAddress(message: WhippyMessage): string | undefined {
  const address =
    message.direction === 'INBOUND' ? message.from : message.direction === 'OUTBOUND' ? message.to : null;
  return address?.trim() || undefined;
}
