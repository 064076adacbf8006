// The referral queue's live clocks: time left before each deadline, counting down in the
// browser from the server's ISO 8601 deadline, overdue ones in red; every time shown in the
// user's own time zone. Also the "select every item on this page" box of the bulk form.
// No inline script: the Content-Security-Policy forbids it. Words come from window.ischiaText
// (portal.js), in the page's language, and are listed in portal/i18n.py SCRIPT_MESSAGES.
"use strict";
(() => {
  const text = (message, values) => window.ischiaText(message, values);
  // As local-time.js writes times: the page's language (English as in the UK), 24-hour clock.
  const language = document.documentElement.lang || "en";
  const locale = language === "en" ? "en-GB" : language;
  const format = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium", timeStyle: "short", hourCycle: "h23",
  });
  const zone = new Intl.DateTimeFormat(locale, { timeZoneName: "short" });

  function span(milliseconds) {
    const minutes = Math.floor(Math.abs(milliseconds) / 60000);
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const rest = minutes % 60;
    if (days > 0) return text("%(days)s d %(hours)s h", { days, hours });
    if (hours > 0) {
      return text("%(hours)s h %(minutes)s min", { hours, minutes: String(rest).padStart(2, "0") });
    }
    if (minutes > 0) return text("%(minutes)s min", { minutes: rest });
    return text("%(seconds)s s", { seconds: Math.floor(Math.abs(milliseconds) / 1000) });
  }

  function tick() {
    const now = Date.now();
    for (const clock of document.querySelectorAll(".clock[data-deadline]")) {
      const left = Date.parse(clock.dataset.deadline) - now;
      const overdue = left < 0;
      clock.textContent = overdue
        ? text("overdue by %(time)s", { time: span(left) })
        : text("%(time)s left", { time: span(left) });
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
        const name = zone.formatToParts(moment).find((part) => part.type === "timeZoneName");
        time.title = time.textContent;
        time.textContent = name ? `${format.format(moment)} ${name.value}` : format.format(moment);
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
