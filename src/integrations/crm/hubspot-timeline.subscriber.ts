import { Injectable } from '@nestjs/common';
import {
  type DeliveryContext,
  ModuleStore,
  type ModuleState,
  OnWhippyEvent,
  SubscriberRegistry,
} from '../../platform/bus/index.js';
import {
  CallAnalyzed,
  MessageCreated,
  MessageUpdated,
  type WhippyMessage,
} from '../../platform/events/index.js';
import { CrmSettings, type HubspotTimelineSettings } from './crm.settings.js';
import { HUBSPOT_STATE, HubspotContactResolver, isNewer } from './hubspot-contact.resolver.js';
import { callEngagement, type Engagement, messageEngagement } from './hubspot-engagements.js';
import { HubspotClient } from './hubspot.client.js';

/** The engagement a Whippy message (or call) became, and the Whippy `updated_at` last written. */
interface EngagementMapping {
  type: Engagement['type'];
  id: string;
  updatedAt?: string;
}

type TimelineEvent = MessageCreated | MessageUpdated | CallAnalyzed;

/**
 * `crm.hubspot.timeline`: one HubSpot engagement per Whippy message, on its contact's
 * timeline, updated in place as the message changes; one call per analysed call. The
 * mapping (message id → engagement) is kept in the ModuleStore, so Whippy's retries, replays
 * and a `message.updated` that arrives before its `message.created` never log a message twice.
 */
@Injectable()
export class HubspotTimeline {
  private readonly state: ModuleState;
  private readonly settings: HubspotTimelineSettings;

  constructor(
    settings: CrmSettings,
    private readonly hubspot: HubspotClient,
    private readonly contacts: HubspotContactResolver,
    store: ModuleStore,
    registry: SubscriberRegistry,
  ) {
    this.settings = settings.hubspot.timeline;
    this.state = store.scope(HUBSPOT_STATE);
    registry.requireSettings(['crm.hubspot.timeline'], settings.hubspot);
  }

  /** A contact's messages in the order received: its first message creates it in HubSpot once. */
  @OnWhippyEvent(MessageCreated, MessageUpdated, CallAnalyzed, {
    id: 'crm.hubspot.timeline',
    orderBy: (event) => event.data.contactId ?? event.data.id,
  })
  async record(event: TimelineEvent, ctx: DeliveryContext): Promise<void> {
    const message = event.data;
    if (!message.id) {
      ctx.logger.warn(`event ${event.id} (${event.type}) has no message id; not logged`);
      return;
    }
    if (event instanceof CallAnalyzed) {
      if (!this.settings.calls) return;
      return this.upsert(
        'call',
        message as WhippyMessage & { id: string },
        () => callEngagement(message),
        ctx,
      );
    }
    return this.upsert(
      'message',
      message as WhippyMessage & { id: string },
      (logged) => {
        const outcome = messageEngagement(message, this.settings, logged);
        if ('skip' in outcome) ctx.logger.debug(`message ${message.id}: ${outcome.skip}`);
        return 'engagement' in outcome ? outcome.engagement : undefined;
      },
      ctx,
    );
  }

  private async upsert(
    kind: 'message' | 'call',
    message: WhippyMessage & { id: string },
    engagementOf: (logged: boolean) => Engagement | undefined,
    ctx: DeliveryContext,
  ): Promise<void> {
    const updatedAt = message.updatedAt?.raw;
    const mapped = await this.state.get<EngagementMapping>(kind, message.id);
    if (mapped) {
      // An older (or the same) state of the message never rolls the engagement back.
      if (!isNewer(message.updatedAt, mapped.updatedAt)) return;
      const engagement = engagementOf(true);
      if (!engagement) return;
      const found = await this.hubspot.update(mapped.type, mapped.id, engagement.properties, ctx.signal);
      if (!found)
        ctx.logger.warn(
          `${kind} ${message.id}: HubSpot ${mapped.type} ${mapped.id} was deleted there; left alone`,
        );
      await this.state.put(kind, message.id, { ...mapped, updatedAt });
      return;
    }
    const engagement = engagementOf(false);
    if (!engagement) return;
    const contactId = await this.contacts.forMessage(message, ctx.signal);
    const id = await this.hubspot.create(engagement.type, engagement.properties, contactId, ctx.signal);
    const kept = await this.state.putIfAbsent<EngagementMapping>(kind, message.id, {
      type: engagement.type,
      id,
      updatedAt,
    });
    if (!kept.created) {
      // Another process logged it first (ordering holds per process group, a crash can race).
      await this.hubspot.archive(engagement.type, id, ctx.signal);
      return;
    }
    ctx.logger.log(`${kind} ${message.id} → HubSpot ${engagement.type} ${id} on contact ${contactId}`);
  }
}
