// The compose form, enhanced: each entity row shows only the fields of its type, rows are added
// without a round trip, and the list of entity refs offered in relations stays current.
// Without this script the form works the same way (all fields shown, "Add" posts the form back).
"use strict";
(() => {
  const form = document.querySelector("form.compose");
  const entities = document.getElementById("entities");
  if (!form || !entities) {
    return;
  }
  const valueLabels = JSON.parse(entities.dataset.valueLabels || "{}");

  const typeOf = (row) => row.querySelector("select[name$='-type']").value;

  // Hidden fields are also disabled, so a value typed under another type is never sent.
  function applyType(row) {
    const type = typeOf(row);
    row.querySelectorAll(".typed").forEach((box) => {
      const shown = box.dataset.types.split(" ").includes(type);
      box.hidden = !shown;
      box.querySelectorAll("input, select, textarea").forEach((control) => {
        control.disabled = !shown;
      });
    });
    const value = row.querySelector("input[name$='-value']");
    const label = value && row.querySelector(`label[for="${value.id}"]`);
    if (label && valueLabels[type]) {
      label.textContent = valueLabels[type];
    }
  }

  function refreshRefs() {
    const list = document.getElementById("entity-refs");
    if (!list) {
      return;
    }
    list.replaceChildren();
    entities.querySelectorAll("[data-row='entities']").forEach((row) => {
      const option = document.createElement("option");
      option.value = row.querySelector("input[name$='-ref']").value;
      const value = row.querySelector("input[name$='-value']");
      option.textContent = (value && value.value) || typeOf(row);
      list.append(option);
    });
  }

  function nextIndex(container, kind) {
    let highest = -1;
    const pattern = new RegExp(`^${kind}-(\\d+)-`);
    container.querySelectorAll("[name]").forEach((control) => {
      const match = pattern.exec(control.getAttribute("name"));
      if (match) {
        highest = Math.max(highest, Number(match[1]));
      }
    });
    return highest + 1;
  }

  function addRow(kind) {
    const container = form.querySelector(`[data-rows='${kind}']`);
    const rows = container.querySelectorAll(`[data-row='${kind}']`);
    const copy = rows[rows.length - 1].cloneNode(true);
    const index = nextIndex(container, kind);
    const pattern = new RegExp(`^${kind}-\\d+-`);
    copy.querySelectorAll("[name], [id], [for]").forEach((element) => {
      for (const attribute of ["name", "id", "for"]) {
        const old = element.getAttribute(attribute);
        if (old) {
          element.setAttribute(attribute, old.replace(pattern, `${kind}-${index}-`));
        }
      }
      element.removeAttribute("aria-describedby");
      element.removeAttribute("aria-invalid");
    });
    copy.querySelectorAll(".error").forEach((message) => message.remove());
    copy.querySelectorAll(".has-error").forEach((box) => box.classList.remove("has-error"));
    copy.querySelectorAll("input").forEach((input) => {
      input.value = "";
    });
    copy.querySelectorAll("select").forEach((select) => {
      select.selectedIndex = 0;
    });
    if (kind === "entities") {
      const used = new Set(
        [...container.querySelectorAll("input[name$='-ref']")].map((input) => input.value),
      );
      let number = 1;
      while (used.has(`e${number}`)) {
        number += 1;
      }
      copy.querySelector("input[name$='-ref']").value = `e${number}`;
      copy.querySelector(".ref-label").textContent = `e${number}`;
      applyType(copy);
    } else {
      copy.querySelector("legend").textContent = window.ischiaText("Relation %(n)s", {
        n: rows.length + 1,
      });
    }
    container.append(copy);
    refreshRefs();
    const first = copy.querySelector("select, input:not([type=hidden])");
    if (first) {
      first.focus();
    }
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-add]");
    if (button) {
      event.preventDefault();
      addRow(button.dataset.add);
    }
  });
  form.addEventListener("change", (event) => {
    const row = event.target.closest("[data-row='entities']");
    if (row && event.target.matches("select[name$='-type']")) {
      applyType(row);
      refreshRefs();
    }
  });
  form.addEventListener("input", (event) => {
    if (event.target.matches("[data-row='entities'] input[name$='-value']")) {
      refreshRefs();
    }
  });

  entities.querySelectorAll("[data-row='entities']").forEach(applyType);
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
