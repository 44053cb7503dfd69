// The site's JSON API as the pages call it: one request helper (same-origin credentials, the CSRF token, JSON in
// and out, an Error with the API's own `detail` when it refuses), the id put into a URL template ("/0/"), and a
// job followed live (a training: its resource polled every second until it ends, then the page reloaded).
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

  const POLL_MS = 1000;
  const RUNNING = ["queued", "training"];

  // Poll `job.dataset.poll`; while the job runs, show its status in `badge` and hand each answer to `show`;
  // when it ends, say so in `text` and reload, so the page shows the finished result. A failed poll is retried.
  function followJob(job, { badge, text, show }) {
    const poll = async () => {
      try {
        const response = await fetch(job.dataset.poll, { headers: { Accept: "application/json" } });
        const body = await response.json();
        if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
        job.dataset.status = body.status;
        badge.textContent = body.status;
        if (!RUNNING.includes(body.status)) {
          text.textContent = `Training ${body.status}; loading the result…`;
          window.location.reload();
          return;
        }
        show(body);
      } catch (error) {
        text.textContent = `Could not read the training's progress (${error.message}); trying again.`;
      }
      setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  }

  window.ToonApi = { call, withId, followJob };
})();
