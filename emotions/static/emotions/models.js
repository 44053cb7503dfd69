// The Models page: follow a training live (ToonApi.followJob polls its model in the API every second: epoch k of N, loss,
// accuracy, time left) and reload when it ends, so the registry's table shows the finished model and its report.
(() => {
  "use strict";
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

  ToonApi.followJob(training, {
    badge, text,
    show(body) {
      const rowBadge = document.querySelector(`#model-${body.id} .badge`);
      if (rowBadge) rowBadge.textContent = body.status;
      text.textContent = describe(body);
      const p = body.progress || {};
      if (p.epochs_total) bar.value = Math.min(1, (Number(p.epochs_done) || 0) / Number(p.epochs_total));
    },
  });
})();
