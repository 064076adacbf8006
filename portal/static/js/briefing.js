// The briefing form: the PDF arrives as a download, so the page itself says what happens.
// On submit it says the briefing is being made; the PDF's response sets a short-lived cookie
// naming the copy, and once it is there the page goes to that copy's page, which confirms the
// download and says what the briefing contains. Without JavaScript the download still works.
(function () {
  "use strict";
  var COOKIE = "ischia-briefing-made";

  function made() {
    var match = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([0-9a-f]{12})"));
    return match ? match[1] : null;
  }

  function forget() {
    document.cookie = COOKIE + "=; Max-Age=0; Path=/briefings/; SameSite=Strict";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.briefing-form");
    var status = document.getElementById("briefing-progress");
    if (!form || !status) {
      return;
    }
    form.addEventListener("submit", function () {
      forget();
      status.hidden = false;
      status.textContent = window.ischiaText("Making the briefing: the PDF downloads when it is ready.");
      var timer = window.setInterval(function () {
        var copy = made();
        if (copy) {
          window.clearInterval(timer);
          forget();
          window.location.assign(form.action.replace(/\/$/, "") + "/" + copy + "?made=1");
        }
      }, 500);
      window.setTimeout(function () { window.clearInterval(timer); }, 600000);
    });
  });
})();
