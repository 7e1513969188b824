import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ModuleState } from '../../platform/bus/index.js';
import { OutboundClient, PermanentFailure } from '../../platform/outbound/index.js';
import type { BullhornSettings } from './ats.settings.js';

/** A logged-in REST session: every call carries `BhRestToken` and goes under `restUrl`. */
export interface BullhornSession {
  readonly token: string;
  /** Ends with `/`, e.g. `https://rest22.bullhornstaffing.com/rest-services/abc123/`. */
  readonly restUrl: string;
}

/** The kept end of the refresh-token chain: the newest token, and which configured one began it. */
interface StoredRefreshToken {
  /** sha256 of the BULLHORN_REFRESH_TOKEN the chain started from (the token itself is not kept twice). */
  chain: string;
  token: string;
}

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  error?: string;
  error_description?: string;
}

interface Hosts {
  tokenUrl: string;
  loginUrl: string;
}

const REFRESH_TOKEN = { kind: 'oauth', key: 'refresh-token' } as const;

/** Bullhorn refused the credentials: nothing a retry of the same token can fix. */
export class BullhornLoginRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BullhornLoginRefused';
  }
}

/**
 * Bullhorn's login: refresh token → access token (`/oauth/token`) → REST login
 * (`/rest-services/login?version=2.0`) → `BhRestToken` and `restUrl`. Refresh tokens are
 * single-use, so logins run one at a time and each new refresh token is stored before it is
 * used, so that a restart (or another process) continues the chain.
 */
export class BullhornLogin {
  private readonly logger = new Logger('Bullhorn');
  private readonly http: OutboundClient;
  private readonly chain: string;
  private current?: Promise<BullhornSession>;
  private hosts?: Hosts;

  constructor(
    private readonly settings: BullhornSettings,
    private readonly state: ModuleState,
  ) {
    this.chain = createHash('sha256')
      .update(settings.refreshToken ?? '')
      .digest('hex');
    this.http = new OutboundClient({
      name: 'Bullhorn',
      timeoutMs: settings.timeoutMs,
      secrets: [settings.clientSecret ?? '', settings.refreshToken ?? ''].filter(Boolean),
    });
  }

  /** The current session, logging in first when there is none; concurrent callers share one login. */
  session(): Promise<BullhornSession> {
    if (!this.current) {
      const login = this.login();
      this.current = login;
      // A failed login is not kept: the next call tries again.
      login.catch(() => {
        if (this.current === login) this.current = undefined;
      });
    }
    return this.current;
  }

  /**
   * A new session after `stale` was refused (401: the BhRestToken expired). Deliveries that
   * saw the same expiry share one new login.
   */
  async renew(stale: BullhornSession): Promise<BullhornSession> {
    const current = await this.current?.catch(() => undefined);
    if (current === stale) this.current = undefined;
    return this.session();
  }

  private async login(): Promise<BullhornSession> {
    const hosts = await this.findHosts();
    const access = await this.accessToken(hosts);
    const response = await this.http.request({
      method: 'POST',
      url: hosts.loginUrl,
      query: { version: '2.0', access_token: access },
      what: 'REST login',
    });
    const body = response.json<{ BhRestToken?: string; restUrl?: string }>();
    if (!body?.BhRestToken || !body.restUrl || !URL.canParse(body.restUrl)) {
      throw new Error('Bullhorn REST login answered without a BhRestToken and restUrl');
    }
    const restUrl = body.restUrl.endsWith('/') ? body.restUrl : `${body.restUrl}/`;
    this.logger.log(`logged in to Bullhorn REST at ${new URL(restUrl).origin}`);
    return { token: body.BhRestToken, restUrl };
  }

  /** Exchanges the newest refresh token for an access token, keeping the refresh token it returns. */
  private async accessToken(hosts: Hosts): Promise<string> {
    const stored = await this.state.get<StoredRefreshToken>(REFRESH_TOKEN.kind, REFRESH_TOKEN.key);
    // A BULLHORN_REFRESH_TOKEN other than the one the stored chain began with replaces the chain.
    const fromStore = stored?.chain === this.chain;
    const token = fromStore ? stored.token : this.settings.refreshToken!;
    const answer = await this.exchange(hosts, token);
    if (answer.access_token && answer.refresh_token) {
      await this.state.put(REFRESH_TOKEN.kind, REFRESH_TOKEN.key, {
        chain: this.chain,
        token: answer.refresh_token,
      } satisfies StoredRefreshToken);
      return answer.access_token;
    }
    if (answer.error === 'invalid_grant' && fromStore) {
      // Another process may have used the token a moment ago and stored its successor.
      const now = await this.state.get<StoredRefreshToken>(REFRESH_TOKEN.kind, REFRESH_TOKEN.key);
      if (now?.chain === this.chain && now.token !== token) return this.accessToken(hosts);
    }
    throw new BullhornLoginRefused(
      `Bullhorn refused the ${fromStore ? 'stored' : 'configured'} refresh token (${answer.error ?? 'no access token'}${
        answer.error_description ? `: ${answer.error_description}` : ''
      }); set BULLHORN_REFRESH_TOKEN to a new one (or check BULLHORN_CLIENT_ID/BULLHORN_CLIENT_SECRET) and restart`,
    );
  }

  private async exchange(hosts: Hosts, refreshToken: string): Promise<TokenAnswer> {
    try {
      const response = await this.http.request({
        method: 'POST',
        url: hosts.tokenUrl,
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: this.settings.clientId!,
          client_secret: this.settings.clientSecret!,
        }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        accept: [400, 401],
        what: 'token refresh',
      });
      return response.json<TokenAnswer>() ?? {};
    } catch (error) {
      // Another 4xx is about the configuration, not the event: retry until it is fixed.
      if (error instanceof PermanentFailure) throw new Error(error.message, { cause: error });
      throw error;
    }
  }

  /** The token and login URLs: as configured, or those of the API user's data centre. */
  private async findHosts(): Promise<Hosts> {
    if (this.hosts) return this.hosts;
    const { authUrl, loginUrl, username } = this.settings;
    if (!username) {
      return (this.hosts = {
        tokenUrl: `${authUrl}/oauth/token`,
        loginUrl: `${loginUrl}/rest-services/login`,
      });
    }
    const response = await this.http.request({
      url: `${loginUrl}/rest-services/loginInfo`,
      query: { username },
      what: 'loginInfo',
    });
    const info = response.json<{ oauthUrl?: string; restUrl?: string }>();
    if (!info?.oauthUrl || !info.restUrl || !URL.canParse(info.oauthUrl) || !URL.canParse(info.restUrl)) {
      throw new Error('Bullhorn loginInfo answered without an oauthUrl and restUrl');
    }
    const trim = (url: string) => url.replace(/\/+$/, '');
    return (this.hosts = {
      tokenUrl: `${trim(info.oauthUrl)}/token`,
      loginUrl: `${trim(info.restUrl)}/login`,
    });
  }
}
