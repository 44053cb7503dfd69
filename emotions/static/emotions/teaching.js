// A taught character's page: follow a training live (polling its version in the API: stage k of N, hit rate,
// false alarms) and reload when it ends; on the preview frames, drag a box around a face the new cascade missed
// and it is posted as an example (clicking a hit, a plain form button, marks it wrong without any script).
(() => {
  "use strict";
  const percent = (v) => `${Math.round(Number(v) * 1000) / 10}%`;

  const training = document.getElementById("training");
  if (training) {
    const bar = document.getElementById("training-progress");
    const text = document.getElementById("training-text");
    const badge = document.getElementById("training-status");
    ToonApi.followJob(training, {
      badge, text,
      show(body) {
        text.textContent = describe(body);
        const p = body.progress || {};
        if (p.stages) bar.value = Math.min(1, (Number(p.stage) || 0) / Number(p.stages));
      },
    });
  }

  function describe(body) {
    const p = body.progress || {};
    if (body.status === "queued") return "Waiting for a worker to start training…";
    const parts = [];
    if (p.phase) parts.push(p.phase[0].toUpperCase() + p.phase.slice(1));
    if (p.stages) parts.push(`stage ${p.stage || 0} of ${p.stages}`);
    if (p.hit_rate !== undefined && p.hit_rate !== null) parts.push(`hit rate ${percent(p.hit_rate)}`);
    if (p.false_alarm !== undefined && p.false_alarm !== null) parts.push(`false alarms ${percent(p.false_alarm)}`);
    return parts.length ? `${parts.join(" · ")}.` : "Training…";
  }

  // Missed faces: drag on a preview picture, then the box (in the frame's pixels) is posted.
  const form = document.getElementById("add-missed-form");
  if (!form) return;
  for (const picture of document.querySelectorAll(".preview-picture[data-draw]")) {
    const index = picture.closest(".preview-frame").dataset.index;
    let start = null;
    let ghost = null;
    const at = (event) => {
      const rect = picture.getBoundingClientRect();
      return { x: Math.max(0, Math.min(event.clientX - rect.left, rect.width)),
               y: Math.max(0, Math.min(event.clientY - rect.top, rect.height)), rect };
    };
    picture.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || event.target.closest("button")) return;
      event.preventDefault();
      picture.setPointerCapture(event.pointerId);
      start = at(event);
      ghost = document.createElement("span");
      ghost.className = "hit drawing";
      picture.append(ghost);
    });
    picture.addEventListener("pointermove", (event) => {
      if (!start) return;
      const now = at(event);
      const left = Math.min(start.x, now.x);
      const top = Math.min(start.y, now.y);
      Object.assign(ghost.style, {
        left: `${(100 * left) / now.rect.width}%`, top: `${(100 * top) / now.rect.height}%`,
        width: `${(100 * Math.abs(now.x - start.x)) / now.rect.width}%`,
        height: `${(100 * Math.abs(now.y - start.y)) / now.rect.height}%`,
      });
    });
    picture.addEventListener("pointerup", (event) => {
      if (!start) return;
      const now = at(event);
      const scale = Number(picture.dataset.width) / now.rect.width;
      const box = {
        x: Math.round(Math.min(start.x, now.x) * scale), y: Math.round(Math.min(start.y, now.y) * scale),
        w: Math.round(Math.abs(now.x - start.x) * scale), h: Math.round(Math.abs(now.y - start.y) * scale),
      };
      start = null;
      if (box.w < 8 || box.h < 8) {
        ghost.remove();
        return;
      }
      form.elements.preview.value = index;
      for (const key of ["x", "y", "w", "h"]) form.elements[key].value = String(box[key]);
      form.submit();
    });
  }
})();
