// "Mark faces" on the episode page: pause, step frame by frame (`,` and `.`), draw boxes around faces on a canvas
// over the paused video, move and resize them (drag, corner handles, or the arrow keys), name each one (an existing
// character or a new one) and save it through the API as an example {episode, frame, box} in video pixels.
// Suggested frames seek when clicked; the counts of examples per character follow every save and delete.
(() => {
  "use strict";
  const panel = document.getElementById("marking");
  const video = document.getElementById("episode-video");
  const canvas = document.getElementById("marking-canvas");
  const toggle = document.getElementById("marking-toggle");
  if (!panel || !video || !canvas || !toggle) return;

  const fps = Number(panel.dataset.fps) || 24;
  const frameCount = Number(panel.dataset.frames) || 0;
  const episode = Number(panel.dataset.episode);
  const charactersApi = panel.dataset.charactersApi;
  const csrf = panel.querySelector("input[name=csrfmiddlewaretoken]").value;
  const form = document.getElementById("box-form");
  const nameInput = document.getElementById("box-character");
  const datalist = document.getElementById("character-names");
  const message = document.getElementById("marking-message");
  const frameAt = document.getElementById("frame-at");
  const boxList = document.getElementById("frame-boxes");
  const boxesEmpty = document.getElementById("frame-boxes-empty");
  const counts = document.getElementById("example-counts");
  const countsEmpty = document.getElementById("example-counts-empty");
  const saveButton = document.getElementById("box-save");
  const deleteButton = document.getElementById("box-delete");
  const HANDLE = 7; // CSS pixels: half the side of a corner handle
  const MIN_SIDE = 8; // video pixels: a smaller drag is a click, not a box
  const context = canvas.getContext("2d");

  const characters = JSON.parse(document.getElementById("marking-characters").textContent); // [{slug, name}]
  const boxes = JSON.parse(document.getElementById("marking-examples").textContent).map((e) => ({
    id: e.id, slug: e.slug, name: e.name, frame: e.frame, x: e.box[0], y: e.box[1], w: e.box[2], h: e.box[3],
  }));
  let selected = null;
  let drag = null;
  let active = false;

  // -- frames and time --------------------------------------------------------------------------------------------
  const frameOf = (seconds) => Math.max(0, Math.min(Math.floor(seconds * fps + 1e-3), Math.max(frameCount - 1, 0)));
  const currentFrame = () => frameOf(video.currentTime);
  const clock = (seconds) => {
    const minutes = Math.floor(seconds / 60);
    return `${minutes}:${(seconds - minutes * 60).toFixed(2).padStart(5, "0")}`;
  };

  function showFrame(frame) {
    video.pause();
    const last = Math.max(frameCount - 1, 0);
    const target = Math.max(0, Math.min(frame, last));
    video.currentTime = (target + 0.5) / fps; // the middle of the frame, so rounding never shows its neighbour
    if (selected && selected.frame !== target) selected = null; // an unsaved box stays on its frame, dashed
    refresh();
  }

  // -- geometry: video pixels <-> canvas (CSS) pixels ------------------------------------------------------------------
  function picture() {
    // Where the picture lies inside the element (object-fit: contain letterboxes it).
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const vw = video.videoWidth || Number(panel.dataset.width);
    const vh = video.videoHeight || Number(panel.dataset.height);
    const scale = Math.min(width / vw, height / vh);
    return { scale, left: (width - vw * scale) / 2, top: (height - vh * scale) / 2, vw, vh };
  }

  function toVideo(event) {
    const rect = canvas.getBoundingClientRect();
    const p = picture();
    return {
      x: Math.max(0, Math.min((event.clientX - rect.left - p.left) / p.scale, p.vw)),
      y: Math.max(0, Math.min((event.clientY - rect.top - p.top) / p.scale, p.vh)),
    };
  }

  function clamp(box) {
    const p = picture();
    box.w = Math.max(MIN_SIDE, Math.min(Math.round(box.w), p.vw));
    box.h = Math.max(MIN_SIDE, Math.min(Math.round(box.h), p.vh));
    box.x = Math.max(0, Math.min(Math.round(box.x), p.vw - box.w));
    box.y = Math.max(0, Math.min(Math.round(box.y), p.vh - box.h));
    return box;
  }

  const onFrame = () => boxes.filter((b) => b.frame === currentFrame());

  function corners(box) {
    return { nw: [box.x, box.y], ne: [box.x + box.w, box.y], sw: [box.x, box.y + box.h], se: [box.x + box.w, box.y + box.h] };
  }

  function hit(point) {
    // A corner handle of the chosen box, else the topmost box under the point.
    const p = picture();
    if (selected && selected.frame === currentFrame()) {
      for (const [name, [cx, cy]] of Object.entries(corners(selected))) {
        if (Math.abs(point.x - cx) * p.scale <= HANDLE + 2 && Math.abs(point.y - cy) * p.scale <= HANDLE + 2) {
          return { box: selected, handle: name };
        }
      }
    }
    const under = onFrame().reverse().find((b) => point.x >= b.x && point.x <= b.x + b.w && point.y >= b.y && point.y <= b.y + b.h);
    return under ? { box: under, handle: null } : null;
  }

  // -- drawing ------------------------------------------------------------------------------------------------------
  function draw() {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    if (!active) return;
    const p = picture();
    for (const box of onFrame()) {
      const x = p.left + box.x * p.scale;
      const y = p.top + box.y * p.scale;
      const w = box.w * p.scale;
      const h = box.h * p.scale;
      const chosen = box === selected;
      context.lineWidth = chosen ? 3 : 2;
      context.setLineDash(box.id == null ? [6, 4] : []);
      context.strokeStyle = "#000";
      context.strokeRect(x - 1, y - 1, w + 2, h + 2);
      context.strokeStyle = chosen ? "#ffd60a" : "#3ddc97";
      context.strokeRect(x, y, w, h);
      context.setLineDash([]);
      const label = box.name || "unnamed";
      context.font = "600 13px system-ui, sans-serif";
      const textWidth = context.measureText(label).width + 8;
      context.fillStyle = "rgba(0, 0, 0, .72)";
      context.fillRect(x, Math.max(0, y - 18), textWidth, 18);
      context.fillStyle = "#fff";
      context.fillText(label, x + 4, Math.max(13, y - 5));
      if (chosen) {
        for (const [cx, cy] of Object.values(corners(box))) {
          context.fillStyle = "#ffd60a";
          context.fillRect(p.left + cx * p.scale - HANDLE, p.top + cy * p.scale - HANDLE, HANDLE * 2, HANDLE * 2);
          context.strokeStyle = "#000";
          context.lineWidth = 1;
          context.strokeRect(p.left + cx * p.scale - HANDLE, p.top + cy * p.scale - HANDLE, HANDLE * 2, HANDLE * 2);
        }
      }
    }
  }

  function refresh() {
    const frame = currentFrame();
    frameAt.textContent = `Frame ${frame} of ${Math.max(frameCount - 1, 0)} · ${clock(frame / fps)}`;
    const here = onFrame();
    boxList.replaceChildren(...here.map((box, index) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary box-choice";
      button.dataset.index = String(boxes.indexOf(box));
      button.setAttribute("aria-pressed", String(box === selected));
      const state = box.id == null ? "not saved" : "saved";
      button.textContent = `Box ${index + 1}: ${box.name || "unnamed"} (${state}) at ${box.x}, ${box.y}, ${box.w}×${box.h}`;
      item.append(button);
      return item;
    }));
    boxesEmpty.hidden = here.length > 0;
    form.hidden = !selected;
    if (selected) {
      saveButton.textContent = selected.id == null ? "Save box" : "Save name";
      form.querySelector("#box-position").textContent =
        `Box at x ${selected.x}, y ${selected.y}, ${selected.w}×${selected.h} px on frame ${selected.frame}.`;
    }
    draw();
  }

  function choose(box, { focusName = false } = {}) {
    selected = box;
    if (box) nameInput.value = box.name || "";
    refresh();
    if (box && focusName) nameInput.focus();
  }

  function say(text, { error = false } = {}) {
    message.textContent = text;
    message.classList.toggle("error", error);
  }

  // -- the API ------------------------------------------------------------------------------------------------------
  async function call(url, method, body) {
    // JSON, or a FormData as multipart (which every upload endpoint of the API takes).
    const headers = { Accept: "application/json", "X-CSRFToken": csrf };
    if (body !== undefined && !(body instanceof FormData)) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined || body instanceof FormData ? body : JSON.stringify(body),
      credentials: "same-origin",
    });
    const text = await response.text();
    let data = {};
    try { data = text ? JSON.parse(text) : {}; } catch { data = {}; }
    if (!response.ok) throw new Error(reason(data, response.status));
    return data;
  }

  function reason(data, status) {
    if (status === 401 || status === 403) return data.detail || "Your session has ended: log in again.";
    if (data.detail) return String(data.detail);
    const fields = Object.entries(data).map(([field, errors]) => `${field}: ${[].concat(errors).join(" ")}`);
    return fields.length ? fields.join(" ") : `The server refused it (HTTP ${status}).`;
  }

  const examplesUrl = (slug) => `${charactersApi}${encodeURIComponent(slug)}/examples/`;

  async function characterFor(name) {
    const wanted = name.trim().toLowerCase();
    const known = characters.find((c) => c.name.toLowerCase() === wanted || c.slug === wanted);
    if (known) return known;
    const data = new FormData();
    data.append("name", name.trim());
    const made = await call(charactersApi, "POST", data);
    const character = { slug: made.slug, name: made.name };
    characters.push(character);
    const option = document.createElement("option");
    option.value = character.name;
    datalist.append(option);
    say(`New character ${character.name}: its page teaches it once it has examples.`);
    return character;
  }

  function count(slug, name, delta) {
    let item = counts.querySelector(`li[data-slug="${CSS.escape(slug)}"]`);
    if (!item) {
      item = document.createElement("li");
      item.dataset.slug = slug;
      const link = document.createElement("a");
      link.href = panel.dataset.characterPage.replace("__slug__", encodeURIComponent(slug));
      link.textContent = name;
      const number = document.createElement("span");
      number.className = "count";
      number.textContent = "0";
      item.append(link, " ", number);
      counts.append(item);
    }
    const number = item.querySelector(".count");
    number.textContent = String(Math.max(0, Number(number.textContent) + delta));
    countsEmpty.hidden = true;
  }

  async function save(box) {
    const name = nameInput.value.trim();
    if (!name) {
      say("Name the face first: an existing character or a new name.", { error: true });
      nameInput.focus();
      return;
    }
    saveButton.disabled = true;
    clearTimeout(box.pending); // what the arrow keys moved is saved with it
    try {
      const character = await characterFor(name);
      if (box.id != null && box.slug === character.slug) {
        say(`Box is ${character.name}'s already.`);
        return;
      }
      const made = await call(examplesUrl(character.slug), "POST",
        { episode, frame: box.frame, box: [box.x, box.y, box.w, box.h], kind: "positive" });
      if (box.id != null) { // renamed: the old character's example goes, the new one's stays
        await call(`${examplesUrl(box.slug)}${box.id}/`, "DELETE");
        count(box.slug, box.name, -1);
      }
      const example = made.examples ? made.examples[0] : made; // the API answers {"examples": [the one added]}
      if (!example || example.id == null) throw new Error("the server did not say which example it kept");
      Object.assign(box, { id: example.id, slug: character.slug, name: character.name });
      if (Array.isArray(example.box)) [box.x, box.y, box.w, box.h] = example.box;
      count(character.slug, character.name, +1);
      say(`Saved: ${character.name} on frame ${box.frame}.`);
      canvas.focus();
    } catch (error) {
      say(`Not saved: ${error.message}`, { error: true });
    } finally {
      saveButton.disabled = false;
      refresh();
    }
  }

  async function persistBox(box) {
    clearTimeout(box.pending);
    if (box.id == null || !boxes.includes(box)) return; // not saved yet (its save sends the box), or deleted
    try {
      await call(`${examplesUrl(box.slug)}${box.id}/`, "PATCH", { box: [box.x, box.y, box.w, box.h] });
      say(`Moved: ${box.name}'s box on frame ${box.frame}.`);
    } catch (error) {
      say(`Not moved: ${error.message}`, { error: true });
    }
    refresh();
  }

  async function remove(box) {
    clearTimeout(box.pending);
    try {
      if (box.id != null) {
        await call(`${examplesUrl(box.slug)}${box.id}/`, "DELETE");
        count(box.slug, box.name, -1);
      }
      boxes.splice(boxes.indexOf(box), 1);
      if (selected === box) selected = null;
      say(box.id != null ? `Deleted ${box.name}'s box.` : "Box removed.");
      canvas.focus();
    } catch (error) {
      say(`Not deleted: ${error.message}`, { error: true });
    }
    refresh();
  }

  // -- the mode -----------------------------------------------------------------------------------------------------
  function setMode(on) {
    active = on;
    panel.hidden = !on;
    canvas.hidden = !on;
    video.controls = !on; // the canvas takes the pointer; the panel has the frame controls
    toggle.setAttribute("aria-pressed", String(on));
    toggle.textContent = on ? "Stop marking" : "Mark faces";
    if (on) {
      showFrame(currentFrame());
      canvas.focus();
      loadSuggestions();
    } else {
      selected = null;
      refresh();
    }
  }

  let suggested = false;
  async function loadSuggestions() {
    const holder = document.getElementById("suggested");
    if (suggested || !holder) return;
    suggested = true;
    try {
      const response = await fetch(holder.dataset.url, { headers: { Accept: "text/html" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      holder.innerHTML = await response.text(); // the site's own fragment, escaped by its templates
    } catch (error) {
      holder.textContent = `Could not find the shots (${error.message}): any paused frame will do.`;
    }
  }

  toggle.addEventListener("click", () => setMode(!active));
  const noFaces = document.getElementById("no-faces-mark");
  if (noFaces) {
    noFaces.addEventListener("click", (event) => {
      event.preventDefault();
      if (!active) setMode(true);
      panel.scrollIntoView({ block: "nearest" });
    });
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (!active || event.button !== 0) return;
    event.preventDefault();
    canvas.focus();
    canvas.setPointerCapture(event.pointerId);
    const point = toVideo(event);
    const found = hit(point);
    if (found) {
      choose(found.box);
      drag = { mode: found.handle || "move", box: found.box, start: point, from: { ...found.box }, moved: false };
    } else {
      drag = { mode: "new", start: point, box: null, moved: false };
    }
  });

  canvas.addEventListener("pointermove", (event) => {
    if (!drag) {
      if (active) {
        const found = hit(toVideo(event));
        canvas.style.cursor = found ? (found.handle ? `${found.handle}-resize` : "move") : "crosshair";
      }
      return;
    }
    const point = toVideo(event);
    const dx = point.x - drag.start.x;
    const dy = point.y - drag.start.y;
    if (drag.mode === "new") {
      if (!drag.box && Math.abs(dx) < MIN_SIDE && Math.abs(dy) < MIN_SIDE) return;
      if (!drag.box) {
        drag.box = { id: null, slug: "", name: "", frame: currentFrame(), x: 0, y: 0, w: 0, h: 0 };
        boxes.push(drag.box);
        selected = drag.box;
      }
      Object.assign(drag.box, {
        x: Math.min(drag.start.x, point.x), y: Math.min(drag.start.y, point.y), w: Math.abs(dx), h: Math.abs(dy),
      });
    } else if (drag.mode === "move") {
      Object.assign(drag.box, { x: drag.from.x + dx, y: drag.from.y + dy });
    } else {
      const f = drag.from;
      const left = drag.mode.endsWith("w") ? Math.min(f.x + dx, f.x + f.w - MIN_SIDE) : f.x;
      const right = drag.mode.endsWith("e") ? Math.max(f.x + f.w + dx, f.x + MIN_SIDE) : f.x + f.w;
      const top = drag.mode.startsWith("n") ? Math.min(f.y + dy, f.y + f.h - MIN_SIDE) : f.y;
      const bottom = drag.mode.startsWith("s") ? Math.max(f.y + f.h + dy, f.y + MIN_SIDE) : f.y + f.h;
      Object.assign(drag.box, { x: left, y: top, w: right - left, h: bottom - top });
    }
    drag.moved = true;
    draw();
  });

  function endDrag() {
    if (!drag) return;
    const { box, mode, moved } = drag;
    drag = null;
    if (!box) {
      choose(null);
      return;
    }
    clamp(box);
    if (mode === "new") {
      choose(box, { focusName: true });
      say("Now name the face and save it.");
    } else if (moved) {
      persistBox(box);
    } else {
      refresh();
    }
  }

  canvas.addEventListener("pointerup", endDrag);
  canvas.addEventListener("pointercancel", endDrag);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (selected) save(selected);
  });
  deleteButton.addEventListener("click", () => { if (selected) remove(selected); });
  document.getElementById("frame-prev").addEventListener("click", () => showFrame(currentFrame() - 1));
  document.getElementById("frame-next").addEventListener("click", () => showFrame(currentFrame() + 1));
  document.getElementById("box-add").addEventListener("click", () => {
    const p = picture();
    const side = Math.round(Math.min(p.vw, p.vh) / 4);
    const box = clamp({ id: null, slug: "", name: "", frame: currentFrame(),
      x: (p.vw - side) / 2, y: (p.vh - side) / 2, w: side, h: side });
    boxes.push(box);
    choose(box);
    canvas.focus();
    say("A box in the middle: move it with the arrow keys (Shift+arrows resize), then name it.");
  });
  boxList.addEventListener("click", (event) => {
    const button = event.target.closest("button.box-choice");
    if (button) choose(boxes[Number(button.dataset.index)], { focusName: true });
  });
  panel.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-frame]");
    if (!button) return;
    showFrame(Number(button.dataset.frame));
    canvas.focus();
  });

  document.addEventListener("keydown", (event) => {
    if (!active || event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    if (typing) return;
    if (event.key === "," || event.key === ".") {
      event.preventDefault();
      showFrame(currentFrame() + (event.key === "," ? -1 : 1));
      return;
    }
    if (!selected || selected.frame !== currentFrame()) return;
    const step = 1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key] && event.target === canvas) {
      event.preventDefault();
      const [dx, dy] = moves[event.key].map((v) => v * (event.repeat ? 4 : 2));
      if (event.shiftKey) Object.assign(selected, { w: selected.w + dx, h: selected.h + dy });
      else Object.assign(selected, { x: selected.x + dx, y: selected.y + dy });
      clamp(selected);
      refresh();
      clearTimeout(selected.pending);
      const box = selected;
      box.pending = setTimeout(() => persistBox(box), 600); // saved once the keys rest
    } else if ((event.key === "Delete" || event.key === "Backspace") && event.target === canvas) {
      event.preventDefault();
      remove(selected);
    } else if (event.key === "Enter" && event.target === canvas) {
      event.preventDefault();
      nameInput.focus();
    } else if (event.key === "Escape") {
      choose(null);
    }
  });

  for (const name of ["seeked", "loadedmetadata", "timeupdate"]) video.addEventListener(name, refresh);
  if (window.ResizeObserver) new ResizeObserver(draw).observe(canvas);
  window.addEventListener("resize", draw);

  refresh();
  if (window.location.hash === "#marking" || new URLSearchParams(window.location.search).has("mark")) {
    const open = () => setMode(true);
    if (video.readyState >= 1) open();
    else video.addEventListener("loadedmetadata", open, { once: true });
  }
})();
