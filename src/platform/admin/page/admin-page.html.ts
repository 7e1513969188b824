/**
 * The shell of the admin page. It holds no data: every view is built in the browser from the
 * admin API with DOM calls (textContent), so nothing received is ever parsed as HTML.
 */
export const ADMIN_PAGE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>Switchyard admin</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/admin/assets/admin.css" />
    <script type="module" src="/admin/assets/admin.js"></script>
  </head>
  <body>
    <header class="top">
      <a class="brand" href="#/events">Switchyard</a>
      <nav id="nav" hidden>
        <a href="#/events" data-view="events">Events</a>
        <a href="#/deliveries" data-view="deliveries">Deliveries</a>
        <a href="#/routes" data-view="routes">Routes</a>
        <a href="#/sources" data-view="sources">Sources</a>
        <a href="#/doctor" data-view="doctor">Doctor</a>
      </nav>
      <button id="sign-out" type="button" class="link" hidden>Sign out</button>
    </header>
    <main id="main"><p class="muted">Loading…</p></main>
    <div id="toast" role="status" aria-live="polite"></div>
    <noscript>This page needs JavaScript; the same data is at /admin/api.</noscript>
  </body>
</html>
`;
