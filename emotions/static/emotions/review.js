// The Review page: one face at a time, the least sure first, labelled by keyboard (1-7 an emotion, Enter accept
// what the model said, x not a face, c not this character, u undo) or by the buttons, with a running count.
// A key shows the next face at once; the labels are sent one after another, so no key press is lost.
(function () {
  "use strict";
  const root = document.getElementById("review");
  if (!root) return;
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  const $ = (selector) => root.querySelector(selector);
  const EMOTIONS = Array.from(root.querySelectorAll("[data-emotion]")).map((b) => b.dataset.emotion);
  const queue = [];
  const done = [];  // the faces this session labelled, newest last (u undoes the last)
  const pending = new Set();  // ids labelled here whose label is still on its way
  let current = null;
  let sessionCount = 0;
  let total = Number(root.dataset.labelled) || 0;
  // The site's LOW_CONFIDENCE setting: below it a reading is marked unsure, as on every other page.
  const LOW_CONFIDENCE = Number(root.dataset.lowConfidence) || 0.6;
  let chain = Promise.resolve();
  let refilling = null;

  const url = window.ToonApi.withId;

  function later(task) {
    chain = chain.then(task, task);
    return chain;
  }

  const call = (method, address, body) => window.ToonApi.call(method, address, body, csrf);

  function say(text, isError) {
    const status = $("[data-status]");
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }

  function counts() {
    $("[data-session-count]").textContent = String(sessionCount);
    $("[data-total-count]").textContent = String(total);
    $("[data-undo-button]").disabled = !done.length;
  }

  function held() {
    return [current, ...queue].filter(Boolean).map((f) => f.id).concat(Array.from(pending));
  }

  function refill() {
    if (refilling) return refilling;
    const address = new URL(root.dataset.api, window.location.href);
    address.searchParams.set("limit", "20");
    if (root.dataset.character) address.searchParams.set("character", root.dataset.character);
    if (root.dataset.episode) address.searchParams.set("episode", root.dataset.episode);
    if (held().length) address.searchParams.set("skip", held().join(","));
    refilling = call("GET", address.toString()).then((body) => {
      const known = new Set(held());
      body.faces.filter((f) => !known.has(f.id)).forEach((f) => queue.push(f));
      if (!current) show(queue.shift() || null);
    }).catch((error) => {
      say(`Could not load more faces: ${error.message}`, true);
      if (!current) show(null);
    }).finally(() => { refilling = null; });
    return refilling;
  }

  function show(face) {
    current = face;
    $("[data-loading]").hidden = true;
    $("[data-empty]").hidden = Boolean(face);
    $("[data-face-view]").hidden = !face;
    root.querySelectorAll(".review-keys button:not([data-undo-button])").forEach((b) => { b.disabled = !face; });
    if (!face) return;
    const crop = $("[data-crop]");
    crop.src = face.crop_url;
    crop.alt = `${face.character.name}'s face, which the model reads as ${face.emotion}`;
    $("[data-who]").textContent = face.character.name;
    const badge = $("[data-model-emotion]");
    badge.className = `badge emo-${face.emotion}`;
    badge.textContent = face.emotion;
    $("[data-model-confidence]").textContent =
      `${Math.round(face.confidence * 100)}% sure (margin ${face.margin.toFixed(2)} over the next emotion)`;
    $("[data-unsure]").hidden = face.confidence >= LOW_CONFIDENCE;
    $("[data-where]").textContent = `${face.episode.title} · ${face.time.toFixed(2)} s`;
    $("[data-accept-emotion]").textContent = face.emotion;
    const frame = $("[data-frame]");
    frame.hidden = !face.frame_url;
    if (face.frame_url) {
      frame.src = face.frame_url;
      frame.alt = `The frame of ${face.episode.title} at ${face.timecode.slice(0, 8)}`;
    }
    const width = face.frame_width || 1;
    const height = face.frame_height || 1;
    $("[data-frame-pic]").style.aspectRatio = `${width} / ${height}`;
    const box = $("[data-box]");
    box.style.left = `${(100 * face.box.x) / width}%`;
    box.style.top = `${(100 * face.box.y) / height}%`;
    box.style.width = `${(100 * face.box.w) / width}%`;
    box.style.height = `${(100 * face.box.h) / height}%`;
    box.className = `face-box emo-${face.emotion}`;
    $("[data-open]").href = `/episodes/${face.episode.id}/?t=${face.time.toFixed(2)}`;
  }

  function advance() {
    show(queue.shift() || null);
    if (queue.length < 5) refill();
  }

  function label(verdict, emotion) {
    if (!current) return;
    const face = current;
    pending.add(face.id);
    advance();
    const words = verdict === "emotion" ? emotion : verdict === "not_face" ? "not a face" : "not this character";
    later(async () => {
      try {
        await call("POST", url(root.dataset.labels, face.id), { verdict, emotion: emotion || "" });
        done.push(face);
        sessionCount += 1;
        total += 1;
        counts();
        say(`${face.character.name}: ${words}. Press u to undo.`);
      } catch (error) {
        say(`${face.character.name} was not labelled (${error.message}); it is shown again.`, true);
        if (current) queue.unshift(current);
        show(face);
      } finally {
        pending.delete(face.id);
      }
    });
  }

  function undo() {
    later(async () => {
      const face = done[done.length - 1];
      if (!face) return;
      try {
        await call("DELETE", url(root.dataset.undo, face.id));
        done.pop();
        sessionCount -= 1;
        total -= 1;
        counts();
        if (current) queue.unshift(current);
        show(face);
        say(`Undone: ${face.character.name} is back as the model had it (${face.emotion}).`);
      } catch (error) {
        say(`Could not undo: ${error.message}`, true);
      }
    });
  }

  root.querySelectorAll("[data-emotion]").forEach((button) => {
    button.addEventListener("click", () => label("emotion", button.dataset.emotion));
  });
  root.querySelectorAll("[data-verdict]").forEach((button) => {
    button.addEventListener("click", () => label(button.dataset.verdict, ""));
  });
  $("[data-accept]").addEventListener("click", () => current && label("emotion", current.emotion));
  $("[data-undo-button]").addEventListener("click", undo);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (target.closest && target.closest("input, select, textarea, [contenteditable]")) return;
    const key = event.key.toLowerCase();
    const index = Number(key) - 1;
    if (/^[1-7]$/.test(key) && EMOTIONS[index]) {
      event.preventDefault();
      label("emotion", EMOTIONS[index]);
    } else if (key === "enter" && !(target.closest && target.closest("button, a"))) {
      event.preventDefault();
      if (current) label("emotion", current.emotion);
    } else if (key === "x") {
      event.preventDefault();
      label("not_face", "");
    } else if (key === "c") {
      event.preventDefault();
      label("not_character", "");
    } else if (key === "u") {
      event.preventDefault();
      undo();
    }
  });

  refill();
})();
