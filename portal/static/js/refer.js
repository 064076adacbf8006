// The refer page, enhanced: "Add another item" adds a row without a round trip. Without this
// script the button posts the form back and the page returns with one more row, nothing lost.
"use strict";
(() => {
  const form = document.querySelector("form.refer");
  const container = form && form.querySelector("[data-rows='items']");
  if (!container) {
    return;
  }
  const MOST = 100;

  function nextIndex() {
    let highest = -1;
    container.querySelectorAll("[name]").forEach((control) => {
      const match = /^items-(\d+)-/.exec(control.getAttribute("name"));
      if (match) {
        highest = Math.max(highest, Number(match[1]));
      }
    });
    return highest + 1;
  }

  function addRow() {
    const rows = container.querySelectorAll("[data-row='items']");
    if (rows.length >= MOST) {
      return;
    }
    const copy = rows[rows.length - 1].cloneNode(true);
    const index = nextIndex();
    copy.querySelectorAll("[name], [id], [for]").forEach((element) => {
      for (const attribute of ["name", "id", "for"]) {
        const old = element.getAttribute(attribute);
        if (old) {
          element.setAttribute(attribute, old.replace(/^items-\d+-/, `items-${index}-`));
        }
      }
      element.removeAttribute("aria-describedby");
      element.removeAttribute("aria-invalid");
    });
    copy.querySelectorAll(".error").forEach((message) => message.remove());
    copy.querySelectorAll(".has-error").forEach((box) => box.classList.remove("has-error"));
    copy.querySelectorAll("input, textarea").forEach((input) => {
      input.value = "";
    });
    copy.querySelectorAll("select").forEach((select) => {
      select.selectedIndex = 0;
    });
    copy.querySelector("legend").textContent = window.ischiaText("Item %(number)s", {
      number: rows.length + 1,
    });
    container.append(copy);
    copy.querySelector("input").focus();
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-add='items']");
    if (button) {
      event.preventDefault();
      addRow();
    }
  });
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
