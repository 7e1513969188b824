import { Injectable, Module } from '@nestjs/common';
import {
  BusModule,
  CredentialSetting,
  defineSettings,
  DeliveryContext,
  IntegerSetting,
  ListSetting,
  ModuleStore,
  OnWhippyEvent,
  SectionSetting,
  SubscriberRegistry,
  UrlSetting,
} from '../../src/platform/bus/index.js';
import { ContactCreated, MessageCreated } from '../../src/platform/events/index.js';

/**
 * A module as a company would write one, for platform tests of what modules get: typed
 * settings (`example:`), off until EXAMPLE_TOKEN is set, and the ModuleStore.
 */
export class ExampleApiSettings {
  @CredentialSetting('EXAMPLE_TOKEN') token?: string;
  @UrlSetting() baseUrl = 'https://api.example.com';
  @IntegerSetting({ min: 1, max: 60_000 }) timeoutMs = 5000;
}

export class ExampleSettings {
  @SectionSetting(() => ExampleApiSettings) api: ExampleApiSettings;
  @ListSetting({ choices: ['INBOUND', 'OUTBOUND'] }) directions = ['INBOUND'];
}

export const exampleSettings = defineSettings('example', ExampleSettings);

@Injectable()
export class ExampleSubscribers {
  readonly seen: string[] = [];

  constructor(
    readonly settings: ExampleSettings,
    readonly store: ModuleStore,
    registry: SubscriberRegistry,
  ) {
    registry.requireSettings(['example.contacts', 'example.messages'], settings.api);
  }

  @OnWhippyEvent(ContactCreated, { id: 'example.contacts' })
  async contacts(event: ContactCreated, _ctx: DeliveryContext) {
    this.seen.push(event.id);
  }

  @OnWhippyEvent(MessageCreated, { id: 'example.messages' })
  async messages(event: MessageCreated, _ctx: DeliveryContext) {
    this.seen.push(event.id);
  }
}

@Module({
  imports: [BusModule],
  providers: [exampleSettings.provider, ExampleSubscribers],
  exports: [ExampleSubscribers],
})
export class ExampleModule {}
