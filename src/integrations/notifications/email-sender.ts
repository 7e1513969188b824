import type { Transporter } from 'nodemailer';
import { PermanentFailure } from '../../platform/outbound/index.js';
import type { EmailMessage } from './email-message.js';

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/**
 * Sends mail through the SMTP server of SMTP_URL with nodemailer. A 5xx refusal of the
 * message (an unknown recipient) is permanent; a refused login, a 4xx and network trouble
 * are retried. Errors never hold the URL's user name or password.
 */
export class EmailSender {
  /** Created on the first message: nodemailer is not loaded by a process that sends none (the CLI). */
  private transport?: Promise<Transporter>;
  private readonly secrets: string[];
  private readonly connect: () => Promise<Transporter>;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly to: readonly string[],
    timeoutMs: number,
  ) {
    const url = new URL(smtpUrl);
    this.secrets = [
      url.password,
      decodeURIComponent(url.password),
      url.username,
      decodeURIComponent(url.username),
    ].filter((value) => value.length >= 3);
    this.connect = () =>
      import('nodemailer').then(({ createTransport }) =>
        createTransport({
          host: url.hostname,
          port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
          secure: url.protocol === 'smtps:',
          auth: url.username
            ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
            : undefined,
          connectionTimeout: timeoutMs,
          greetingTimeout: timeoutMs,
          socketTimeout: timeoutMs,
          logger: false,
        }),
      );
  }

  async send(message: EmailMessage, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.transport ??= this.connect();
    const sending = this.transport.then((transport) =>
      transport.sendMail({ from: this.from, to: [...this.to], ...message }),
    );
    try {
      await (signal ? Promise.race([sending, aborted(signal)]) : sending);
    } catch (error) {
      throw this.describe(error as SmtpError, signal);
    }
  }

  close(): void {
    void this.transport?.then((transport) => transport.close());
  }

  private describe(error: SmtpError, signal?: AbortSignal): Error {
    if (signal?.aborted)
      return new Error(`SMTP send aborted: ${String((signal.reason as Error)?.message ?? signal.reason)}`);
    const text = this.scrub(
      `SMTP send failed (${error.code ?? 'error'}): ${error.response ?? error.message}`,
    );
    const permanent = error.code !== 'EAUTH' && error.responseCode !== undefined && error.responseCode >= 500;
    return permanent ? new PermanentFailure(text) : new Error(text);
  }

  private scrub(text: string): string {
    let out = text.replace(/\s+/g, ' ').trim();
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out.length > 500 ? `${out.slice(0, 500)}…` : out;
  }
}

const aborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
