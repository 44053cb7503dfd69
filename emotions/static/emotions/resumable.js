// A tus 1.0.0 client for /api/uploads/: the file goes up in chunks, each PATCHed from the offset the server holds,
// so a connection lost mid-way costs only the chunk under way. After a failure it asks the server (HEAD) where the
// upload stands and goes on from there, waiting longer after each failure (and for the browser to be back online).
// The upload's address is remembered in localStorage, so choosing the same file again after a reload resumes it.
// window.ToonResumable.upload(file, options) resolves to {status, body}: the final answer (201 and the episode, or
// the refusal), or status 0 when the server could not be reached at all.
(() => {
  "use strict";
  const TUS = { "Tus-Resumable": "1.0.0" };
  const RETRY_SECONDS = [1, 2, 4, 8, 15, 30, 30, 30];

  function request(method, url, { headers = {}, body = null, onProgress = null } = {}) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [name, value] of Object.entries({ ...TUS, Accept: "application/json", ...headers })) {
        xhr.setRequestHeader(name, value);
      }
      if (onProgress) {
        xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
      }
      xhr.addEventListener("load", () => resolve({ xhr, status: xhr.status }));
      xhr.addEventListener("error", () => resolve({ xhr, status: 0 }));
      xhr.addEventListener("abort", () => resolve({ xhr, status: 0 }));
      xhr.send(body);
    });
  }

  function parseJSON(text) {
    try {
      return JSON.parse(text);
    } catch {
      return {};
    }
  }

  const base64 = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));
  const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const online = () => (navigator.onLine ? Promise.resolve()
    : new Promise((resolve) => window.addEventListener("online", resolve, { once: true })));
  const rememberKey = (file) => `toonsite-upload:${file.name}:${file.size}:${file.lastModified}`;

  async function offsetAt(location, csrf) {
    const head = await request("HEAD", location, { headers: { "X-CSRFToken": csrf } });
    if (head.status === 200) return Number(head.xhr.getResponseHeader("Upload-Offset"));
    return head.status === 0 ? null : -1; // null: unreachable for now; -1: the upload is gone
  }

  async function start(file, { endpoint, csrf, title }) {
    const metadata = `filename ${base64(file.name)},title ${base64(title || "")}`;
    const created = await request("POST", endpoint, {
      headers: { "X-CSRFToken": csrf, "Upload-Length": String(file.size), "Upload-Metadata": metadata },
    });
    if (created.status !== 201) return { answer: { status: created.status, body: parseJSON(created.xhr.responseText) } };
    return { location: created.xhr.getResponseHeader("Location") };
  }

  async function upload(file, { endpoint, csrf, title = "", chunkBytes, onProgress = () => {}, onWaiting = () => {} }) {
    const key = rememberKey(file);
    let location = localStorage.getItem(key);
    let offset = location ? await offsetAt(location, csrf) : -1;
    if (offset === null || offset < 0) {
      const started = await start(file, { endpoint, csrf, title });
      if (started.answer) return started.answer;
      location = started.location;
      localStorage.setItem(key, location);
      offset = 0;
    }
    let failures = 0;
    for (;;) {
      const from = offset;
      const sent = await request("PATCH", location, {
        headers: { "X-CSRFToken": csrf, "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(from) },
        body: file.slice(from, from + chunkBytes),
        onProgress: (loaded) => onProgress((from + loaded) / file.size),
      });
      if (sent.status === 204) {
        offset = Number(sent.xhr.getResponseHeader("Upload-Offset"));
        failures = 0;
        onProgress(offset / file.size);
        continue;
      }
      const body = parseJSON(sent.xhr.responseText);
      if (sent.status === 0 || (sent.status >= 500 && sent.status !== 507) || body.code === "offset_mismatch") {
        if (failures >= RETRY_SECONDS.length) return { status: 0, body: {} };
        const wait = RETRY_SECONDS[failures];
        failures += 1;
        onWaiting(wait);
        await online();
        await sleep(wait);
        const now = await offsetAt(location, csrf);
        if (now === -1) break; // gone (expired): start again below
        if (now !== null) offset = now;
        continue;
      }
      localStorage.removeItem(key); // answered for good: the episode, or why not
      return { status: sent.status, body };
    }
    localStorage.removeItem(key);
    return upload(file, { endpoint, csrf, title, chunkBytes, onProgress, onWaiting });
  }

  window.ToonResumable = { upload };
})();
