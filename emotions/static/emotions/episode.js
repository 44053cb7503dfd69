// The episode page: start the video at ?t=, seek from the timeline and the faces table, move the playhead, switch
// the emotion subtitles, follow processing until it ends (then reload), and confirm a deletion.
(() => {
  "use strict";
  const video = document.getElementById("episode-video");
  const timeline = document.getElementById("timeline");
  const playhead = document.getElementById("playhead");
  const toggle = document.getElementById("subtitles-toggle");
  const processing = document.getElementById("processing");
  const POLL_MS = 1500;

  function seek(seconds, { scroll = false } = {}) {
    if (!video || !Number.isFinite(seconds)) return;
    video.currentTime = Math.max(0, seconds);
    movePlayhead();
    if (scroll) video.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function duration() {
    const known = video && Number.isFinite(video.duration) ? video.duration : 0;
    return known || Number(timeline && timeline.dataset.duration) || 0;
  }

  function movePlayhead() {
    if (!playhead || !video) return;
    const total = duration();
    playhead.style.setProperty("--at", total ? Math.min(video.currentTime / total, 1) : 0);
  }

  if (video) {
    const start = Number(video.dataset.start);
    if (start > 0) {
      // The #t= fragment starts it in most browsers; this makes sure, once the length is known.
      const startThere = () => {
        if (Math.abs(video.currentTime - start) > 0.05) video.currentTime = start;
        movePlayhead();
      };
      if (video.readyState >= 1) startThere();
      else video.addEventListener("loadedmetadata", startThere, { once: true });
    }
    for (const name of ["timeupdate", "seeked", "loadedmetadata"]) video.addEventListener(name, movePlayhead);
  }

  if (timeline) {
    timeline.addEventListener("click", (event) => {
      const segment = event.target.closest(".segment");
      if (segment) {
        seek(Number(segment.dataset.start));
        return;
      }
      const track = event.target.closest(".lane-track");
      if (track) {
        const box = track.getBoundingClientRect();
        seek(((event.clientX - box.left) / box.width) * duration());
      }
    });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-seek]");
    if (button) seek(Number(button.dataset.seek), { scroll: true });
  });

  if (video && toggle && video.textTracks.length) {
    const track = video.textTracks[0];
    track.mode = "hidden"; // loads the cues without showing them
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const show = track.mode !== "showing";
      track.mode = show ? "showing" : "hidden";
      toggle.setAttribute("aria-pressed", String(show));
      toggle.textContent = show ? "Hide emotion subtitles" : "Show emotion subtitles";
    });
  }

  if (processing) {
    const bar = document.getElementById("processing-progress");
    const text = document.getElementById("processing-text");
    const badge = document.getElementById("episode-status");
    const pace = window.ToonProgress.clock();
    const poll = async () => {
      try {
        const response = await fetch(processing.dataset.poll, { headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.json();
        if (body.status === "done" || body.status === "failed") {
          window.location.reload();
          return;
        }
        bar.value = body.progress;
        badge.textContent = body.status;
        badge.className = `badge status-${body.status}`;
        text.textContent = `${window.ToonProgress.words(body, pace)} The page reloads when it is done.`;
      } catch (error) {
        text.textContent = `Could not read the progress (${error.message}); trying again.`;
      }
      setTimeout(poll, POLL_MS);
    };
    setTimeout(poll, POLL_MS);
  }

  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
})();
