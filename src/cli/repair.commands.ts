import { Command, Option } from 'nest-commander';
import { AdminCommand, AdminOptions, adminRequest } from './admin-client.js';

interface Delivery {
  id: string;
  subscriberId: string;
  status: string;
}

const print = (value: unknown) =>
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);

@Command({
  name: 'replay',
  arguments: '<event-id>',
  description:
    'deliver a stored event again: to every subscriber its routes select, or to those named with --subscriber',
})
export class ReplayCommand extends AdminCommand {
  async run([eventId]: string[], options: AdminOptions & { subscriber?: string[] }): Promise<void> {
    const body = options.subscriber?.length ? { subscribers: options.subscriber } : {};
    const result = await adminRequest<{ deliveries: Delivery[] }>(
      options,
      'POST',
      `admin/api/events/${encodeURIComponent(eventId)}/replay`,
      body,
    );
    for (const d of result.deliveries) print(`queued delivery ${d.id} to ${d.subscriberId}`);
  }

  @Option({ flags: '--subscriber <id>', description: 'only this subscriber (repeatable)' })
  parseSubscriber(value: string, previous: string[] = []): string[] {
    return [...previous, value];
  }
}

@Command({
  name: 'retry',
  arguments: '<delivery-id>',
  description: 'run a failed or dead delivery again now',
})
export class RetryCommand extends AdminCommand {
  async run([deliveryId]: string[], options: AdminOptions): Promise<void> {
    const d = await adminRequest<Delivery>(
      options,
      'POST',
      `admin/api/deliveries/${encodeURIComponent(deliveryId)}/retry`,
    );
    print(`delivery ${d.id} to ${d.subscriberId} is ${d.status} again`);
  }
}

@Command({
  name: 'redrive',
  arguments: '<subscriber-id>',
  description: 'run every dead delivery of a subscriber again',
})
export class RedriveCommand extends AdminCommand {
  async run([subscriberId]: string[], options: AdminOptions): Promise<void> {
    const result = await adminRequest<{ redriven: number }>(
      options,
      'POST',
      `admin/api/subscribers/${encodeURIComponent(subscriberId)}/redrive`,
    );
    print(`${result.redriven} dead deliveries of ${subscriberId} queued again`);
  }
}

@Command({
  name: 'backfill',
  arguments: '<subscriber-id>',
  description:
    'deliver to a subscriber the stored events of a time range it has not had (a dry run unless --run)',
})
export class BackfillCommand extends AdminCommand {
  async run(
    [subscriberId]: string[],
    options: AdminOptions & { since?: string; until?: string; run?: boolean },
  ): Promise<void> {
    const result = await adminRequest<{ matched: number; created: number; dryRun: boolean }>(
      options,
      'POST',
      `admin/api/subscribers/${encodeURIComponent(subscriberId)}/backfill`,
      { since: options.since, until: options.until, dryRun: !options.run },
    );
    print(
      result.dryRun
        ? `${result.matched} event(s) would be delivered to ${subscriberId}; run again with --run to deliver them`
        : `${result.created} delivery(ies) queued for ${subscriberId}`,
    );
  }

  @Option({ flags: '--since <time>', description: 'ISO time: events received at or after it' })
  parseSince(value: string): string {
    return value;
  }

  @Option({ flags: '--until <time>', description: 'ISO time: events received before it' })
  parseUntil(value: string): string {
    return value;
  }

  @Option({ flags: '--run', description: 'create the deliveries (without it, only count them)' })
  parseRun(): boolean {
    return true;
  }
}
