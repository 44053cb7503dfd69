// The upload page: each chosen or dropped video gets a row that follows it from upload (resumable, over tus:
// resumable.js and /api/uploads/) through processing (polling /api/episodes/<id>/) to a link to its page.
// Without this script the form posts normally and the server does the same for one file.
(() => {
  "use strict";
  const form = document.querySelector(".upload-form");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const titleInput = form.querySelector("input[name=title]");
  const zone = document.getElementById("drop-zone");
  const list = document.getElementById("uploads");
  const empty = document.getElementById("uploads-empty");
  const template = document.getElementById("upload-row");
  const api = form.dataset.api;
  const episodes = form.dataset.episodes;
  const maxBytes = Number(form.dataset.maxBytes);
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const PARALLEL = 2; // uploads at once; the rest wait their turn
  const POLL_MS = 1000;
  const waiting = [];
  let running = 0;

  form.classList.add("js");
  input.required = false; // the script uploads on choosing; the plain submit is for pages without it
  input.multiple = true; // the plain form takes one file a post; the script takes any number

  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`);

  function addRow(file, title) {
    const row = template.content.firstElementChild.cloneNode(true);
    row.querySelector(".upload-name").textContent = title || file.name;
    list.append(row);
    empty.hidden = true;
    const parts = {
      row,
      status: row.querySelector(".upload-status"),
      phase: row.querySelector(".upload-phase"),
      progress: row.querySelector(".upload-progress"),
      message: row.querySelector(".upload-message"),
    };
    setState(parts, "waiting", "waiting");
    return parts;
  }

  function setState(parts, state, label) {
    parts.row.dataset.state = state;
    parts.status.textContent = label;
    parts.status.className = `badge upload-status status-${state === "uploading" ? "processing" : state}`;
  }

  function say(parts, text, link) {
    parts.message.replaceChildren(text);
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      parts.message.append(" ", a);
    }
  }

  function refuse(parts, text, link) {
    setState(parts, "failed", "not uploaded");
    parts.message.classList.add("error");
    parts.progress.hidden = true;
    say(parts, text, link);
  }

  function enqueue(files) {
    const title = files.length === 1 ? titleInput.value.trim() : "";
    for (const file of files) {
      const parts = addRow(file, title);
      if (file.size > maxBytes) {
        refuse(parts, `${file.name} is ${mib(file.size)}; the largest episode accepted is ${mib(maxBytes)}.`);
        continue;
      }
      waiting.push({ file, title, parts });
    }
    titleInput.value = "";
    pump();
  }

  function pump() {
    while (running < PARALLEL && waiting.length) {
      running += 1;
      upload(waiting.shift()).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  function upload({ file, title, parts }) {
    setState(parts, "uploading", "uploading");
    parts.phase.textContent = "Upload";
    return window.ToonResumable.upload(file, {
      endpoint: form.dataset.uploads,
      csrf,
      title,
      chunkBytes: Number(form.dataset.chunkBytes),
      onProgress: (share) => {
        parts.progress.value = share;
        say(parts, `${Math.round(share * 100)}% uploaded.`);
      },
      onWaiting: (seconds) => say(parts, `The connection broke off; resuming from where it stopped in ${seconds} s.`),
    }).then(({ status, body }) => {
      if (status === 0) {
        refuse(parts, "The server could not be reached for several minutes; choose the file again to resume.");
      } else {
        answered(parts, status, body);
      }
    });
  }

  function answered(parts, status, body) {
    if (status === 201) {
      parts.progress.value = 1;
      follow(parts, body.id);
    } else if (status === 409 && body.episode) {
      refuse(parts, sentence(body.detail || "This video was already uploaded"),
        { href: `${episodes}${body.episode}/`, text: "Open that episode" });
    } else if (status === 401 || status === 403) {
      refuse(parts, "Your session has ended: log in again, then upload.");
    } else {
      refuse(parts, body.detail ? sentence(body.detail) : `The server refused the upload (HTTP ${status}).`);
    }
  }

  function follow(parts, id) {
    const page = { href: `${episodes}${id}/`, text: "Open the episode" };
    parts.phase.textContent = "Processing";
    parts.progress.value = 0;
    const pace = window.ToonProgress.clock();
    const poll = async () => {
      let body;
      try {
        const response = await fetch(`${api}${id}/`, { headers: { Accept: "application/json" } });
        body = await response.json();
        if (!response.ok) throw new Error(body.detail || `HTTP ${response.status}`);
      } catch (error) {
        say(parts, `Could not read its progress (${error.message}); retrying.`, page);
        setTimeout(poll, POLL_MS * 3);
        return;
      }
      parts.progress.value = body.progress;
      const outcome = body.status === "done" ? await found(body) : "";
      setState(parts, body.status, body.status);
      if (body.status === "done") {
        say(parts, outcome, page);
      } else if (body.status === "failed") {
        parts.message.classList.add("error");
        say(parts, sentence(`Processing failed: ${body.error || "no reason given"}`), page);
      } else {
        say(parts, window.ToonProgress.words(body, pace), page);
        setTimeout(poll, POLL_MS);
      }
    };
    poll();
  }

  // What a finished episode holds: which characters were looked for, and how many faces of each were found.
  let names = null;
  async function characterNames() {
    if (names) return names;
    const known = new Map();
    let url = form.dataset.characters;
    try {
      while (url) {
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok) break;
        const page = await response.json();
        for (const c of page.results || page) known.set(c.slug, c.name);
        url = page.next || null;
      }
    } catch {
      // the slugs stand in for names
    }
    names = known;
    return names;
  }

  const listed = (items) => (items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);

  async function found(body) {
    const run = body.current_run || {};
    const known = await characterNames();
    const sought = (run.characters || []).map((slug) => known.get(slug) || slug);
    const faces = (body.characters || []).filter((c) => c.detections > 0);
    const looked = sought.length ? `looked for ${listed(sought)}` : "no character was looked for";
    if (!faces.length) {
      return `Processed: no face found (${looked}). Open the episode to mark faces and teach the site a new character.`;
    }
    const counts = faces.map((c) => `${c.name} (${c.detections} face${c.detections === 1 ? "" : "s"})`);
    return `Processed: found ${listed(counts)}; ${looked}.`;
  }

  input.addEventListener("change", () => {
    if (input.files.length) enqueue([...input.files]);
    input.value = "";
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.files.length) enqueue([...input.files]);
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) enqueue([...event.dataTransfer.files]);
  });
})();
