// The referral queue's live clocks: time left before each deadline, counting down in the
// browser from the server's ISO 8601 deadline, overdue ones in red; every time shown in the
// user's own time zone. Also the "select every item on this page" box of the bulk form.
// No inline script: the Content-Security-Policy forbids it.
"use strict";
(() => {
  const format = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });

  function span(milliseconds) {
    const minutes = Math.floor(Math.abs(milliseconds) / 60000);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const rest = minutes % 60;
    if (days > 0) return `${days} d ${hours} h`;
    if (hours > 0) return `${hours} h ${String(rest).padStart(2, "0")} min`;
    if (minutes > 0) return `${rest} min`;
    return `${Math.floor(Math.abs(milliseconds) / 1000)} s`;
  }

  function tick() {
    const now = Date.now();
    for (const clock of document.querySelectorAll(".clock[data-deadline]")) {
      const left = Date.parse(clock.dataset.deadline) - now;
      const overdue = left < 0;
      clock.textContent = overdue ? `overdue by ${span(left)}` : `${span(left)} left`;
      clock.classList.toggle("overdue", overdue);
      const row = clock.closest("tr");
      if (row && row.querySelector(".clock[data-deadline]") === clock) {
        row.classList.toggle("overdue", overdue);
      }
    }
  }

  function localTimes() {
    for (const time of document.querySelectorAll("time.local-time[datetime]")) {
      const moment = new Date(time.getAttribute("datetime"));
      if (!Number.isNaN(moment.getTime())) {
        time.title = time.textContent;
        time.textContent = format.format(moment);
      }
    }
  }

  function selectAll() {
    for (const box of document.querySelectorAll("input.select-all")) {
      box.addEventListener("change", () => {
        for (const item of document.querySelectorAll("input[type=checkbox][name=items]")) {
          item.checked = box.checked;
        }
      });
    }
  }

  function start() {
    localTimes();
    selectAll();
    tick();
    window.setInterval(tick, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
