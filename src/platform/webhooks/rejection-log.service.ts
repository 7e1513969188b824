import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';

/** Lines written per source and reason in one window; the rest are counted. */
export const REJECTION_LINES_PER_WINDOW = 10;

/** The window of the limit above; a summary line closes each window that dropped lines. */
export const REJECTION_WINDOW_MS = 60_000;

/** A source name as logged: the URL's, cut short, since an unknown one is the client's text. */
const MAX_SOURCE_CHARS = 64;

interface Window {
  startedAt: number;
  logged: number;
  suppressed: number;
}

export interface Rejection {
  /** The source named in the URL, configured or not. */
  source: string;
  status: number;
  /** A fixed code: `unknown_source`, `no_matching_signature`, `invalid_payload`, … */
  reason: string;
  remoteAddress?: string;
  bodyBytes?: number;
}

/**
 * One compact line per refused webhook (source, status, reason, remote address, body size;
 * never a header or the body), at most REJECTION_LINES_PER_WINDOW per source and reason each
 * window, then one summary with the count of the lines left out: a flood of forged requests
 * costs a few lines, not one per request.
 */
@Injectable()
export class RejectionLog implements OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private readonly windows = new Map<string, Window>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.closeWindows(Date.now(), false), REJECTION_WINDOW_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.closeWindows(Date.now(), true);
  }

  record(rejection: Rejection): void {
    const source = rejection.source.slice(0, MAX_SOURCE_CHARS);
    // Unknown sources share one limit: a flood naming a new source each time stays a few lines.
    const key = `${rejection.reason === 'unknown_source' ? '*' : source}\u0000${rejection.reason}`;
    const now = Date.now();
    let window = this.windows.get(key);
    if (window && now - window.startedAt >= REJECTION_WINDOW_MS) {
      this.summarise(key, window);
      window = undefined;
    }
    if (!window) {
      // Bounded, whatever the traffic: sources and reasons are few, but never trust that.
      if (this.windows.size >= 1000) this.closeWindows(now, true);
      window = { startedAt: now, logged: 0, suppressed: 0 };
      this.windows.set(key, window);
    }
    if (window.logged >= REJECTION_LINES_PER_WINDOW) {
      window.suppressed++;
      return;
    }
    window.logged++;
    this.logger.warn(
      `webhook refused: ${rejection.status} ${rejection.reason} source=${source} ` +
        `remote=${rejection.remoteAddress ?? '?'} bytes=${rejection.bodyBytes ?? '?'}`,
    );
  }

  private closeWindows(now: number, all: boolean): void {
    for (const [key, window] of this.windows) {
      if (all || now - window.startedAt >= REJECTION_WINDOW_MS) {
        this.summarise(key, window);
        this.windows.delete(key);
      }
    }
  }

  private summarise(key: string, window: Window): void {
    if (window.suppressed === 0) return;
    const [source, reason] = key.split('\u0000');
    this.logger.warn(
      `webhook refused: ${window.suppressed} more ${reason} for source=${source} not logged ` +
        `(at most ${REJECTION_LINES_PER_WINDOW} lines each ${REJECTION_WINDOW_MS / 1000} s)`,
    );
  }
}
