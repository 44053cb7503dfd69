// The Models page: follow a training live (polling its model in the API every second: epoch k of N, loss,
// accuracy, time left) and reload when it ends, so the registry's table shows the finished model and its report.
(() => {
  "use strict";
  const POLL_MS = 1000;
  const training = document.getElementById("training");
  if (!training) return;
  const bar = document.getElementById("training-progress");
  const text = document.getElementById("training-text");
  const badge = document.getElementById("training-status");
  const percent = (v) => `${Math.round(Number(v) * 1000) / 10}%`;

  function timeLeft(seconds) {
    const s = Math.max(0, Math.round(Number(seconds) || 0));
    if (s < 90) return `about ${s} s left`;
    return `about ${Math.round(s / 60)} min left`;
  }

  function describe(body) {
    const p = body.progress || {};
    if (body.status === "queued") return "Waiting for a worker to start training…";
    if (p.phase !== "training") return p.phase ? `${p.phase[0].toUpperCase()}${p.phase.slice(1)}…` : "Training…";
    const parts = [];
    if (p.optimizer) parts.push(`${p.optimizer}, run ${p.run} of ${p.runs}`);
    parts.push(`epoch ${p.epoch} of ${p.epochs}`);
    if (p.loss !== null && p.loss !== undefined) parts.push(`loss ${Number(p.loss).toFixed(3)}`);
    if (p.accuracy !== null && p.accuracy !== undefined) parts.push(`accuracy ${percent(p.accuracy)}`);
    if (p.test_accuracy !== null && p.test_accuracy !== undefined) parts.push(`test ${percent(p.test_accuracy)}`);
    parts.push(timeLeft(p.seconds_left));
    return `Training: ${parts.join(" · ")}.`;
  }

  const poll = async () => {
    try {
      const response = await fetch(training.dataset.poll, { headers: { Accept: "application/json" } });
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
      training.dataset.status = body.status;
      badge.textContent = body.status;
      const rowBadge = document.querySelector(`#model-${body.id} .badge`);
      if (rowBadge) rowBadge.textContent = body.status;
      if (!["queued", "training"].includes(body.status)) {
        text.textContent = `Training ${body.status}; loading the result…`;
        window.location.reload();
        return;
      }
      text.textContent = describe(body);
      const p = body.progress || {};
      if (p.epochs_total) bar.value = Math.min(1, (Number(p.epochs_done) || 0) / Number(p.epochs_total));
    } catch (error) {
      text.textContent = `Could not read the training's progress (${error.message}); trying again.`;
    }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
})();
