// Times in the reader's own time zone, written as the page's language writes them. The server
// writes every time in UTC inside <time datetime="..." data-local>; this shows it in the
// browser's zone, keeping the UTC text in the title. Without the script the UTC time is what
// one reads.
"use strict";
(() => {
  const language = document.documentElement.lang || "en";
  const locale = language === "en" ? "en-GB" : language;
  const options = (seconds) => ({
    dateStyle: "medium",
    timeStyle: seconds ? "medium" : "short",
    hourCycle: "h23",
  });
  const zone = new Intl.DateTimeFormat(locale, { timeZoneName: "short" });
  document.querySelectorAll("time[data-local]").forEach((element) => {
    const moment = new Date(element.getAttribute("datetime"));
    if (Number.isNaN(moment.getTime())) {
      return;
    }
    const name = zone.formatToParts(moment).find((part) => part.type === "timeZoneName");
    const seconds = element.hasAttribute("data-seconds");
    const text = new Intl.DateTimeFormat(locale, options(seconds)).format(moment);
    element.title = element.textContent;
    element.textContent = name ? `${text} ${name.value}` : text;
  });
})();
