// The real service (dist/) plus three no-op subscribers that report, over IPC, when each
// handler is called: what the delivery benchmark measures. Plain JavaScript, so the
// subscribers are registered in code rather than with decorators.
import 'reflect-metadata';
import { Inject, Module } from '@nestjs/common';
import { loadAppConfig } from '../dist/app.config.js';
import { createApp } from '../dist/app.factory.js';
import { HeapGrowthPolicy } from '../dist/heap-growth.js';
import { BusModule, SubscriberRegistry } from '../dist/platform/bus/index.js';

const SUBSCRIBERS = ['bench.a', 'bench.b', 'bench.c'];
let calls = 0;
let hits = [];

class ProbeSubscribers {
  constructor(registry) {
    for (const id of SUBSCRIBERS) {
      registry.register({
        id,
        events: ['message.created'],
        origin: 'delivery benchmark',
        handle: async (event) => {
          calls++;
          if (id === 'bench.a') hits.push([event.data.id, performance.timeOrigin + performance.now()]);
        },
      });
    }
  }
}
Inject(SubscriberRegistry)(ProbeSubscribers, undefined, 0);

class ProbeModule {}
Module({ imports: [BusModule], providers: [ProbeSubscribers] })(ProbeModule);

const heap = HeapGrowthPolicy.forProcess(); // as dist/main.js does
const config = loadAppConfig();
const app = await createApp(config, [ProbeModule]);
await app.listen(config.server.port, '127.0.0.1');
heap?.followDeliveries(app);
setInterval(() => {
  const { rss, heapUsed } = process.memoryUsage();
  process.send({ calls, hits, rss, heapUsed });
  hits = [];
}, 100).unref();
process.on('disconnect', () => process.exit(0));
