// At phone width the frame search's forms fold away once a search has results, so the first result is on the first
// screen; their summary opens them again. Wider screens (and pages without this script) keep them open.
(function () {
  "use strict";
  const fold = document.querySelector("[data-fold-after-search]");
  if (fold && window.matchMedia("(max-width: 40rem)").matches) fold.open = false;
})();

// A grid of moments' selection (the frame search, the character browser, the episode page): "select all on this
// page" and a count of the faces chosen for the ZIP. The character browser swaps and appends its cards, so the
// count follows the grid. Without this script the checkboxes and the download button work as a plain form.
(function () {
  "use strict";
  const form = document.getElementById("download");
  if (!form) return;
  const boxes = () => Array.from(form.querySelectorAll("input[name=ids]"));
  const all = form.querySelector("[data-select-all]");
  const count = form.querySelector("[data-selected-count]");
  const button = form.querySelector("[data-download]");

  function update() {
    const chosen = boxes().filter((box) => box.checked).length;
    const text = chosen ? `${chosen} selected` : "Nothing selected yet";
    if (count.textContent !== text) count.textContent = text; // a change here is one the observer below sees
    button.disabled = chosen === 0;
    all.checked = chosen > 0 && chosen === boxes().length;
    all.indeterminate = chosen > 0 && chosen < boxes().length;
    boxes().forEach((box) => box.closest(".frame-result").classList.toggle("picked", box.checked));
  }

  all.closest("label").hidden = false;
  all.addEventListener("change", () => {
    boxes().forEach((box) => { box.checked = all.checked; });
    update();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "ids") update();
  });
  new MutationObserver(update).observe(form, { childList: true, subtree: true });
  update();
})();
