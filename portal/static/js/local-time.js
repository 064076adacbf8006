// Times in the reader's own time zone. The server writes every time in UTC inside
// <time datetime="..." data-local>; this shows it in the browser's zone, keeping the UTC
// time in the title. Without the script the UTC time is what one reads.
"use strict";
(() => {
  const pad = (n) => String(n).padStart(2, "0");
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" });
  document.querySelectorAll("time[data-local]").forEach((element) => {
    const moment = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) {
      return;
    }
    const name = zone.formatToParts(moment).find((part) => part.type === "timeZoneName");
    let text =
      `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())} ` +
      `${pad(moment.getHours())}:${pad(moment.getMinutes())}`;
    if (element.hasAttribute("data-seconds")) {
      text += `:${pad(moment.getSeconds())}`;
    }
    element.title = element.textContent;
    element.textContent = name ? `${text} ${name.value}` : text;
  });
})();
