// Ischia's own script: no inline handlers (the Content-Security-Policy forbids them).
"use strict";
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset.confirm;
  // A form missing a required field goes to the portal unasked: its answer names what is
  // missing, and the question comes once the form could be carried out.
  if (question && event.target.checkValidity() && !window.confirm(question)) {
    event.preventDefault();
  }
});

// The page's language for messages the scripts show: /language/<lang>/messages.js (loaded
// before this file, cached by the browser) holds the translation of each message listed in
// portal/i18n.py (SCRIPT_MESSAGES); an unlisted one stays as written. "%(name)s" takes
// values[name].
window.ischiaText = (message, values = {}) => {
  const table = window.ischiaMessages || {};
  const text = Object.hasOwn(table, message) ? table[message] : message;
  return text.replace(/%\((\w+)\)s/g, (whole, name) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
};

// A day (YYYY-MM-DD) as the page's language writes it, as the portal's pages do: "12 Jul 2025",
// "12 juil. 2025", "12.07.2025", "2025/07/12". Anything else stays as it is.
window.ischiaDay = (iso) => {
  const lang = document.documentElement.lang || "en";
  const moment = new Date(`${iso}T00:00:00Z`);
  if (!/^\d{4}-\d\d-\d\d$/.test(String(iso)) || Number.isNaN(moment.valueOf())) {
    return String(iso);
  }
  const locale = lang === "en" ? "en-GB" : lang;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(moment);
};

// A message with a count: the English singular or plural chosen by the page's language's own
// rule (French says "0 chemin" and "1 chemin", Japanese has one form), then translated.
window.ischiaCount = (count, one, other, values = {}) => {
  const rule = new Intl.PluralRules(document.documentElement.lang || "en");
  return window.ischiaText(rule.select(count) === "one" ? one : other, { count, ...values });
};
