// The character browser: emotion tabs switch the gallery in place (click, or arrow keys / Home / End as ARIA tabs
// do), and "Load more" appends the next page of faces. Without this script the tabs and "Next page" are plain links.
(function () {
  "use strict";
  const tablist = document.querySelector(".emotion-tabs");
  const panel = document.getElementById("gallery");
  if (!tablist || !panel) return;
  const tabs = Array.from(tablist.querySelectorAll("[role=tab]"));
  // One tab stop for the tablist (arrow keys move inside it); without the script every tab link is reachable.
  tabs.forEach((tab) => { tab.tabIndex = tab.getAttribute("aria-selected") === "true" ? 0 : -1; });

  async function fetchFragment(query) {
    const url = new URL(panel.dataset.url, window.location.href);
    url.search = query;
    url.searchParams.set("fragment", "1");
    const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const holder = document.createElement("template");
    holder.innerHTML = await response.text();
    return holder.content;
  }

  function showError(message) {
    let note = panel.querySelector(".load-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "error load-error";
      note.setAttribute("role", "alert");
      panel.append(note);
    }
    note.textContent = `Could not load the faces (${message}). The links still work.`;
  }

  function enableLoadMore() {
    const button = panel.querySelector(".load-more");
    const link = panel.querySelector(".next-link");
    if (!button) return;
    button.hidden = false;
    if (link) link.hidden = true;
    button.addEventListener("click", async () => {
      button.disabled = true;
      button.textContent = "Loading…";
      try {
        const fragment = await fetchFragment(button.dataset.more);
        const list = panel.querySelector("[data-gallery]");
        const tiles = fragment.querySelectorAll("[data-gallery] > li");
        list.append(...tiles);
        panel.querySelector("[data-pager]").replaceWith(fragment.querySelector("[data-pager]"));
        // "Back to the most confident" belongs to pages reached by a link; an appended page stays on the first.
        const back = panel.querySelector("[data-pager] a:not(.next-link)");
        if (back) back.remove();
        enableLoadMore();
        if (tiles.length) tiles[0].querySelector("a").focus();
      } catch (error) {
        button.disabled = false;
        button.textContent = "Load more";
        showError(error.message);
      }
    });
  }

  async function select(tab, focus) {
    tabs.forEach((other) => {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      other.tabIndex = chosen ? 0 : -1;
    });
    if (focus) tab.focus();
    panel.setAttribute("aria-labelledby", tab.id);
    panel.setAttribute("aria-busy", "true");
    try {
      const fragment = await fetchFragment(`?emotion=${encodeURIComponent(tab.dataset.emotion)}`);
      if (tab.getAttribute("aria-selected") !== "true") return; // another tab was chosen meanwhile
      panel.replaceChildren(fragment);
      history.replaceState(null, "", tab.href);
      enableLoadMore();
    } catch (error) {
      showError(error.message);
    } finally {
      panel.removeAttribute("aria-busy");
    }
  }

  tablist.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (!tab || event.ctrlKey || event.metaKey || event.shiftKey) return; // let a new tab/window open
    event.preventDefault();
    select(tab, false);
  });

  tablist.addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    select(tabs[(moves[event.key] + tabs.length) % tabs.length], true);
  });

  enableLoadMore();
})();
