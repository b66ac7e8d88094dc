// The classroom page. It follows the server's live stream (/live, server-
// sent events) and draws: the selected person's day and the exhaust of each
// act (left), the map (centre), what the beast inferred (right), the
// challenge and the population (tabs).
//
// Safety: every string that came from an event or a fact goes into the DOM
// through textContent or an attribute, never parsed as HTML; the page's
// Content-Security-Policy forbids inline scripts anyway.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const NS = "http://www.w3.org/2000/svg";
  const LANGS = ["en", "fr"];
  const state = {
    lang: LANGS.includes(localStorage.getItem("exhaust.lang")) ? localStorage.getItem("exhaust.lang") : "en",
    pid: "hero",
    reveal: false,
    hello: null,
    pmsg: null,
    entries: [],
    beast: null,
    knownFacts: null, // fact names shown so far (null: first render)
    openWhy: new Set(),
    pop: null,
    faults: null, // the plan in force and the faults done (dirty-data panel)
    promos: [],
    clock: null,
    clockAt: 0,
    city: null,
    whatif: null,
    settings: null,
    tab: "map",
    userScrolledAt: 0,
  };
  let es = null;
  // ?static=1: one snapshot of the state, then the stream closes and
  // nothing moves (no animation, a frozen clock), so a headless browser
  // with a virtual time budget can take a screenshot.
  const STATIC = new URLSearchParams(location.search).get("static") === "1";
  let staticTimer = 0;

  const t = (key, params) => I18N.t(state.lang, key, params);

  function h(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---- producer badges (inline SVG, no fonts, no emoji) ----
  const ICONS = {
    phone: [["rect", { x: 7, y: 2.5, width: 10, height: 19, rx: 2 }], ["path", { d: "M11 18.5h2" }]],
    wristband: [["circle", { cx: 12, cy: 12, r: 4.5 }], ["path", { d: "M9 3h6M9 21h6M12 10v2l1.5 1" }]],
    transit: [["rect", { x: 5.5, y: 3, width: 13, height: 14, rx: 3 }], ["path", { d: "M5.5 11h13M8.5 20.5l1.5-3.5M15.5 20.5l-1.5-3.5" }]],
    card: [["rect", { x: 2.5, y: 5.5, width: 19, height: 13, rx: 2 }], ["path", { d: "M2.5 10h19M6 15h4" }]],
    loyalty: [["path", { d: "M12 3l2.7 5.6 6.1.8-4.5 4.2 1.1 6.1L12 16.8 6.6 19.7l1.1-6.1-4.5-4.2 6.1-.8z" }]],
    wifi: [["path", { d: "M3.5 9.5a12 12 0 0 1 17 0M6.5 12.5a8 8 0 0 1 11 0M9.5 15.5a4 4 0 0 1 5 0" }], ["circle", { cx: 12, cy: 19, r: 1 }]],
    other: [["circle", { cx: 12, cy: 12, r: 6 }]],
  };
  function badge(producer) {
    const p = ICONS[producer] ? producer : "other";
    const s = h("span", "badge p-" + p);
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    for (const [name, attrs] of ICONS[p]) {
      const e = document.createElementNS(NS, name);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      svg.appendChild(e);
    }
    s.appendChild(svg);
    s.title = producer;
    return s;
  }
  const producerOf = (type) => String(type).split(".")[0];

  // ---- server calls ----
  async function post(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(j.error || r.statusText);
    return j;
  }

  function connect() {
    if (es) es.close();
    es = new EventSource("/live?person=" + encodeURIComponent(state.pid));
    const on = (name, fn) => es.addEventListener(name, (ev) => fn(JSON.parse(ev.data)));
    on("hello", onHello);
    on("person", onPerson);
    on("timeline", onTimeline);
    on("beast", onBeast);
    on("population", onPopulation);
    on("promos", onPromos);
    on("clock", onClock);
    on("faults", onFaults);
    es.onerror = () => { $("clock-state").textContent = t("offline"); };
    if (STATIC) es.addEventListener("clock", snapshotTaken);
  }

  // snapshotTaken closes a static page's stream once the first update is
  // in (it ends with the clock), giving the population a moment to follow
  // if it was not computed yet.
  function snapshotTaken() {
    if (!es || !state.pmsg) return;
    if (!state.pop && !staticTimer) {
      staticTimer = setTimeout(() => { staticTimer = -1; snapshotTaken(); }, 3000);
      return;
    }
    if (!state.pop && staticTimer !== -1) return;
    es.close();
    es = null;
    if (staticTimer > 0) clearTimeout(staticTimer);
    document.documentElement.dataset.snapshot = "ready";
  }

  // ---- static strings ----
  function applyStatic() {
    document.documentElement.lang = state.lang;
    document.title = t("title_doc");
    for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
    for (const e of document.querySelectorAll("[data-i18n-title]")) e.title = t(e.dataset.i18nTitle);
    for (const e of document.querySelectorAll("[data-i18n-aria]")) e.setAttribute("aria-label", t(e.dataset.i18nAria));
    $("lang").textContent = t("lang_button");
    renderLegend();
    renderJump();
    renderPersonaPicker();
    renderToggles();
    renderFormula();
    renderFaultKnobs();
  }

  function rerenderAll() {
    applyStatic();
    renderPersonDay();
    renderBeast();
    renderPopulation();
    renderFaults();
    renderPhone(false);
    renderWhatif();
    renderClock();
  }

  // ---- hello, person, timeline ----
  function onHello(m) {
    state.hello = m;
    state.settings = state.settings || Object.assign({}, m.defaults);
    applyStatic();
  }

  function renderPersonaPicker() {
    const sel = $("persona");
    if (!state.hello) return;
    sel.replaceChildren();
    for (const p of state.hello.personas) {
      const o = h("option", null, p.hero ? "★ " + p.name : p.name);
      o.value = p.id;
      sel.appendChild(o);
    }
    sel.value = state.pid;
  }

  function renderJump() {
    const sel = $("jump");
    sel.replaceChildren();
    const o = h("option", null, t("jump_pick"));
    o.disabled = true;
    o.selected = true;
    o.value = "";
    sel.appendChild(o);
    for (const m of (state.hello && state.hello.moments) || []) {
      const x = h("option", null, `${I18N.hm(state.lang, m.start)} ${t("moment." + m.name)}`);
      x.value = m.name;
      sel.appendChild(x);
    }
  }

  function onPerson(m) {
    state.pmsg = m;
    state.entries = [];
    state.beast = null;
    state.knownFacts = null;
    CityMap.setPerson(m);
    CityMap.highlightTowers([]);
    renderPersonDay();
    renderBeast();
    renderPhone(false);
  }

  let groupEls = [];
  const idToLine = new Map();

  function renderPersonDay() {
    const tl = $("timeline");
    tl.replaceChildren();
    groupEls = [];
    idToLine.clear();
    const m = state.pmsg;
    if (!m) return;
    $("left-title").textContent = t("left_title", { name: m.name });
    m.groups.forEach((g, i) => {
      const root = h("div", "group future");
      root.dataset.group = String(i);
      const head = h("div", "group-head");
      head.appendChild(h("span", "group-title", groupTitle(g)));
      head.appendChild(h("span", "group-time", `${I18N.hm(state.lang, g.start)}–${I18N.hm(state.lang, g.end)}`));
      root.appendChild(head);
      if (g.kind === "moment") root.appendChild(h("p", "group-caption", t("caption." + g.name)));
      const counts = h("div", "group-counts");
      root.appendChild(counts);
      const lines = h("ul", "lines");
      root.appendChild(lines);
      tl.appendChild(root);
      groupEls.push({ g, root, counts, lines, folds: new Map(), count: {} });
    });
    for (const e of state.entries) placeEntry(e, false);
    markGroups();
  }

  function groupTitle(g) {
    if (g.kind === "moment") return t("moment." + g.name);
    let s = t("activity." + g.name);
    if (g.place_name && g.place_kind !== "home") s += " · " + g.place_name;
    if (g.mode) s += " " + t(g.mode === "metro" ? "by_metro" : "on_foot");
    if (g.to) s += " " + t("to", { place: g.to });
    return s;
  }

  function onTimeline(m) {
    if (!state.pmsg || m.from !== state.entries.length) {
      connect(); // out of step: start over
      return;
    }
    const follow = Date.now() - state.userScrolledAt > 8000;
    let lastLine = null;
    for (const e of m.entries) {
      state.entries.push(e);
      lastLine = placeEntry(e, true) || lastLine;
    }
    CityMap.addEntries(m.entries);
    markGroups();
    if (follow && lastLine) lastLine.scrollIntoView({ block: "nearest" });
  }

  function placeEntry(e, flash) {
    const G = groupEls[e.g];
    if (!G) return null;
    const producer = producerOf(e.type);
    const text = I18N.describe(state.lang, e.type, e.data || {});
    const key = I18N.foldKey(e.type, e.data || {});
    let li;
    const folded = key && G.folds.get(key);
    if (folded) {
      li = folded.li;
      folded.n++;
      li.querySelector(".txt").textContent = text;
      li.querySelector(".times").textContent = ` ×${folded.n}`;
      li.querySelector(".t").textContent = I18N.hm(state.lang, e.t);
      G.lines.appendChild(li); // the latest activity last
    } else {
      li = h("li", "ev");
      li.appendChild(h("span", "t", I18N.hm(state.lang, e.t)));
      li.appendChild(badge(producer));
      const txt = h("span");
      txt.appendChild(h("span", "txt", text));
      txt.appendChild(h("span", "times", ""));
      li.appendChild(txt);
      G.lines.appendChild(li);
      if (key) G.folds.set(key, { li, n: 1 });
    }
    li.dataset.type = e.type;
    idToLine.set(e.id, li);
    if (flash) {
      li.classList.remove("flash");
      void li.offsetWidth;
      li.classList.add("flash");
    }
    G.count[producer] = (G.count[producer] || 0) + 1;
    G.counts.replaceChildren();
    for (const p of Object.keys(G.count).sort()) {
      const c = h("span", "count");
      c.appendChild(badge(p));
      c.appendChild(document.createTextNode("×" + G.count[p]));
      G.counts.appendChild(c);
    }
    return li;
  }

  function now() {
    const c = state.clock;
    if (!c) return 0;
    const base = Date.parse(c.now);
    if (c.paused || c.fast || STATIC) return base;
    return base + (performance.now() - state.clockAt) * c.speed;
  }

  function markGroups() {
    const n = now();
    for (const G of groupEls) {
      const start = Date.parse(G.g.start), end = Date.parse(G.g.end);
      G.root.classList.toggle("current", n >= start && n < end);
      G.root.classList.toggle("future", n < start && G.lines.childElementCount === 0);
    }
  }

  // ---- the beast ----
  function onBeast(m) {
    state.beast = m;
    renderBeast();
  }

  function renderBeast() {
    const head = $("beast-head"), list = $("facts"), frags = $("fragments");
    head.replaceChildren();
    list.replaceChildren();
    frags.replaceChildren();
    const b = state.beast;
    const prof = b && b.profile;
    if (!prof) {
      list.appendChild(h("p", "empty", t("no_profile")));
      CityMap.setAreas([]);
      return;
    }
    const score = h("div", "score");
    const num = h("span", "score-num", I18N.num(state.lang, b.score, 1));
    num.id = "score-live";
    num.title = t("exposure_tip");
    score.appendChild(num);
    score.appendChild(h("span", null, t("exposure")));
    score.appendChild(h("span", "pseudo", prof.id));
    if (!prof.name.startsWith("Profile ")) score.appendChild(h("b", null, prof.name));
    head.appendChild(score);
    head.appendChild(h("div", "sub", t("linked", { n: b.linked, m: b.owned })));
    if (state.reveal) {
      const me = state.pmsg ? state.pmsg.name : b.person;
      head.appendChild(h("div", "truth", "✓ " + t("profile_is", { name: me })));
      const others = b.owners.filter((o) => o.person !== b.person && o.person !== "");
      if (others.length) {
        head.appendChild(h("div", "truth wrong", "⚠ " + t("profile_mixes", { names: others.map((o) => `${o.name} (${o.count})`).join(", ") })));
      }
    }
    CityMap.highlightTowers([]);
    const fresh = state.knownFacts !== null;
    const known = new Set();
    for (const f of prof.facts) {
      known.add(f.name);
      list.appendChild(factCard(f, fresh && !state.knownFacts.has(f.name), prof));
    }
    state.knownFacts = known;
    // Splits are the beast's own doubts, not the truth: shown to everyone.
    if ((prof.splits || []).length) {
      frags.appendChild(h("p", "sub", t("splits_title")));
      for (const sp of prof.splits.slice(-3)) {
        // The engine's own JSON (graph.Link): A, B, Kind.
        frags.appendChild(h("div", "frag split", t("split", { a: sp.link.A.kind, b: sp.link.B.kind, evidence: sp.link.Kind, why: I18N.server(state.lang, sp.why) })));
      }
    }
    if (state.reveal && b.fragments.length) {
      frags.appendChild(h("p", "sub", t("fragments_title")));
      for (const fr of b.fragments) {
        frags.appendChild(h("div", "frag", t("fragment", { id: fr.id, ids: fr.kinds.join(", "), facts: fr.facts.map((n) => t("fact." + n)).join(", ") || "—" })));
      }
    }
    const areas = [];
    for (const f of prof.facts) {
      if ((f.name === "home" || f.name === "work") && f.value) areas.push({ kind: f.name, lat: f.value.lat, lon: f.value.lon, radius_m: f.value.radius_m });
    }
    CityMap.setAreas(areas, { home: t("fact.home") + " ±" + (areas.find((a) => a.kind === "home") || {}).radius_m + " m", work: t("fact.work") });
  }

  function factCard(f, isNew, prof) {
    const card = h("div", "fact" + (isNew ? " new" : ""));
    card.dataset.fact = f.name;
    const head = h("div", "fact-head");
    head.appendChild(h("span", "fact-title", t("fact." + f.name)));
    const conf = h("span", "conf");
    conf.title = t("confidence", { p: Math.round(f.confidence * 100) });
    const bar = h("span");
    bar.style.width = Math.round(f.confidence * 100) + "%";
    conf.appendChild(bar);
    head.appendChild(conf);
    const open = state.openWhy.has(f.name);
    const btn = h("button", "why-btn", open ? t("hide") : t("why"));
    btn.type = "button";
    btn.addEventListener("click", () => {
      if (state.openWhy.has(f.name)) state.openWhy.delete(f.name);
      else state.openWhy.add(f.name);
      renderBeast();
    });
    head.appendChild(btn);
    card.appendChild(head);
    // The beast's English display starts with the fact's name, already the title.
    const text = I18N.factText(state.lang, f);
    card.appendChild(h("div", "fact-text", state.lang === "en" ? text.replace(/^[^:]{1,20}: /, "") : text));
    if (open) card.appendChild(evidence(f, prof));
    return card;
  }

  function evidence(f, prof) {
    const e = f.evidence || {};
    const box = h("div", "why");
    box.appendChild(h("p", null, I18N.factWhy(state.lang, f)));
    box.appendChild(h("p", null, `${t("evidence_count", { n: e.count })} · ${t("confidence", { p: Math.round(f.confidence * 100) })}`));
    const src = h("div", "chips");
    for (const s of e.sources || []) {
      const c = h("span", "chip");
      c.appendChild(badge(producerOf(s)));
      c.appendChild(document.createTextNode(I18N.source(state.lang, s)));
      src.appendChild(c);
    }
    box.appendChild(h("p", null, t("evidence_sources")));
    box.appendChild(src);
    if ((e.event_ids || []).length) {
      box.appendChild(h("p", null, t("evidence_ids")));
      const ids = h("div", "chips");
      for (const id of e.event_ids) {
        const c = h("button", "chip" + (idToLine.has(id) ? "" : " missing"), id.slice(0, 8));
        c.type = "button";
        c.title = id;
        c.addEventListener("click", () => findEvent(id));
        ids.appendChild(c);
      }
      box.appendChild(ids);
    }
    const v = f.value || {};
    if ((v.towers || []).length) {
      box.appendChild(h("p", null, t("evidence_towers")));
      const tw = h("div", "chips");
      for (const id of v.towers) tw.appendChild(h("span", "chip", id));
      box.appendChild(tw);
      CityMap.highlightTowers(v.towers);
    }
    const places = [];
    if (v.station_name) places.push(v.station_name);
    for (const p of v.places || []) places.push(I18N.placeName(p.place, p.name));
    for (const c of v.chains || []) places.push(c.chain);
    if (places.length) {
      box.appendChild(h("p", null, t("evidence_places")));
      const pl = h("div", "chips");
      for (const p of places) pl.appendChild(h("span", "chip", p));
      box.appendChild(pl);
    }
    return box;
  }

  function findEvent(id) {
    for (const e of document.querySelectorAll(".ev.hl")) e.classList.remove("hl");
    const li = idToLine.get(id);
    if (!li) return;
    li.classList.add("hl");
    state.userScrolledAt = Date.now();
    li.scrollIntoView({ block: "center" });
  }

  // ---- promotions and the phone ----
  function onPromos(list) {
    const mine = list.filter((p) => p.person === state.pid);
    state.promos.push(...list);
    renderPhone(mine.length > 0);
  }

  function renderPhone(arrived) {
    const notes = $("phone-notes");
    notes.replaceChildren();
    $("phone-owner").textContent = state.pmsg ? t("phone_owner", { name: state.pmsg.name }) : "";
    const mine = state.promos.filter((p) => p.person === state.pid).slice(-2).reverse();
    if (!mine.length) {
      notes.appendChild(h("div", "note-empty", t("phone_empty")));
      return;
    }
    mine.forEach((p, i) => {
      const n = h("div", "note" + (arrived && i === 0 ? " arrive" : ""));
      n.dataset.promo = p.id;
      n.appendChild(h("b", null, `${t("promo_from_" + p.channel, { shop: p.shop_name })} · ${I18N.hm(state.lang, p.time)}`));
      n.appendChild(document.createTextNode(state.lang === "fr" ? p.text_fr : p.text));
      notes.appendChild(n);
    });
  }

  // ---- clock and controls ----
  function onClock(c) {
    state.clock = c;
    state.clockAt = performance.now();
    CityMap.setWhere(c.where);
    renderClock();
  }

  function renderClock() {
    const c = state.clock;
    if (!c) return;
    const n = now();
    $("clock-time").textContent = `${I18N.dayTime(state.lang, n)} · ${t("day", { n: c.day || 1 })}`;
    $("clock-moment").textContent = c.moment && state.pid === "hero" ? t("moment." + c.moment) : "";
    $("clock-state").textContent = c.paused ? t("paused") : "";
    $("btn-pause").textContent = c.paused ? t("resume") : t("pause");
    $("speed").textContent = c.fast ? t("fast") : "×" + I18N.num(state.lang, c.speed);
    $("phone-time").textContent = I18N.hm(state.lang, n);
    markGroups();
  }

  async function control(action, body) {
    try {
      onClock(Object.assign({}, state.clock || {}, await post("/control/" + action, body), { where: state.clock && state.clock.where }));
    } catch (err) {
      $("clock-state").textContent = err.message;
    }
  }

  // ---- the challenge ----
  function renderToggles() {
    const box = $("toggles");
    box.replaceChildren();
    if (!state.hello) return;
    for (const tg of state.hello.toggles) {
      const label = h("label");
      const input = h("input");
      input.type = "checkbox";
      input.dataset.toggle = tg.key;
      input.checked = !!state.settings[tg.key];
      input.addEventListener("change", () => { state.settings[tg.key] = input.checked; });
      label.appendChild(input);
      label.appendChild(h("span", null, t("toggle." + tg.key)));
      if (state.hello.defaults[tg.key]) label.appendChild(h("span", "was", t("was_default")));
      box.appendChild(label);
    }
  }

  function renderFormula() {
    if (!state.hello) return;
    const w = state.hello.weights;
    const parts = Object.keys(w).sort((a, b) => w[b] - w[a]).map((k) => `${t("fact." + k)} ${w[k]}`);
    $("formula").textContent = t("formula", { weights: parts.join(", "), idw: state.hello.id_weight });
  }

  async function replay() {
    const btn = $("replay");
    btn.disabled = true;
    $("replay-state").textContent = t("replaying");
    try {
      state.whatif = await post("/whatif/replay", { settings: state.settings });
      $("replay-state").textContent = "";
    } catch (err) {
      $("replay-state").textContent = err.message;
    }
    btn.disabled = false;
    renderWhatif();
  }

  function renderWhatif() {
    const box = $("whatif");
    box.replaceChildren();
    const w = state.whatif;
    if (!w) return;
    const vs = h("div", "versus");
    for (const [side, o] of [["before", w.before], ["after", w.after]]) {
      const col = h("div");
      col.appendChild(h("h4", null, t(side)));
      const big = h("div", "big", I18N.num(state.lang, o.score, 1));
      big.id = "whatif-score-" + side;
      col.appendChild(big);
      col.appendChild(h("div", "sub", t("exposure")));
      col.appendChild(h("div", "sub", t("score_line", { linked: o.linked, events: o.total })));
      const on = state.hello.toggles.filter((tg) => o.settings[tg.key]).map((tg) => t("toggle." + tg.key));
      col.appendChild(h("div", "sub", on.join(" · ") || "—"));
      vs.appendChild(col);
    }
    box.appendChild(vs);
    box.appendChild(h("h3", null, t("changes_title")));
    for (const c of w.changes) {
      const d = h("div", "change " + c.status);
      d.dataset.fact = c.fact;
      d.dataset.status = c.status;
      const title = h("b", null, t("fact." + c.fact));
      d.appendChild(title);
      d.appendChild(h("span", "st " + c.status, t("st_" + c.status)));
      d.appendChild(h("div", null, changeSentence(c, w)));
      const f = c.after || c.before;
      if (f) d.appendChild(h("div", "sub", I18N.factText(state.lang, f)));
      box.appendChild(d);
    }
    box.appendChild(h("h3", null, t("events_title")));
    const table = h("table");
    const hr = h("tr");
    for (const x of [t("sensor"), t("before"), t("after")]) hr.appendChild(h("th", null, x));
    table.appendChild(hr);
    const types = Array.from(new Set(Object.keys(w.before.events).concat(Object.keys(w.after.events)))).sort();
    for (const ty of types) {
      const tr = h("tr");
      const name = h("td");
      name.appendChild(badge(producerOf(ty)));
      name.appendChild(document.createTextNode(" " + I18N.source(state.lang, ty)));
      tr.appendChild(name);
      tr.appendChild(h("td", "num", w.before.events[ty] || 0));
      tr.appendChild(h("td", "num", w.after.events[ty] || t("nothing")));
      table.appendChild(tr);
    }
    box.appendChild(table);
  }

  function changeSentence(c, w) {
    const srcs = (xs) => I18N.sources(state.lang, xs) || "—";
    switch (c.status) {
      case "survived": {
        const cell = c.fact === "home" && w.after.settings.location_off && c.kept.includes("phone.cell");
        return (cell ? t("ch_survived_cell") + " " : "") + t("ch_survived", { kept: srcs(c.kept) });
      }
      case "weakened":
        return t("ch_weakened", { b: Math.round(c.before.confidence * 100), a: Math.round(c.after.confidence * 100), lost: srcs(c.lost) });
      case "unlinked":
        return t("ch_unlinked", { frag: c.fragment });
      case "gone": {
        const by = c.by.length ? t("ch_gone_by", { by: c.by.map((k) => t("toggle." + k)).join(", ") }) : "";
        return t("ch_gone", { lost: srcs(c.lost.length ? c.lost : (c.before.evidence || {}).sources), by });
      }
      case "new":
        return t("ch_new", { kept: srcs(c.kept) });
    }
    return "";
  }

  // ---- population ----
  function onPopulation(p) {
    state.pop = p;
    renderPopulation();
    renderFaults();
  }

  function stat(value, label) {
    const d = h("div", "stat");
    d.appendChild(h("b", null, value));
    d.appendChild(h("span", null, label));
    return d;
  }

  function renderPopulation() {
    const p = state.pop;
    const stats = $("pop-stats"), uni = $("unicity"), profs = $("profiles");
    stats.replaceChildren();
    uni.replaceChildren();
    profs.replaceChildren();
    if (!p) return;
    const pct = (x) => I18N.num(state.lang, 100 * (x || 0)) + " %";
    const a = p.accuracy;
    stats.appendChild(stat(p.profiles, t("pop_profiles")));
    stats.appendChild(stat(p.persons, t("pop_persons")));
    stats.appendChild(stat(I18N.num(state.lang, p.events), t("pop_events")));
    stats.appendChild(stat(pct(a.pairwise.precision), t("pop_precision")));
    stats.appendChild(stat(pct(a.pairwise.recall), t("pop_recall")));
    stats.appendChild(stat(pct(a.pairwise.f1), t("pop_f1", { b: pct(a.bcubed.f1) })));
    uni.appendChild(h("h3", null, t("unicity_title")));
    uni.appendChild(unicityChart(p.unicity, p.persons));
    uni.appendChild(h("p", "sub", t("unicity_note")));
    profs.appendChild(h("h3", null, t("profiles_title")));
    if (!state.reveal) profs.appendChild(h("p", "sub", t("reveal_hint")));
    const table = h("table");
    const hr = h("tr");
    const cols = [t("col_profile"), t("col_name"), t("col_ids"), t("col_facts")];
    if (state.reveal) cols.push(t("col_truth"));
    cols.forEach((x, i) => hr.appendChild(h("th", i === 2 || i === 3 ? "num" : null, x)));
    table.appendChild(hr);
    for (const r of p.rows) {
      const tr = h("tr", state.reveal ? (r.mixed ? "mixed" : r.split ? "split" : "") : "");
      tr.appendChild(h("td", "pseudo", r.id));
      tr.appendChild(h("td", null, r.name.startsWith("Profile ") ? "—" : r.name));
      tr.appendChild(h("td", "num", r.identifiers));
      tr.appendChild(h("td", "num", r.facts));
      if (state.reveal) {
        const td = h("td", null, r.truth_name || "?");
        if (r.mixed) td.appendChild(h("span", "tag", t("tag_mixed") + ": " + r.owners.filter((o) => o.person).map((o) => `${o.name} ${o.count}`).join(", ")));
        if (r.split) td.appendChild(h("span", "tag", t("tag_split")));
        tr.appendChild(td);
      }
      table.appendChild(tr);
    }
    profs.appendChild(table);
  }

  function unicityChart(ours, persons) {
    const svg = document.createElementNS(NS, "svg");
    const W = 520, H = 270, L = 44, R = 30, T = 12, B = 78;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const mk = (name, attrs, text) => {
      const e = document.createElementNS(NS, name);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      svg.appendChild(e);
      return e;
    };
    const x = (p) => L + ((p - 1) / 5) * (W - L - R);
    const y = (v) => T + (1 - v) * (H - T - B);
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      mk("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) });
      mk("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, I18N.num(state.lang, v * 100) + "%");
    }
    mk("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) });
    mk("line", { class: "axis", x1: L, x2: L, y1: y(0), y2: y(1) });
    // Below the axis, clear of the "0%" tick label and of points at 0.
    for (let p = 1; p <= 6; p++) mk("text", { x: x(p), y: H - B + 22, "text-anchor": "middle" }, "p = " + p);
    const pts = (ours || []).map((v, i) => `${x(i + 1)},${y(v)}`).join(" ");
    if (pts) mk("polyline", { class: "ours", points: pts });
    (ours || []).forEach((v, i) => mk("circle", { class: "ours-dot", cx: x(i + 1), cy: y(v), r: 4.5 }));
    // The published figure: ε₄ ≈ 0.95, ε₂ > 0.5 (a lower bound: an arrow up).
    mk("path", { class: "paper", d: `M${x(4)} ${y(0.95) - 8} l7 12 h-14 z` });
    mk("path", { class: "paper", d: `M${x(2)} ${y(0.5) - 14} l7 10 h-4 v6 h-6 v-6 h-4 z` });
    // Their labels go where they cover no point, no stretch of our curve,
    // no marker and no other label.
    const boxes = (ours || []).map((v, i) => ({ x: x(i + 1) - 7, y: y(v) - 7, w: 14, h: 14 }));
    boxes.push({ x: x(4) - 8, y: y(0.95) - 9, w: 16, h: 14 }, { x: x(2) - 8, y: y(0.5) - 15, w: 16, h: 17 });
    const curve = [];
    (ours || []).forEach((v, i) => {
      if (i === 0) return;
      const x0 = x(i), y0 = y(ours[i - 1]), x1 = x(i + 1), y1 = y(v);
      const n = Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 3);
      for (let k = 0; k <= n; k++) curve.push([x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n]);
    });
    const label = (px, py, text) => {
      const w = text.length * 7.4 + 2, hgt = 15;
      const spots = [[10, 16, "start"], [10, -10, "start"], [10, 4, "start"], [-10, 16, "end"], [-10, -10, "end"], [-10, 4, "end"], [0, 28, "middle"], [0, -22, "middle"]];
      const rectOf = ([dx, dy, anchor]) => {
        const tx = px + dx, ty = py + dy;
        const left = anchor === "start" ? tx : anchor === "end" ? tx - w : tx - w / 2;
        return { x: left, y: ty - 12, w, h: hgt, tx, ty, anchor };
      };
      const clear = (r) => r.x >= L + 2 && r.x + r.w <= W - 2 && r.y >= 0 && r.y + r.h <= H - B &&
        !boxes.some((b) => r.x < b.x + b.w && b.x < r.x + r.w && r.y < b.y + b.h && b.y < r.y + r.h) &&
        !curve.some(([cx, cy]) => cx > r.x - 2 && cx < r.x + r.w + 2 && cy > r.y - 2 && cy < r.y + r.h + 2);
      const r = spots.map(rectOf).find(clear) || rectOf(spots[0]);
      boxes.push(r);
      mk("text", { x: r.tx, y: r.ty, "text-anchor": r.anchor, class: "paper-label" }, text);
    };
    label(x(4), y(0.95), "ε₄ ≈ " + I18N.num(state.lang, 0.95, 2));
    label(x(2), y(0.5), "ε₂ > " + I18N.num(state.lang, 0.5, 1));
    const ly = H - 26;
    mk("line", { class: "ours", x1: L, x2: L + 24, y1: ly - 4, y2: ly - 4 });
    // The legend's lines squeeze into the chart rather than run off it.
    const fitted = (attrs, text) => {
      const room = W - 4 - attrs.x;
      if (text.length * 7.4 > room) Object.assign(attrs, { textLength: room, lengthAdjust: "spacingAndGlyphs" });
      return mk("text", attrs, text);
    };
    fitted({ x: L + 30, y: ly }, t("unicity_ours", { n: persons }));
    mk("path", { class: "paper", d: `M${L + 12} ${ly + 8} l6 10 h-12 z` });
    fitted({ x: L + 30, y: ly + 18 }, t("unicity_paper"));
    return svg;
  }

  // ---- dirty data: the teacher's fault knobs ----
  // Each knob sets one fault's rate for every sensor (the plan's "all"
  // clause, in the --faults grammar); a producer's own clauses, given with
  // exhaust demo --faults, are kept as they are.
  const FAULT_KINDS = ["delay", "duplicate", "drop", "corrupt", "skew"];
  const FAULT_PRESETS = [0, 5, 10, 25];
  const FAULT_AMOUNTS = { delay: "2m", skew: "90s" }; // when the plan gives none

  function onFaults(f) {
    state.faults = f;
    $("btn-faults").hidden = false;
    renderFaults();
  }

  // parsePlan splits a plan into its "all" clause's faults, by kind, and
  // the other clauses, as they are.
  function parsePlan(plan) {
    const all = {}, others = [];
    for (const c of String(plan || "").split(";")) {
      const clause = c.trim();
      if (!clause) continue;
      const i = clause.indexOf(":");
      if (clause.slice(0, i).trim() !== "all") {
        others.push(clause);
        continue;
      }
      for (const item of clause.slice(i + 1).split(",")) {
        const m = /^\s*([a-z]+)\s*=\s*([0-9.]+)\s*%\s*(?:\/\s*(\S+))?\s*$/.exec(item);
        if (m) all[m[1]] = { rate: Number(m[2]), amount: m[3] };
      }
    }
    return { all, others };
  }

  // planWith returns the plan in force with kind's rate for all sensors.
  function planWith(kind, rate) {
    const { all, others } = parsePlan(state.faults && state.faults.plan);
    all[kind] = { rate, amount: (all[kind] && all[kind].amount) || FAULT_AMOUNTS[kind] };
    const items = FAULT_KINDS.filter((k) => all[k] && all[k].rate > 0)
      .map((k) => `${k}=${all[k].rate}%` + (FAULT_AMOUNTS[k] ? "/" + (all[k].amount || FAULT_AMOUNTS[k]) : ""));
    return (items.length ? ["all:" + items.join(",")] : []).concat(others).join(";");
  }

  // amountText writes a Go duration of the grammar for people: "1h30m"
  // as "1 h 30 min".
  function amountText(d) {
    const units = { h: "h", m: "min", s: "s", ms: "ms" };
    return String(d || "").replace(/([0-9.]+)(ms|h|m|s)/g, (_, n, u) => `${n} ${units[u]} `).trim();
  }

  async function setFault(kind, rate) {
    $("faults-error").textContent = "";
    try {
      onFaults(await post("/control/faults", { faults: planWith(kind, rate) }));
    } catch (err) {
      $("faults-error").textContent = err.message;
    }
  }

  // renderFaultKnobs builds the knobs (again when the language changes);
  // renderFaults only updates them, so a click is never lost to a redraw.
  function renderFaultKnobs() {
    const box = $("fault-knobs");
    box.replaceChildren();
    for (const k of FAULT_KINDS) {
      const row = h("div", "knob");
      row.dataset.fault = k;
      row.appendChild(h("b", null, t("fault." + k)));
      const presets = h("div", "presets");
      for (const p of FAULT_PRESETS) {
        const b = h("button", null, I18N.num(state.lang, p) + " %");
        b.type = "button";
        b.dataset.fault = k;
        b.dataset.rate = String(p);
        b.setAttribute("aria-pressed", "false");
        b.addEventListener("click", () => setFault(k, p));
        presets.appendChild(b);
      }
      row.appendChild(presets);
      row.appendChild(h("span", "hint"));
      box.appendChild(row);
    }
    renderFaults();
  }

  function renderFaults() {
    const f = state.faults;
    if (!f) return;
    const { all } = parsePlan(f.plan);
    for (const row of document.querySelectorAll("#fault-knobs .knob")) {
      const k = row.dataset.fault;
      const rate = all[k] ? all[k].rate : 0;
      for (const b of row.querySelectorAll("button")) b.setAttribute("aria-pressed", String(Number(b.dataset.rate) === rate));
      let hint = t("fault_hint." + k, { amount: amountText((all[k] && all[k].amount) || FAULT_AMOUNTS[k]) });
      if (!FAULT_PRESETS.includes(rate)) hint += ` (${I18N.num(state.lang, rate, 1)} %)`;
      row.querySelector(".hint").textContent = hint;
    }
    const plan = $("faults-plan");
    plan.dataset.plan = f.plan;
    plan.textContent = t("faults_plan", { plan: f.plan || t("faults_none") });
    const acc = $("faults-accuracy");
    acc.replaceChildren();
    const p = state.pop;
    const pct = (x) => (p ? I18N.num(state.lang, 100 * (x || 0)) + " %" : "—");
    const pw = p ? p.accuracy.pairwise : {};
    acc.appendChild(stat(pct(pw.precision), t("pop_precision")));
    acc.appendChild(stat(pct(pw.recall), t("pop_recall")));
    acc.appendChild(stat(pct(pw.f1), t("faults_f1")));
    const counts = $("faults-counts");
    counts.replaceChildren();
    const list = (title, items) => {
      const d = h("div");
      d.appendChild(h("h4", null, title));
      const ul = h("ul");
      for (const [key, n, label] of items) {
        const li = h("li");
        li.dataset.count = key;
        li.appendChild(h("b", null, I18N.num(state.lang, n || 0)));
        li.appendChild(document.createTextNode(" " + label));
        ul.appendChild(li);
      }
      d.appendChild(ul);
      counts.appendChild(d);
    };
    list(t("faults_done"), FAULT_KINDS.map((k) => ["done-" + k, f.done[k], t("done." + k)]));
    list(t("faults_seen"), [
      ["seen-duplicates", p && p.duplicates, t("seen_duplicates")],
      ["seen-late-within", p && p.late_within, t("seen_late_within")],
      ["seen-late-beyond", p && p.late_beyond, t("seen_late_beyond")],
      ["seen-rejected", p && p.rejected, t("seen_rejected")],
    ]);
  }

  // ---- legend ----
  function renderLegend() {
    const lg = $("legend");
    lg.replaceChildren();
    const item = (draw, label) => {
      const d = h("div");
      const svg = document.createElementNS(NS, "svg");
      svg.setAttribute("viewBox", "0 0 16 12");
      draw(svg);
      d.appendChild(svg);
      d.appendChild(h("span", null, label));
      lg.appendChild(d);
    };
    const shape = (svg, name, attrs) => {
      const e = document.createElementNS(NS, name);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      svg.appendChild(e);
    };
    item((s) => shape(s, "circle", { cx: 8, cy: 6, r: 5, fill: "#ffcd00", stroke: "#111", "stroke-width": 2 }), t("legend_me"));
    item((s) => shape(s, "path", { d: "M2 6 L8 1 L14 6 L12 6 L12 11 L4 11 L4 6 Z", fill: "#146c2e" }), t("legend_home"));
    item((s) => { shape(s, "line", { x1: 1, y1: 9, x2: 15, y2: 3, stroke: "#111", "stroke-width": 2 }); shape(s, "circle", { cx: 8, cy: 6, r: 2.5, fill: "#1f6feb" }); }, t("legend_trail"));
    item((s) => shape(s, "circle", { cx: 8, cy: 6, r: 5, fill: "rgba(179,18,46,.16)", stroke: "#b3122e", "stroke-dasharray": "3 2" }), t("legend_area_home"));
    item((s) => shape(s, "circle", { cx: 8, cy: 6, r: 5, fill: "rgba(11,79,156,.14)", stroke: "#0b4f9c", "stroke-dasharray": "3 2" }), t("legend_area_work"));
    item((s) => { shape(s, "circle", { cx: 4, cy: 6, r: 2, fill: "#777" }); shape(s, "circle", { cx: 11, cy: 6, r: 3, fill: "#0e7490" }); }, t("legend_tower_ap"));
  }

  // ---- tabs ----
  function showTab(name) {
    state.tab = name;
    for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    for (const tab of ["map", "challenge", "population", "class"]) $("tab-" + tab).hidden = tab !== name;
    if (name === "map") CityMap.zoom("person");
  }

  // ---- wiring ----
  function wire() {
    $("btn-pause").addEventListener("click", () => control(state.clock && state.clock.paused ? "resume" : "pause"));
    $("btn-faster").addEventListener("click", () => state.clock && control("speed", { speed: Math.min(100000, state.clock.speed * 2) }));
    $("btn-slower").addEventListener("click", () => state.clock && control("speed", { speed: Math.max(1, state.clock.speed / 2) }));
    $("btn-restart").addEventListener("click", () => control("restart"));
    $("jump").addEventListener("change", (ev) => {
      const m = ev.target.value;
      ev.target.value = "";
      if (m) control("jump", { moment: m });
    });
    $("persona").addEventListener("change", (ev) => {
      state.pid = ev.target.value;
      state.pmsg = null;
      state.entries = [];
      state.beast = null;
      state.openWhy.clear();
      connect();
    });
    $("reveal").addEventListener("change", (ev) => {
      state.reveal = ev.target.checked;
      renderBeast();
      renderPopulation();
    });
    $("lang").addEventListener("click", () => {
      state.lang = state.lang === "en" ? "fr" : "en";
      localStorage.setItem("exhaust.lang", state.lang);
      rerenderAll();
    });
    $("replay").addEventListener("click", replay);
    $("btn-faults").addEventListener("click", () => {
      const open = $("faults-panel").hidden;
      $("faults-panel").hidden = !open;
      $("btn-faults").setAttribute("aria-expanded", String(open));
    });
    $("legend-toggle").addEventListener("click", () => {
      const hidden = !$("legend").hidden;
      $("legend").hidden = hidden;
      localStorage.setItem("exhaust.legend", hidden ? "hidden" : "shown");
    });
    $("legend").hidden = localStorage.getItem("exhaust.legend") !== "shown";
    for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
    for (const b of document.querySelectorAll("#map-tools button")) b.addEventListener("click", () => CityMap.zoom(b.dataset.zoom));
    for (const ev of ["wheel", "touchmove", "keydown"]) $("left").addEventListener(ev, () => { state.userScrolledAt = Date.now(); }, { passive: true });
    if (!STATIC) setInterval(renderClock, 250);
  }

  async function start() {
    document.documentElement.classList.toggle("static", STATIC);
    applyStatic();
    wire();
    showTab("map");
    const r = await fetch("/city.json");
    state.city = await r.json();
    I18N.setPlaces(state.city);
    CityMap.init($("map"), state.city);
    connect();
  }

  start();
})();
