// The episode page: start the video at ?t=, seek from the seek bar's emotion markers, the lanes (by mouse, or by
// keyboard: one tab stop, arrow keys between stretches, Enter plays) and the moments (Play, or the picture), move the play position,
// switch the emotion subtitles, follow processing until it ends (then reload), and confirm a deletion.
(() => {
  "use strict";
  const video = document.getElementById("episode-video");
  const timeline = document.getElementById("timeline");
  const playhead = document.getElementById("playhead");
  const seekbar = document.getElementById("seekbar");
  const lanes = document.getElementById("lanes");
  const SEEK_STEP = 5;
  // A stretch plays from just past its start: at the very edge Chromium still shows the subtitle cue that ends
  // there beside the one that begins (10 ms is well under a frame, so the same frame shows).
  const EDGE = 0.01;
  const stretchStart = (element) => Number(element.dataset.start) + EDGE;
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

  function clock(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const hours = Math.floor(whole / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    const secs = String(whole % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
  }

  function movePlayhead() {
    if (!video) return;
    const total = duration();
    const at = total ? Math.min(video.currentTime / total, 1) : 0;
    if (playhead) playhead.style.setProperty("--at", at);
    if (seekbar) {
      seekbar.style.setProperty("--at", at);
      seekbar.setAttribute("aria-valuenow", String(Math.round(video.currentTime)));
      seekbar.setAttribute("aria-valuetext", `${clock(video.currentTime)} of ${clock(total)}`);
    }
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

  // The seek bar: a marker plays from its start; anywhere else (or dragged) from that point.
  if (seekbar) {
    const at = (event) => {
      const box = seekbar.getBoundingClientRect();
      return Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1) * duration();
    };
    let dragging = false;
    seekbar.addEventListener("pointerdown", (event) => {
      const marker = event.target.closest(".marker");
      seek(marker ? stretchStart(marker) : at(event));
      dragging = !marker;
      if (dragging) seekbar.setPointerCapture(event.pointerId);
    });
    seekbar.addEventListener("pointermove", (event) => { if (dragging) seek(at(event)); });
    seekbar.addEventListener("pointerup", () => { dragging = false; });
    seekbar.addEventListener("keydown", (event) => {
      const now = video ? video.currentTime : 0;
      const moves = { ArrowLeft: now - SEEK_STEP, ArrowDown: now - SEEK_STEP, ArrowRight: now + SEEK_STEP,
                      ArrowUp: now + SEEK_STEP, PageDown: now - duration() / 10, PageUp: now + duration() / 10,
                      Home: 0, End: duration() };
      if (!(event.key in moves)) return;
      event.preventDefault();
      seek(Math.min(moves[event.key], duration()));
    });
  }

  // The lanes: one widget, one tab stop (roving tabindex). Left/right move along a lane, up/down to the stretch of
  // the next character at the same time (or the nearest), Home/End to a lane's ends; Enter or Space plays from it.
  if (lanes) {
    const rows = () => Array.from(lanes.querySelectorAll('[role="row"]'));
    const cells = (row) => Array.from(row.querySelectorAll(".segment"));
    const moveTo = (cell) => {
      if (!cell) return;
      for (const other of lanes.querySelectorAll('.segment[tabindex="0"]')) other.tabIndex = -1;
      cell.tabIndex = 0;
      cell.focus();
    };
    const nearest = (row, seconds) => {
      const inRow = cells(row);
      const covering = inRow.find((c) => Number(c.dataset.start) <= seconds && seconds < Number(c.dataset.end));
      if (covering) return covering;
      return inRow.reduce((best, c) => (!best || Math.abs(Number(c.dataset.start) - seconds)
        < Math.abs(Number(best.dataset.start) - seconds) ? c : best), null);
    };
    lanes.addEventListener("keydown", (event) => {
      const cell = event.target.closest(".segment");
      if (!cell) return;
      const row = cell.closest('[role="row"]');
      const inRow = cells(row);
      const index = inRow.indexOf(cell);
      const allRows = rows().filter((r) => cells(r).length);
      const rowIndex = allRows.indexOf(row);
      const middle = (Number(cell.dataset.start) + Number(cell.dataset.end)) / 2;
      const target = {
        ArrowLeft: () => inRow[Math.max(index - 1, 0)],
        ArrowRight: () => inRow[Math.min(index + 1, inRow.length - 1)],
        ArrowUp: () => rowIndex > 0 && nearest(allRows[rowIndex - 1], middle),
        ArrowDown: () => rowIndex < allRows.length - 1 && nearest(allRows[rowIndex + 1], middle),
        Home: () => inRow[0],
        End: () => inRow[inRow.length - 1],
      }[event.key];
      if (target) {
        event.preventDefault();
        moveTo(target() || cell);
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        seek(stretchStart(cell));
      }
    });
    lanes.addEventListener("click", (event) => {
      const segment = event.target.closest(".segment");
      if (segment) {
        moveTo(segment);
        seek(stretchStart(segment));
        return;
      }
      const track = event.target.closest(".lane-track");
      if (track) {
        const box = track.getBoundingClientRect();
        seek(((event.clientX - box.left) / box.width) * duration());
      }
    });
  }

  // A moment's Play button, or its picture (a link to ?t=, which works without the script), plays from its start.
  document.addEventListener("click", (event) => {
    const control = event.target.closest("[data-seek]");
    if (!control || event.ctrlKey || event.metaKey || event.shiftKey) return; // let a link open a new tab
    event.preventDefault();
    seek(Number(control.dataset.seek), { scroll: true });
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
