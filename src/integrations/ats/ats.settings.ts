import {
  CredentialSetting,
  defineSettings,
  IntegerSetting,
  ListSetting,
  SectionSetting,
  TextSetting,
  UrlSetting,
} from '../../platform/bus/index.js';

/** Bullhorn REST: an OAuth refresh token, exchanged for an access token, then a REST session. */
export class BullhornSettings {
  /** The OAuth client id Bullhorn issued with the API key. */
  @CredentialSetting('BULLHORN_CLIENT_ID') clientId?: string;
  @CredentialSetting('BULLHORN_CLIENT_SECRET') clientSecret?: string;
  /**
   * The first refresh token only: Bullhorn's refresh tokens are single-use, and the newest one
   * is kept in the store. Setting a different one starts a new chain.
   */
  @CredentialSetting('BULLHORN_REFRESH_TOKEN') refreshToken?: string;
  /** Where `/oauth/token` is. @default https://auth.bullhornstaffing.com */
  @UrlSetting() authUrl = 'https://auth.bullhornstaffing.com';
  /** Where `/rest-services/login` is. @default https://rest.bullhornstaffing.com */
  @UrlSetting() loginUrl = 'https://rest.bullhornstaffing.com';
  /**
   * The API user's name: when set, the hosts of its data centre are asked of Bullhorn's
   * `loginInfo` (at `loginUrl`) instead of taking `authUrl`/`loginUrl` as they are.
   */
  @TextSetting() username?: string;
  /** The Note `action` of messages. @default Text Message */
  @TextSetting() noteAction = 'Text Message';
  /** The Note `action` of analysed calls; unset, `noteAction`. */
  @TextSetting() callNoteAction?: string;
  /** Message types that become Notes (`call` comes with call.analyzed). @default [sms, mms, whatsapp, email] */
  @ListSetting({ choices: ['sms', 'mms', 'whatsapp', 'email', 'note'] }) messageTypes = [
    'sms',
    'mms',
    'whatsapp',
    'email',
  ];
  /** The Candidate field set false when a contact opts out of SMS. @default smsOptIn */
  @TextSetting() optInField = 'smsOptIn';
  /** Per Bullhorn request. @default 10000 */
  @IntegerSetting({ min: 100, max: 120_000 }) timeoutMs = 10_000;
}

/** The module name of what Bullhorn's subscribers keep in the ModuleStore. */
export const BULLHORN_MODULE = 'ats.bullhorn';

/** The `ats:` section. */
export class AtsSettings {
  @SectionSetting(() => BullhornSettings) bullhorn: BullhornSettings;
}

export const atsSettings = defineSettings('ats', AtsSettings);
