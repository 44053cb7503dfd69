// Home page: keep "Processing now" current. Every few seconds each episode's progress is read from the REST API
// (/api/episodes/<id>/); when one finishes (or fails), the processing and recent sections are re-read from the
// server, so the finished episode moves to "Recent episodes" without a reload.
(() => {
  "use strict";
  const POLL_MS = 2000;
  const live = document.getElementById("live");
  if (!live) return;

  const items = () => Array.from(live.querySelectorAll("[data-episode-api]"));

  function show(item, episode) {
    const percent = Math.round(Math.min(Math.max(episode.progress, 0), 1) * 100);
    item.querySelector(".bar > span").style.setProperty("--value", String(episode.progress));
    item.querySelector("[role=progressbar]").setAttribute("aria-valuenow", String(percent));
    item.querySelector('[data-field="percent"]').textContent = `${percent}%`;
    const badge = item.querySelector('[data-field="status"]');
    badge.textContent = episode.status;
    badge.className = `badge status-${episode.status}`;
    item.dataset.status = episode.status;
  }

  // Reads one episode and shows it; true when it has finished (done or failed).
  async function check(item) {
    const response = await fetch(item.dataset.episodeApi, { headers: { Accept: "application/json" } });
    if (!response.ok) return false;
    const episode = await response.json();
    show(item, episode);
    return episode.status === "done" || episode.status === "failed";
  }

  // Replaces the live sections with the server's current ones, and says what finished.
  async function refresh(finished) {
    const response = await fetch(live.dataset.homeUrl, { headers: { Accept: "text/html" } });
    if (!response.ok || response.redirected) return;
    const html = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = html.getElementById("live");
    if (!fresh) return;
    live.innerHTML = fresh.innerHTML;
    const announce = document.getElementById("live-announce");
    if (announce) announce.textContent = `Finished: ${finished.join(", ")}.`;
  }

  async function poll() {
    const current = items();
    if (!current.length) return;
    try {
      const done = await Promise.all(current.map(check));
      const finished = current.filter((_, i) => done[i]).map((item) => item.querySelector("a").textContent);
      if (finished.length) await refresh(finished);
    } catch (error) {
      // A network hiccup: try again at the next tick rather than stop updating.
    }
    if (items().length) window.setTimeout(poll, POLL_MS);
  }

  window.setTimeout(poll, POLL_MS);
})();
