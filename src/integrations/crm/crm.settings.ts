import {
  BooleanSetting,
  CredentialSetting,
  defineSettings,
  IntegerSetting,
  ListSetting,
  SectionSetting,
  TextSetting,
  UrlSetting,
} from '../../platform/bus/index.js';

/** What `crm.hubspot.timeline` logs; DESIGN §5's defaults. */
export class HubspotTimelineSettings {
  /** Message directions logged. @default [INBOUND, OUTBOUND] */
  @ListSetting({ choices: ['INBOUND', 'OUTBOUND'] }) directions = ['INBOUND', 'OUTBOUND'];
  /**
   * An outbound message is logged once its `delivery_status` is one of these; an empty list
   * logs it at once. @default [delivered, delivery_unconfirmed]
   */
  @ListSetting() outboundStatuses = ['delivered', 'delivery_unconfirmed'];
  /** Inbound messages are logged whatever their status unless this lists some. @default [] */
  @ListSetting() inboundStatuses: string[] = [];
  /** Whippy notes (`type: note`) as HubSpot notes. @default true */
  @BooleanSetting() notes = true;
  /** Emails (`type: email`) as HubSpot email engagements. @default true */
  @BooleanSetting() emails = true;
  /** `call.analyzed` as HubSpot calls. @default true */
  @BooleanSetting() calls = true;
  /**
   * A custom communication property that receives the message's `delivery_status` (create it
   * in HubSpot first); unset, the status is not written.
   */
  @TextSetting() statusProperty?: string;
}

/** HubSpot CRM v3 with a private-app token. */
export class HubspotSettings {
  /** The private app's access token (`Authorization: Bearer`). */
  @CredentialSetting('HUBSPOT_TOKEN') token?: string;
  /** @default https://api.hubapi.com */
  @UrlSetting() baseUrl = 'https://api.hubapi.com';
  /** Per HubSpot request. @default 10000 */
  @IntegerSetting({ min: 100, max: 120_000 }) timeoutMs = 10_000;
  @SectionSetting(() => HubspotTimelineSettings) timeline: HubspotTimelineSettings;
}

/** The `crm:` section. */
export class CrmSettings {
  @SectionSetting(() => HubspotSettings) hubspot: HubspotSettings;
}

export const crmSettings = defineSettings('crm', CrmSettings);
