// renkei 事務局コンソール: small progressive enhancements; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Buttons that change something for good ask first (data-confirm="…").
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Preview tabs: desktop, phone, text part.
  document.querySelectorAll(".frames .tabs button").forEach((button) => {
    button.addEventListener("click", () => {
      const frames = button.closest(".frames");
      frames.querySelectorAll("[data-pane]").forEach((pane) => {
        pane.hidden = pane.dataset.pane !== button.dataset.show;
      });
      frames.querySelectorAll(".tabs button").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    });
  });
  // Live send progress: polls the progress figures without reloading the page.
  const live = document.querySelector("[data-progress-url]");
  if (live) {
    const show = (data) => {
      for (const key of Object.keys(data)) {
        live.querySelectorAll(`[data-field="${key}"]`).forEach((el) => { el.textContent = data[key]; });
      }
      if (data.state === "running") {
        document.querySelectorAll("[data-idle-only]").forEach((el) => { el.hidden = true; });
      }
      const bar = live.querySelector("progress.progress");
      if (bar && data.percent !== undefined) bar.value = data.percent;
      if (data.finished) {
        const done = live.querySelector("[data-when-finished]");
        if (done) done.hidden = false;
        return true;
      }
      return false;
    };
    const poll = async () => {
      try {
        const response = await fetch(live.dataset.progressUrl, { headers: { Accept: "application/json" } });
        if (response.ok && show(await response.json())) return;
      } catch (error) { /* the next poll tries again */ }
      window.setTimeout(poll, 1000);
    };
    poll();
  }
});
