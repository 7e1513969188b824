/**
 * Every path of Whippy's REST API this client calls, in one place.
 *
 * Whippy documents its public API (https://api.whippy.co/v1, `X-WHIPPY-KEY`, bodies `{data}`,
 * errors `{error, status}`) but not the developer-application calls. What is known comes from
 * integration code: `POST /v1/developers/applications` `{name, description, active}` and
 * `POST /v1/developers/endpoints` `{developer_application_id, url, event_types, active}`.
 * ASSUMED, following the same convention: `GET` on both collections lists them (endpoints
 * filtered with `?developer_application_id=`), and `PUT .../:id` updates one. If Whippy
 * answers otherwise, change it here.
 */
export const WHIPPY_API_PATHS = {
  applications: '/v1/developers/applications',
  application: (id: string) => `/v1/developers/applications/${encodeURIComponent(id)}`,
  endpoints: '/v1/developers/endpoints',
  endpoint: (id: string) => `/v1/developers/endpoints/${encodeURIComponent(id)}`,
} as const;
