// The analyst workspace: Cytoscape.js (served by the portal from npm, never a CDN) over the
// JSON endpoints of /analysis. Every text from the server goes into the page as text, never
// as HTML: names and handles come from adversaries.
"use strict";
(() => {
  const root = document.getElementById("workspace");
  if (!root || typeof window.cytoscape !== "function") {
    return;
  }
  const urls = root.dataset;
  const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
    "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"];
  const shapes = { person: "ellipse", account: "round-rectangle", group: "hexagon",
    phone: "diamond", email: "diamond", url: "triangle", location: "vee" };
  const status = document.getElementById("status");
  const panel = document.getElementById("panel");
  const state = { centre: null, pathFrom: null, pathTo: null, waiting: false };

  const cy = window.cytoscape({
    container: document.getElementById("graph"),
    // No custom wheelSensitivity: Cytoscape warns about it in the console (zoom feels
    // different from one mouse to another), and its default suits most.
    style: [
      // Labels are text (Cytoscape draws them on a canvas, never as HTML) and show only when
      // they fit: below 8 px on screen they are hidden, so a zoomed-out view is not a smear.
      { selector: "node", style: {
        label: "data(label)", "font-size": 10, "min-zoomed-font-size": 8,
        "text-wrap": "ellipsis", "text-max-width": 120, "text-valign": "bottom", "text-margin-y": 2,
        "text-background-color": "#fff", "text-background-opacity": 0.75, "text-background-padding": 1,
        "background-color": "#7f7f7f", width: 22, height: 22,
        shape: (n) => shapes[n.data("type")] || "ellipse" } },
      { selector: "node.cells", style: {
        "background-color": (n) => palette[(n.data("community") || 0) % palette.length] } },
      { selector: "node.sized", style: {
        width: (n) => 16 + Math.min(60, 400 * (n.data("score") || 0)),
        height: (n) => 16 + Math.min(60, 400 * (n.data("score") || 0)) } },
      { selector: "node.centre", style: { "border-width": 3, "border-color": "#333", "font-weight": "bold" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#000" } },
      { selector: "edge", style: {
        width: 1.5, "line-color": "#bbb", "target-arrow-color": "#bbb",
        "target-arrow-shape": "triangle", "curve-style": "bezier",
        label: (e) => relationName(e.data("type") || ""),
        "font-size": 8, "min-zoomed-font-size": 10, color: "#555" } },
      { selector: ".dimmed", style: { opacity: 0.15 } },
      { selector: "node.path", style: { "border-color": "#d62728", "border-width": 5, opacity: 1, "z-index": 10 } },
      { selector: "edge.path", style: { "line-color": "#d62728", "target-arrow-color": "#d62728",
        width: 6, opacity: 1, "z-index": 10, "font-size": 10, color: "#d62728" } },
    ],
  });
  window.ischiaGraph = cy; // for people and tests who inspect the view from the console

  const say = (text) => { status.textContent = text; };
  // Entity types as the page's language names them (the server sends the codes).
  const TYPE_NAMES = {
    person: window.ischiaText("Person"), account: window.ischiaText("Online account"),
    group: window.ischiaText("Group"), phone: window.ischiaText("Phone"),
    email: window.ischiaText("E-mail"), url: window.ischiaText("Web address"),
    location: window.ischiaText("Place"),
  };
  const typeName = (type) => TYPE_NAMES[type] || type;
  // Relations and timeline events as the page's language names them (the server sends codes);
  // a function, so the graph's style can call it before this point of the script has run.
  function relationName(kind) {
    const names = {
      uses_account: window.ischiaText("uses account"),
      uses_phone: window.ischiaText("uses phone"),
      uses_email: window.ischiaText("uses e-mail"),
      member_of: window.ischiaText("member of"),
      recruited: window.ischiaText("recruited"),
      contacted: window.ischiaText("contacted"),
      travelled_to: window.ischiaText("travelled to"),
      financed: window.ischiaText("financed"),
      same_as: window.ischiaText("same as"),
      related_to: window.ischiaText("related to"),
      journey: window.ischiaText("journey"),
      bulletin: window.ischiaText("bulletin"),
      sighting: window.ischiaText("sighting"),
    };
    return names[kind] || kind.replace(/_/g, " ");
  }

  async function getJSON(url, params) {
    const query = params ? `?${params.toString()}` : "";
    const response = await fetch(url + query, { credentials: "same-origin",
      headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error((body.error && body.error.message) || window.ischiaText("Error %(status)s", { status: response.status }));
    }
    return body;
  }

  async function postJSON(url, data) {
    const response = await fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
        "X-CSRFToken": urls.csrf },
      body: JSON.stringify(data) });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error((body.error && body.error.message) || window.ischiaText("Error %(status)s", { status: response.status }));
    }
    return body;
  }

  function filterParams() {
    const form = document.getElementById("view-filters");
    const params = new URLSearchParams();
    const types = [...form.querySelectorAll("input[name=types]:checked")].map((c) => c.value);
    if (types.length < 7) { params.set("types", types.join(",")); }
    for (const name of ["since", "until", "orgs"]) {
      const value = form.elements[name].value.trim();
      if (value) { params.set(name, value); }
    }
    const markings = [...form.querySelectorAll("input[name=markings]:checked")].map((c) => c.value);
    if (markings.length) { params.set("markings", markings.join(",")); }
    params.set("radius", form.elements.radius.value);
    params.set("limit", form.elements.limit.value);
    return params;
  }

  function restyle() {
    const cells = document.getElementById("colour-cells").checked;
    cy.nodes().toggleClass("cells", cells);
    cy.nodes().toggleClass("sized", document.getElementById("size-influence").checked);
    cy.nodes().removeClass("centre");
    if (state.centre) { cy.getElementById(state.centre).addClass("centre"); }
    legendCells(cells);
  }

  // The legend lists the cells on screen: their colour and how many entities each holds.
  function legendCells(shown) {
    const list = document.getElementById("legend-cells");
    list.replaceChildren();
    if (!shown) { return; }
    const counts = new Map();
    cy.nodes().forEach((n) => {
      const cell = n.data("community");
      if (cell !== undefined) { counts.set(cell, (counts.get(cell) || 0) + 1); }
    });
    [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).forEach(([cell, count]) => {
      const entry = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "legend-swatch";
      swatch.style.backgroundColor = palette[cell % palette.length];
      entry.append(swatch, document.createTextNode(window.ischiaText("Cell %(cell)s: %(count)s on screen", { cell: cell + 1, count })));
      list.append(entry);
    });
  }

  function show(elements, replace) {
    if (replace) { cy.elements().remove(); }
    const fresh = [...elements.nodes, ...elements.edges].filter((e) => cy.getElementById(e.data.id).empty());
    cy.add(fresh);
    restyle();
    cy.layout({ name: "cose", animate: false, randomize: false, nodeDimensionsIncludeLabels: true }).run();
    say(window.ischiaText("%(entities)s entities, %(relations)s relations on screen.", { entities: cy.nodes().length, relations: cy.edges().length }));
  }

  async function open(node, radius, replace) {
    const params = filterParams();
    params.set("node", node);
    if (radius) { params.set("radius", String(radius)); }
    try {
      const data = await getJSON(urls.neighbourhoodUrl, params);
      if (replace) { state.centre = node; }
      show(data.elements, replace);
      // What the cut left out, from the server's own count ("showing 40 of 2,140").
      document.getElementById("view-count").textContent = replace
        ? data.message : window.ischiaText("Expanded %(entity)s: %(message)s", { entity: cy.getElementById(node).data("label") || "", message: data.message });
      if (data.measures === false) { waitForMeasures(); }
    } catch (error) { say(error.message); }
  }

  // On a large graph, cells and influence take seconds: the server computes them in the
  // background; the view is redrawn with them once they are ready.
  // One wait at a time; when they are ready, the nodes on screen get their cell and influence
  // (what the analyst expanded stays).
  async function waitForMeasures() {
    if (state.waiting) { return; }
    state.waiting = true;
    say(window.ischiaText("%(entities)s entities on screen; computing cells and influence of the whole graph…", { entities: cy.nodes().length }));
    try {
      for (let attempt = 0; attempt < 300; attempt += 1) {
        await new Promise((resolve) => { setTimeout(resolve, 1000); });
        const answer = await getJSON(urls.measuresUrl).catch(() => ({ ready: false }));
        if (answer.ready) {
          const fresh = await postJSON(urls.viewUrl, { nodes: cy.nodes().map((n) => n.id()) });
          for (const n of fresh.elements.nodes) { cy.getElementById(n.data.id).data(n.data); }
          restyle();
          say(window.ischiaText("%(entities)s entities, %(relations)s relations on screen.", { entities: cy.nodes().length, relations: cy.edges().length }));
          return;
        }
      }
      say(window.ischiaText("Cells and influence are still being computed: apply the filters again later."));
    } finally {
      state.waiting = false;
    }
  }

  function item(text, tag = "li") {
    const element = document.createElement(tag);
    element.textContent = text;
    return element;
  }

  document.getElementById("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const list = document.getElementById("search-hits");
    list.replaceChildren();
    const q = document.getElementById("search-q").value;
    try {
      const data = await getJSON(urls.searchUrl, new URLSearchParams({ q }));
      if (!data.groups.length) { list.append(item(window.ischiaText("No entity of your organisation's graph matches."))); }
      // Spellings of one name are one result; each record stays its own entity.
      data.groups.forEach((group, index) => {
        const entry = document.createElement("li");
        const button = item(`${group.label} (${typeName(group.type)})`, "button");
        button.type = "button";
        button.className = "link-button";
        button.dir = "auto";
        button.dataset.node = group.node;
        button.addEventListener("click", () => open(group.node, null, true));
        entry.append(button);
        if (group.nodes.length > 1) {
          const more = item(` ${window.ischiaText("%(count)s records; spellings: %(spellings)s", { count: group.nodes.length, spellings: group.variants.join(" / ") })}`, "span");
          more.className = "search-variants";
          more.dir = "auto";
          const others = document.createElement("select");
          others.setAttribute("aria-label", window.ischiaText("Records of %(name)s", { name: group.label }));
          group.nodes.forEach((member, i) => {
            // Each record says which organisation reported it and when: same names read apart.
            const option = item(`${i + 1}. ${member.record || member.label}`, "option");
            option.value = member.node;
            others.append(option);
          });
          others.addEventListener("change", () => open(others.value, null, true));
          entry.append(more, " ", others);
        }
        list.append(entry);
        if (index === 0) { open(group.node, null, true); }
      });
    } catch (error) { list.append(item(error.message)); }
  });

  document.getElementById("view-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.centre) { open(state.centre, null, true); } else { restyle(); }
  });
  document.getElementById("colour-cells").addEventListener("change", restyle);
  document.getElementById("size-influence").addEventListener("change", restyle);

  function panelButton(label, onClick) {
    const button = item(label, "button");
    button.type = "button";
    button.addEventListener("click", onClick);
    return button;
  }

  async function details(node) {
    panel.replaceChildren(item(window.ischiaText("Entity"), "h2"));
    try {
      const data = await getJSON(urls.nodeUrl, new URLSearchParams({ node }));
      const title = item(data.label, "p");
      title.dir = "auto";
      title.className = "entity-label";
      panel.append(title, item(window.ischiaText("%(type)s · reported by %(organisations)s", { type: typeName(data.type), organisations: data.organisations.join(", ") }), "p"));
      const actions = document.createElement("p");
      actions.append(
        panelButton(window.ischiaText("Expand"), () => open(node, 1, false)),
        panelButton(window.ischiaText("Collapse"), () => collapse(node)),
        panelButton(window.ischiaText("Path from here"), () => { state.pathFrom = node; document.getElementById("path-from").textContent = data.label; }),
        panelButton(window.ischiaText("Path to here"), () => { state.pathTo = node; document.getElementById("path-to").textContent = data.label; }),
      );
      panel.append(actions);
      if (data.referrals) {
        // The organisation's own referrals of this account or URL, and what the platforms did.
        const referred = item(data.referrals.text, "p");
        referred.className = "referral-outcomes";
        panel.append(item(window.ischiaText("Referred by your organisation"), "h3"), referred);
      }
      panel.append(item(window.ischiaText("Bulletins you can read (%(count)s)", { count: data.bulletins.length }), "h3"),
        bulletinList(data.bulletins));
      if (data.type === "person") { await samePerson(node); }
      if (data.hidden.length) {
        const total = data.hidden.reduce((sum, h) => sum + h.count, 0);
        const from = data.hidden.map((h) => `${h.org} (${h.count})`).join(", ");
        panel.append(item(window.ischiaCount(total, "Also in %(count)s bulletin you cannot read, from %(from)s.", "Also in %(count)s bulletins you cannot read, from %(from)s.", { from }), "p"));
        for (const h of data.hidden) {
          const ask = item(window.ischiaText("Ask %(org)s for access", { org: h.org }), "a");
          const params = new URLSearchParams({ q: data.ask.q || "", org: h.org });
          if (data.ask.platform) { params.set("platform", data.ask.platform); }
          ask.href = `${urls.askUrl}?${params.toString()}`;
          ask.className = "button";
          panel.append(ask);
        }
      }
    } catch (error) { panel.append(item(error.message, "p")); }
  }

  // "Possibly the same person": never merged by name alone; an analyst decides, on record.
  async function samePerson(node) {
    const data = await getJSON(urls.personsUrl, new URLSearchParams({ node }));
    if (data.suggestions.length) {
      panel.append(item(window.ischiaText("Possibly the same person"), "h3"));
      const explained = item(data.score_explained, "p");
      explained.className = "hint";
      const list = document.createElement("ul");
      for (const s of data.suggestions) {
        const reasons = [s.name_reason, ...s.reasons];
        const entry = item(window.ischiaText("%(record)s — score %(score)s: %(reasons)s", { record: s.record, score: Number(s.score).toFixed(2), reasons: reasons.join("; ") }));
        entry.dir = "auto";
        const decide = (same) => async () => {
          try {
            await postJSON(urls.decideUrl, { first: node, second: s.node, same });
            say(same ? window.ischiaText("Recorded: the same person. The graph joins them.") : window.ischiaText("Recorded: not the same person."));
            if (state.centre) { open(state.centre, null, true); }
            panel.replaceChildren(item(window.ischiaText("Entity"), "h2"), item(window.ischiaText("Decision recorded."), "p"));
          } catch (error) { say(error.message); }
        };
        entry.append(" ", panelButton(window.ischiaText("Same person"), decide(true)), panelButton(window.ischiaText("Not the same"), decide(false)));
        list.append(entry);
      }
      panel.append(explained, list);
    }
    if (data.decisions.length) {
      panel.append(item(window.ischiaText("Decisions on record"), "h3"));
      const list = document.createElement("ul");
      for (const d of data.decisions) {
        const entry = item(`${d.same ? window.ischiaText("Same person") : window.ischiaText("Not the same person")} — ${d.by}, ${d.at}${d.note ? ` (${d.note})` : ""}`);
        entry.append(" ", panelButton(window.ischiaText("Revoke"), async () => {
          try {
            await postJSON(urls.revokeUrl.replace(/0\/revoke$/, `${d.id}/revoke`), {});
            say(window.ischiaText("Decision revoked."));
            if (state.centre) { open(state.centre, null, true); }
          } catch (error) { say(error.message); }
        }));
        list.append(entry);
      }
      panel.append(list);
    }
  }

  function collapse(node) {
    const centre = cy.getElementById(node);
    // Neighbours that hang on this node alone go; the node itself stays.
    centre.neighborhood("node").filter((n) => n.degree(false) <= 1 && n.id() !== state.centre).remove();
    say(window.ischiaText("%(entities)s entities, %(relations)s relations on screen.", { entities: cy.nodes().length, relations: cy.edges().length }));
  }

  function bulletinList(bulletins) {
    const list = document.createElement("ul");
    for (const b of bulletins) {
      const entry = document.createElement("li");
      const link = item(b.title, "a");
      link.href = urls.bulletinUrl.replace("BULLETIN", b.id);
      link.dir = "auto";
      entry.append(link, document.createTextNode(` · ${b.organisation} · ${window.ischiaDay(b.reported_on)} · ${b.marking}`));
      list.append(entry);
    }
    return list;
  }

  async function edgeDetails(edge) {
    panel.replaceChildren(item(window.ischiaText("Relation"), "h2"));
    try {
      const data = await getJSON(urls.edgeUrl, new URLSearchParams({
        source: edge.source().id(), target: edge.target().id(), type: edge.data("type") }));
      const title = item(`${data.source_label} — ${relationName(data.type)} → ${data.target_label}`, "p");
      title.dir = "auto";
      title.className = "entity-label";
      panel.append(title);
      if (data.dates.length) { panel.append(item(window.ischiaText("Dated %(dates)s", { dates: data.dates.map(window.ischiaDay).join(", ") }), "p")); }
      panel.append(item(window.ischiaText("Stated in (%(count)s)", { count: data.bulletins.length }), "h3"), bulletinList(data.bulletins));
    } catch (error) { panel.append(item(error.message, "p")); }
  }

  cy.on("tap", "node", (event) => details(event.target.id()));
  cy.on("tap", "edge", (event) => edgeDetails(event.target));
  cy.on("dbltap", "node", (event) => open(event.target.id(), 1, false));

  function clearPath() {
    cy.elements().removeClass("path").removeClass("dimmed");
  }
  document.getElementById("clear-path").addEventListener("click", clearPath);

  document.getElementById("find-path").addEventListener("click", async () => {
    if (!state.pathFrom || !state.pathTo) { say(window.ischiaText("Choose both ends of the path in the entity panel.")); return; }
    try {
      const data = await getJSON(urls.pathsUrl, new URLSearchParams({ source: state.pathFrom, target: state.pathTo }));
      clearPath();
      if (!data.paths.length) { say(data.message || window.ischiaText("These two entities are not connected in your organisation's graph.")); return; }
      show(data.elements, false);
      for (const path of data.paths) {
        for (let i = 0; i < path.length; i += 1) {
          cy.getElementById(path[i]).addClass("path");
          if (i > 0) {
            cy.edges().filter((e) => (e.source().id() === path[i - 1] && e.target().id() === path[i])
              || (e.source().id() === path[i] && e.target().id() === path[i - 1])).addClass("path");
          }
        }
      }
      // The path stands out: thick red edges, everything else faded.
      cy.elements().not(".path").addClass("dimmed");
      say(window.ischiaCount(data.paths.length, "%(count)s shortest path of %(steps)s steps.", "%(count)s shortest paths of %(steps)s steps.", { steps: data.paths[0].length - 1 }));
    } catch (error) { say(error.message); }
  });

  // The timeline: a time axis (vis-timeline, served by the portal like Cytoscape.js) and the
  // same events as a list. Each event's text is put in as text (a DOM node), never as HTML.
  let axis = null;
  function focusNodes(ids) {
    const found = cy.collection(ids.map((id) => cy.getElementById(id)).filter((n) => n.nonempty()));
    cy.elements().unselect();
    if (found.nonempty()) {
      found.select();
      cy.animate({ fit: { eles: found.closedNeighborhood(), padding: 60 } }, { duration: 200 });
    }
    return found;
  }

  function eventPanel(e) {
    panel.replaceChildren(item(window.ischiaText("Event"), "h2"));
    const what = item(`${window.ischiaDay(e.on)} · ${relationName(e.kind)} · ${e.text || e.labels.join(" → ")}`, "p");
    what.dir = "auto";
    what.className = "entity-label";
    const link = item(e.title, "a");
    link.href = urls.bulletinUrl.replace("BULLETIN", e.bulletin);
    link.dir = "auto";
    const from = document.createElement("p");
    from.append(window.ischiaText("Reported in:"), " ", link, " · ", e.dated_by_report ? window.ischiaText("by %(sender)s (dated by the report)", { sender: e.sender }) : window.ischiaText("by %(sender)s", { sender: e.sender }));
    panel.append(what, from);
  }

  // A label on the axis is cut to a few words (the full text is its title, shown on hover):
  // long names would otherwise run off the axis.
  const AXIS_LABEL = 32;
  const cut = (text) => (text.length > AXIS_LABEL ? `${text.slice(0, AXIS_LABEL - 1)}…` : text);
  const eventText = (e) => e.text || e.labels.join(" → ");

  function timelineText(e) {
    // Each name in its own <bdi>: an Arabic name next to a phone number keeps both readable.
    const node = document.createElement("span");
    node.className = "timeline-label";
    e.labels.forEach((label, i) => {
      if (i > 0) { node.append(" → "); }
      const part = document.createElement("bdi");
      part.textContent = cut(label);
      node.append(part);
    });
    if (e.kind === "sighting" && e.detail) { node.append(` · ${cut(e.detail)}`); }
    node.title = `${window.ischiaDay(e.on)} · ${eventText(e)} — ${e.title} (${e.sender})`;
    return node;
  }

  // The axis opens on every event with room around it: a margin before the first and, for
  // the labels that run to the right of their point, a wider one after the last.
  // The time axis's labels as the page's language writes dates (the library's own are English).
  const axisLabels = () => {
    const lang = document.documentElement.lang || "en";
    const locale = lang === "en" ? "en-GB" : lang;
    const as = (options) => new Intl.DateTimeFormat(locale, options);
    const minor = {
      year: as({ year: "numeric" }), month: as({ month: "short" }),
      week: as({ day: "numeric", month: "short" }), weekday: as({ weekday: "short", day: "numeric" }),
      day: as({ day: "numeric" }),
      hour: as({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
      minute: as({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    };
    const major = {
      year: as({ year: "numeric" }), month: as({ year: "numeric" }),
      week: as({ month: "long", year: "numeric" }), weekday: as({ month: "long", year: "numeric" }),
      day: as({ month: "long", year: "numeric" }), hour: as({ dateStyle: "medium" }),
      minute: as({ dateStyle: "medium" }),
    };
    const pick = (table) => (date, scale) =>
      (table[scale] || as({ timeStyle: "medium", hourCycle: "h23" })).format(new Date(date.valueOf()));
    return { minorLabels: pick(minor), majorLabels: pick(major) };
  };

  function axisWindow(events) {
    const day = 86400000;
    const times = events.map((e) => Date.parse(e.on));
    const first = Math.min(...times);
    const last = Math.max(...times);
    const span = Math.max(last - first, day);
    return { start: new Date(first - span * 0.08 - day), end: new Date(last + span * 0.35 + 2 * day) };
  }

  // When the rows are taller than the axis, say so: vis-timeline's scroll bar is easy to miss.
  function hintScrolling(container) {
    const hint = document.getElementById("timeline-more");
    const left = container.querySelector(".vis-panel.vis-left");
    hint.hidden = !(left && left.scrollHeight > left.clientHeight + 2);
  }

  document.getElementById("show-timeline").addEventListener("click", async () => {
    const list = document.getElementById("timeline");
    list.replaceChildren();
    say("");  // what the status said (a path found) is about another view
    try {
      const data = await postJSON(urls.timelineUrl, { nodes: cy.nodes().map((n) => n.id()) });
      if (axis) { axis.destroy(); axis = null; }
      document.getElementById("timeline-more").hidden = true;
      const events = data.events;
      events.forEach((e, index) => {
        const entry = document.createElement("li");
        entry.dataset.on = e.on;
        const show = item(`${window.ischiaDay(e.on)} · ${relationName(e.kind)} · ${eventText(e)}`, "button");
        show.type = "button";
        show.className = "link-button";
        show.dir = "auto";
        show.addEventListener("click", () => { focusNodes(e.nodes); eventPanel(e); });
        const link = item(e.title, "a");
        link.href = urls.bulletinUrl.replace("BULLETIN", e.bulletin);
        link.dir = "auto";
        entry.append(show, " · ", link, ` (${e.sender})`);
        entry.dataset.index = String(index);
        list.append(entry);
      });
      if (!events.length) { list.append(item(window.ischiaText("No dated event among these entities."))); return; }
      if (window.vis && typeof window.vis.Timeline === "function") {
        // One row per kind of event, the rarest first, so a lone "member of" is not buried
        // under sixty "uses phone".
        const counts = new Map();
        events.forEach((e) => counts.set(e.kind, (counts.get(e.kind) || 0) + 1));
        const groups = [...counts.entries()].map(([kind, count]) => {
          const name = document.createElement("span");
          name.textContent = relationName(kind);
          return { id: kind, content: name, order: count };
        });
        const items = events.map((e, index) => ({
          id: index, group: e.kind, start: e.on, type: "point", content: timelineText(e) }));
        const container = document.getElementById("timeline-axis");
        // The height follows the rows, up to most of the window; beyond that it scrolls, and
        // a line under it says so.
        axis = new window.vis.Timeline(container, items, groups, {
          maxHeight: Math.max(320, Math.round(window.innerHeight * 0.7)), verticalScroll: true,
          stack: true, zoomKey: "ctrlKey", selectable: true, groupOrder: "order",
          margin: { item: 2 }, orientation: "top", format: axisLabels(), ...axisWindow(events) });
        axis.on("changed", () => hintScrolling(container));
        window.ischiaTimeline = axis; // for people and tests who inspect it from the console
        axis.on("select", (properties) => {
          const e = events[properties.items[0]];
          if (e) { focusNodes(e.nodes); eventPanel(e); }
        });
      }
    } catch (error) { list.append(item(error.message)); }
  });

  root.querySelectorAll("[data-export]").forEach((button) => {
    button.addEventListener("click", () => {
      const form = document.createElement("form");
      form.method = "post";
      form.action = urls.exportUrl.replace("FORMAT", button.dataset.export);
      const add = (name, value) => {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
      };
      add("csrf_token", urls.csrf);
      cy.nodes().forEach((n) => add("nodes", n.id()));
      document.body.append(form);
      form.submit();
      form.remove();
    });
  });

  // The PNG carries its marking like a briefing does: a band above and below the graph with
  // the strictest TLP marking of what is on screen, the organisation and the date.
  const TLP_ORDER = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"];
  const TLP_COLOURS = { "TLP:CLEAR": "#ffffff", "TLP:GREEN": "#33ff00", "TLP:AMBER": "#ffc000",
    "TLP:AMBER+STRICT": "#ffc000", "TLP:RED": "#ff2b2b" };

  function strictestMarking() {
    let strictest = -1;
    cy.elements().forEach((element) => {
      for (const marking of element.data("markings") || []) {
        strictest = Math.max(strictest, TLP_ORDER.indexOf(marking));
      }
    });
    // A view whose markings are unknown is treated as the strictest, never as CLEAR.
    return strictest < 0 ? "TLP:RED" : TLP_ORDER[strictest];
  }

  function exportHeader() {
    const today = window.ischiaDay(new Date().toISOString().slice(0, 10));
    return { marking: strictestMarking(), rest: ` · ${urls.organisation} · ${today} · ${window.ischiaText("link graph")}` };
  }
  window.ischiaExportHeader = () => { const h = exportHeader(); return h.marking + h.rest; };

  async function markedPng() {
    const picture = await createImageBitmap(cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" }));
    const band = 56;
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(picture.width, 1000);
    canvas.height = picture.height + 2 * band;
    const pen = canvas.getContext("2d");
    pen.fillStyle = "#ffffff";
    pen.fillRect(0, 0, canvas.width, canvas.height);
    pen.drawImage(picture, 0, band);
    const header = exportHeader();
    pen.font = "bold 28px sans-serif";
    pen.textBaseline = "middle";
    for (const top of [0, canvas.height - band]) {
      pen.fillStyle = "#000000";
      pen.fillRect(0, top, canvas.width, band);
      pen.fillStyle = TLP_COLOURS[header.marking];
      pen.fillText(header.marking, 16, top + band / 2);
      const width = pen.measureText(header.marking).width;
      pen.fillStyle = "#ffffff";
      pen.fillText(header.rest, 16 + width, top + band / 2);
    }
    return new Promise((resolve) => { canvas.toBlob(resolve, "image/png"); });
  }

  document.getElementById("export-png").addEventListener("click", async () => {
    const blob = await markedPng();
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = "ischia-graph.png";
    document.body.append(link);
    link.click();
    link.remove();
    // The download has its own copy once it starts: free the blob.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

  document.getElementById("save-investigation").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const saved = await postJSON(urls.investigationsUrl, { name: form.elements.name.value,
        notes: form.elements.notes.value, nodes: cy.nodes().map((n) => n.id()) });
      say(window.ischiaCount(saved.nodes, "Saved “%(name)s” with %(count)s node.", "Saved “%(name)s” with %(count)s nodes.", { name: saved.name }));
    } catch (error) { say(error.message); }
  });

  root.querySelectorAll("[data-investigation]").forEach((button) => {
    button.addEventListener("click", async () => {
      try {
        const data = await getJSON(button.dataset.investigation);
        show(data.elements, true);
        const form = document.getElementById("save-investigation");
        form.elements.name.value = data.name;
        form.elements.notes.value = data.notes;
      } catch (error) { say(error.message); }
    });
  });

  // The forms' buttons come disabled: a search sent before this script was listening would
  // reload the page and put the identifier into the browser's history.
  root.querySelectorAll("[data-needs-script]").forEach((button) => { button.disabled = false; });
})();
