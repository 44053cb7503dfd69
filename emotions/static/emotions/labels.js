// Correcting faces where they are listed (the character browser, the episode's faces, the frame search): a face
// with the focus takes keys (1-7 an emotion, x not a face, c not this character, u undo), and its "Correct" button
// opens the same choices as a menu; "Apply to selected" labels every ticked face at once. The page is changed in
// place (the badge shows the label; a rejected face is greyed and says it left the results).
(function () {
  "use strict";
  const root = document.querySelector("[data-labeller]");
  if (!root) return;
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  const EMOTIONS = root.dataset.emotions.split(",");
  const status = document.querySelector("[data-label-status]");
  const NAMES = { not_face: "not a face", not_character: "not this character" };

  const url = window.ToonApi.withId;

  const call = (method, address, body) => window.ToonApi.call(method, address, body, csrf);

  function note(face, text, isError) {
    let line = face.querySelector(".label-note");
    if (!line) {
      line = document.createElement("span");
      line.className = "label-note";
      (face.querySelector("[data-label-slot]") || face).append(line);
    }
    line.textContent = text;
    line.classList.toggle("error", Boolean(isError));
    if (status) status.textContent = text;
  }

  function paint(face, emotion, rejected, labelled, confidence) {
    face.classList.toggle("rejected", rejected);
    face.dataset.emotion = emotion;
    face.querySelectorAll(".badge[class*='emo-']").forEach((badge) => {
      badge.className = `badge emo-${emotion}`;
      badge.textContent = emotion;
    });
    if (/\bemo-/.test(face.className)) {
      face.className = face.className.replace(/\bemo-[a-z]+/, `emo-${emotion}`);
    }
    // A label is certain: its confidence reads "labelled"; without one, the model's figure comes back.
    face.querySelectorAll(".conf").forEach((conf) => {
      if (conf.dataset.model === undefined) conf.dataset.model = conf.textContent;
      const model = conf.dataset.model !== "labelled" ? conf.dataset.model : `${Math.round((confidence || 0) * 100)}%`;
      conf.textContent = labelled ? "labelled" : model;
    });
    face.querySelectorAll(".unsure").forEach((mark) => { mark.hidden = labelled; });
    const undo = face.querySelector("[data-label-undo]");
    if (undo) undo.hidden = !labelled;
  }

  // A face's requests go one after another, so "u" right after a key undoes that key's label.
  const chains = new WeakMap();
  function inTurn(face, task) {
    const next = (chains.get(face) || Promise.resolve()).then(task, task);
    chains.set(face, next);
    return next;
  }

  function label(face, verdict, emotion) {
    closeMenu(face);
    return inTurn(face, () => sendLabel(face, verdict, emotion));
  }

  function undo(face) { return inTurn(face, () => sendUndo(face)); }

  async function sendLabel(face, verdict, emotion) {
    try {
      const body = await call("POST", url(root.dataset.labels, face.dataset.face), { verdict, emotion: emotion || "" });
      paint(face, body.face.emotion, body.rejected, true, body.face.confidence);
      note(face, body.rejected ? `Marked ${NAMES[verdict]}: left out of the results.` : `Labelled ${emotion}.`);
    } catch (error) {
      note(face, `Not labelled: ${error.message}`, true);
    }
  }

  async function sendUndo(face) {
    try {
      const body = await call("DELETE", url(root.dataset.undo, face.dataset.face));
      paint(face, body.face.emotion, body.rejected, Boolean(body.label), body.face.confidence);
      note(face, body.label ? `Back to the label before: ${body.label.emotion || NAMES[body.label.verdict]}.`
        : `Undone: back to what the model said (${body.face.emotion}).`);
    } catch (error) {
      note(face, `Could not undo: ${error.message}`, true);
    }
  }

  function closeMenu(face) {
    const menu = face.querySelector(".label-menu");
    const toggle = face.querySelector(".label-correct");
    if (menu) menu.hidden = true;
    if (toggle) toggle.setAttribute("aria-expanded", "false");
  }

  function button(text, key, onClick) {
    const made = document.createElement("button");
    made.type = "button";
    made.className = "secondary";
    if (key) {
      const kbd = document.createElement("kbd");
      kbd.textContent = key;
      made.append(kbd, ` ${text}`);
    } else {
      made.textContent = text;
    }
    made.addEventListener("click", (event) => { event.preventDefault(); onClick(); });
    return made;
  }

  function enhance(face) {
    if (face.dataset.enhanced) return;
    face.dataset.enhanced = "1";
    if (!face.matches("a, button, input, [tabindex]")) face.tabIndex = 0;
    const slot = face.querySelector("[data-label-slot]") || face;
    const id = `label-menu-${face.dataset.face}`;
    const toggle = button("Correct", "", () => {
      const menu = face.querySelector(".label-menu");
      menu.hidden = !menu.hidden;
      toggle.setAttribute("aria-expanded", String(!menu.hidden));
      if (!menu.hidden) menu.querySelector("button").focus();
    });
    toggle.className = "secondary label-correct";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", id);
    toggle.setAttribute("aria-label", `Correct this face (${face.dataset.emotion}); or press 1-7, x, c on it`);
    const menu = document.createElement("span");
    menu.className = "label-menu";
    menu.id = id;
    menu.hidden = true;
    menu.setAttribute("role", "group");
    menu.setAttribute("aria-label", "Label this face");
    EMOTIONS.forEach((emotion, n) => menu.append(button(emotion, String(n + 1), () => label(face, "emotion", emotion))));
    menu.append(button("not this character", "c", () => label(face, "not_character", "")));
    menu.append(button("not a face", "x", () => label(face, "not_face", "")));
    const back = button("Undo", "u", () => undo(face));
    back.dataset.labelUndo = "";
    back.hidden = !face.dataset.labelled;
    slot.append(toggle, back, menu);
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (!target.closest || target.closest("input, select, textarea, .label-menu")) {
      if (event.key === "Escape" && target.closest && target.closest(".label-menu")) {
        const face = target.closest("[data-face]");
        closeMenu(face);
        face.querySelector(".label-correct").focus();
      }
      return;
    }
    const face = target.closest("[data-face]");
    if (!face) return;
    const key = event.key.toLowerCase();
    if (/^[1-7]$/.test(key) && EMOTIONS[Number(key) - 1]) {
      event.preventDefault();
      label(face, "emotion", EMOTIONS[Number(key) - 1]);
    } else if (key === "x" || key === "c") {
      event.preventDefault();
      label(face, key === "x" ? "not_face" : "not_character", "");
    } else if (key === "u") {
      event.preventDefault();
      undo(face);
    } else if (key === "escape") {
      closeMenu(face);
    }
  });

  // Bulk: one label for every ticked face (the bar may arrive later, with a gallery fragment).
  async function bulk(bar) {
    const picked = Array.from(document.querySelectorAll("[data-face] input[type=checkbox]:checked"));
    const faces = picked.map((box) => box.closest("[data-face]"));
    if (!faces.length) {
      if (status) status.textContent = "Select faces first.";
      return;
    }
    const [verdict, emotion] = bar.querySelector("[data-bulk-choice]").value.split(":");
    try {
      const body = await call("POST", root.dataset.bulk, { ids: faces.map((f) => Number(f.dataset.face)), verdict,
        emotion });
      const rejected = verdict !== "emotion";
      faces.forEach((face) => {
        paint(face, rejected ? face.dataset.emotion : emotion, rejected, true);
        note(face, rejected ? `Marked ${NAMES[verdict]}: left out of the results.` : `Labelled ${emotion}.`);
      });
      picked.forEach((box) => { box.checked = false; box.dispatchEvent(new Event("change", { bubbles: true })); });
      if (status) status.textContent = `${body.labels.length} faces labelled ${emotion || NAMES[verdict]}.`;
    } catch (error) {
      if (status) status.textContent = `Not labelled: ${error.message}`;
      faces.forEach((face) => note(face, `Not labelled: ${error.message}`, true));
    }
  }

  document.addEventListener("click", (event) => {
    const apply = event.target.closest && event.target.closest("[data-bulk-apply]");
    if (apply) bulk(apply.closest("[data-bulk-label]"));
  });

  function enhanceAll(scope) {
    scope.querySelectorAll("[data-face]").forEach(enhance);
    scope.querySelectorAll("[data-bulk-label]").forEach((bar) => { bar.hidden = false; });
  }

  enhanceAll(document);
  // The character browser appends pages of faces and swaps its tabs' galleries: enhance what arrives.
  new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach((node) => {
    if (node.nodeType !== 1) return;
    if (node.matches("[data-face]")) enhance(node);
    enhanceAll(node);
  }))).observe(document.body, { childList: true, subtree: true });
})();
