// The site's JSON API as the pages call it: one request helper (same-origin credentials, the CSRF token, JSON in
// and out, an Error with the API's own `detail` when it refuses) and the id put into a URL template ("/0/").
(function () {
  "use strict";
  async function call(method, address, body, csrf) {
    const response = await fetch(address, {
      method, credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || `${response.status} ${response.statusText}`);
    return data;
  }

  function withId(template, id) { return template.replace(/\/0\//, `/${id}/`); }

  window.ToonApi = { call, withId };
})();
