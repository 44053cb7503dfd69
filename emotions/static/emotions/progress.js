// One wording for an episode being processed, wherever its progress is followed (the upload rows, the episode
// page): "Waiting for a worker to start processing." while queued, then "Processing: 40% done, about 12 s left.",
// the time left estimated from the pace since processing was first seen under way (a clock per episode).
(() => {
  "use strict";
  function clock() {
    return { since: null, from: 0 };
  }

  function words(body, pace) {
    if (body.status === "queued") return "Waiting for a worker to start processing.";
    const done = body.progress;
    const now = performance.now();
    if (pace.since === null) Object.assign(pace, { since: now, from: done });
    const rate = (done - pace.from) / ((now - pace.since) / 1000);
    let left = "";
    if (rate > 0 && now - pace.since > 2000) {
      const seconds = Math.max(1, Math.round((1 - done) / rate));
      left = seconds < 90 ? `, about ${seconds} s left` : `, about ${Math.round(seconds / 60)} min left`;
    }
    return `Processing: ${Math.round(done * 100)}% done${left}.`;
  }

  window.ToonProgress = { clock, words };
})();
