// The map: an SVG drawn from the city's own geometry (metro lines through
// their stations, places, cell towers, Wi-Fi access points), the selected
// person's trail (where the sensors placed them), their true home and
// position (the narrator's truth), and the home and work areas the beast
// inferred, as circles of their uncertainty. No tiles: it works offline.
"use strict";

const CityMap = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const LINE_COLOURS = { 1: "#FFCD00", 2: "#003CA6", 4: "#CF009E", 6: "#6ECA97", 7: "#FA9ABA", 11: "#704B1C", 14: "#62259D" };
  const PRODUCER_COLOURS = { phone: "#1f6feb", wristband: "#8a3ffc", transit: "#00857c", card: "#c2410c", loyalty: "#b3122e", wifi: "#0e7490" };
  const W = 1000; // width of the city in user units
  let svg, city, proj, layers = {}, full, core, view, zoomKind = "city";
  let trail = [], home = null, me = null, areas = [], towerHL = new Set();
  const towerEls = new Map();
  const stationLabels = new Map();

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  function project(lat, lon) {
    return [(lon - proj.lon0) * proj.k * proj.cos, (proj.lat1 - lat) * proj.k];
  }
  function metres(m) { return (m / 111320) * proj.k; }

  function init(svgEl, c) {
    svg = svgEl;
    city = c;
    const pts = [].concat(c.stations, c.places, c.towers);
    let lat0 = Infinity, lat1 = -Infinity, lon0 = Infinity, lon1 = -Infinity;
    for (const p of pts) {
      lat0 = Math.min(lat0, p.lat); lat1 = Math.max(lat1, p.lat);
      lon0 = Math.min(lon0, p.lon); lon1 = Math.max(lon1, p.lon);
    }
    const cos = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180);
    proj = { lat1, lon0, cos, k: W / ((lon1 - lon0) * cos) };
    const h = (lat1 - lat0) * proj.k;
    full = { x: -20, y: -20, w: W + 40, h: h + 40 };
    // The city view fits where people live and go (stations, the story's
    // places, homes): the outskirts' towers and everyday places fill the
    // rest of the panel instead of shrinking the city into a corner of it.
    core = fit([].concat(c.stations, c.places.filter((p) => !p.minor), c.homes).map((p) => project(p.lat, p.lon)), 150);
    svg.replaceChildren();
    for (const name of ["homes", "lines", "towers", "stations", "places", "aps", "areas", "trail", "marks", "labels"]) {
      layers[name] = el("g", { class: name }, svg);
    }
    for (const p of c.homes) {
      const [x, y] = project(p.lat, p.lon);
      el("circle", { cx: x, cy: y }, layers.homes);
    }
    const byID = {};
    for (const s of c.stations) byID[s.id] = s;
    for (const l of c.lines) {
      const d = l.stations.map((id) => project(byID[id].lat, byID[id].lon).map((v) => v.toFixed(1)).join(",")).join(" ");
      el("polyline", { class: "line", points: d, stroke: LINE_COLOURS[l.name] || "#888" }, layers.lines);
    }
    for (const t of c.towers) {
      const [x, y] = project(t.lat, t.lon);
      const e = el("circle", { class: "tower", cx: x, cy: y }, layers.towers);
      const title = el("title", {}, e);
      title.textContent = t.id;
      towerEls.set(t.id, e);
    }
    for (const s of c.stations) {
      const [x, y] = project(s.lat, s.lon);
      const e = el("circle", { class: "station", cx: x, cy: y }, layers.stations);
      el("title", {}, e).textContent = s.name + " (" + s.lines.join(", ") + ")";
      const label = el("text", { x: x + 6, y: y - 5, class: "small-label" }, layers.labels);
      label.textContent = s.name;
      stationLabels.set(s.id, label);
    }
    let shop = 0;
    for (const p of c.places) {
      const [x, y] = project(p.lat, p.lon);
      const e = el("circle", { class: "place " + p.kind + (p.minor ? " minor" : ""), cx: x, cy: y }, layers.places);
      el("title", {}, e).textContent = p.name;
      if (p.kind === "mall") {
        const label = el("text", { x: x + 8, y: y + 16 }, layers.labels);
        label.textContent = p.name;
      } else if (p.in_mall) {
        // The mall's shops stand in a row: labels alternate above and below.
        const label = el("text", { x: x, y: y + (shop++ % 2 ? metres(22) : -metres(10)), class: "shop-label", "text-anchor": "middle" }, layers.labels);
        label.textContent = p.name;
      }
    }
    for (const a of c.aps) {
      const [x, y] = project(a.lat, a.lon);
      const e = el("circle", { class: "ap", cx: x, cy: y }, layers.aps);
      el("title", {}, e).textContent = a.ssid + " " + a.id;
    }
    setView(core, "city");
    window.addEventListener("resize", () => zoom(zoomKind));
  }

  // reserved returns the width in pixels the phone mock-up covers on the
  // right of the map: views are fitted to the rest.
  function reserved() {
    const ph = document.getElementById("phone");
    return ph && !ph.hidden ? ph.offsetWidth + 16 : 0;
  }

  // setView shows the content box c (user units), centred in the part of
  // the map the phone does not cover.
  function setView(c, kind) {
    view = c;
    zoomKind = kind;
    const pw = svg.clientWidth || 500, ph = svg.clientHeight || 400;
    // The city view spans the whole panel (the phone covers an outskirt);
    // a person's or the mall's few places keep clear of the phone.
    const aw = kind === "city" ? pw : Math.max(pw - reserved(), pw / 2);
    const k = Math.max(c.w / aw, c.h / ph);
    const v = { x: c.x - (aw * k - c.w) / 2, y: c.y - (ph * k - c.h) / 2, w: pw * k, h: ph * k };
    svg.setAttribute("viewBox", `${v.x} ${v.y} ${v.w} ${v.h}`);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.style.setProperty("--k", k.toFixed(4));
    layers.labels.style.fontSize = (13 * k).toFixed(3) + "px";
    layers.labels.style.strokeWidth = (3 * k).toFixed(3) + "px";
    // Station names only when they can be read: zoomed in to a few km.
    svg.classList.toggle("zoomed", v.w / proj.k * 111320 * proj.cos < 4000);
    for (const t of layers.labels.querySelectorAll(".shop-label")) t.style.display = kind === "mall" ? "inline" : "none";
    declutter();
  }

  // declutter hides the labels that would overlap one shown before them,
  // most important first: the inferred areas, the mall, the stations of the
  // person's trail, the mall's shops, then the other stations.
  function declutter() {
    if (!layers.labels || !svg.isConnected) return;
    const all = Array.from(layers.labels.querySelectorAll("text"));
    const rank = (e) => (e.dataset.area ? 0 : !e.classList.contains("small-label") && !e.classList.contains("shop-label") ? 1
      : e.classList.contains("on-trail") ? 2 : e.classList.contains("shop-label") ? 3 : 4);
    for (const e of all) e.classList.remove("overlap");
    // Measure everything first, then hide: one layout, not one per label
    // (a hidden label moves no other).
    const shown = all.filter((e) => getComputedStyle(e).display !== "none")
      .map((e) => ({ e, r: e.getBoundingClientRect(), rank: rank(e) }))
      .filter((x) => x.r.width > 0)
      .sort((a, b) => a.rank - b.rank);
    const kept = [];
    for (const { e, r } of shown) {
      if (kept.some((k) => r.left < k.right && k.left < r.right && r.top < k.bottom && k.top < r.bottom)) e.classList.add("overlap");
      else kept.push(r);
    }
  }

  function fit(points, padM) {
    if (!points.length) return full || core;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const [x, y] of points) { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y); }
    const pad = metres(padM);
    return { x: x0 - pad, y: y0 - pad, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad };
  }

  function zoom(kind) {
    if (!proj) return;
    if (kind === "mall") {
      const m = city.places.find((p) => p.kind === "mall");
      if (m) { setView(fit([project(m.lat, m.lon)], 170), "mall"); return; }
    }
    if (kind === "person") {
      const pts = trail.map((p) => project(p.lat, p.lon));
      if (home) pts.push(project(home.lat, home.lon));
      if (me) pts.push(project(me.lat, me.lon));
      for (const a of areas) {
        const [x, y] = project(a.lat, a.lon), r = metres(a.radius_m);
        pts.push([x - r, y - r], [x + r, y + r]);
      }
      setView(fit(pts, 350), "person");
      return;
    }
    setView(core, "city");
  }

  // setPerson starts a new person's day: no trail yet.
  function setPerson(p) {
    trail = [];
    for (const l of stationLabels.values()) l.classList.remove("on-trail");
    home = p.home || null;
    areas = [];
    drawTrail();
    drawMarks();
    drawAreas();
  }

  // addEntries extends the trail with the positions the sensors reported.
  function addEntries(entries) {
    let relabel = false;
    for (const e of entries) {
      const w = e.data && e.data.where;
      if (!w || typeof w.lat !== "number") continue;
      trail.push({ lat: w.lat, lon: w.lon, producer: e.type.split(".")[0] });
      const label = e.data.station && stationLabels.get(e.data.station);
      if (label && !label.classList.contains("on-trail")) {
        label.classList.add("on-trail");
        relabel = true;
      }
    }
    drawTrail();
    if (relabel) declutter();
  }

  function drawTrail() {
    if (!proj) return;
    layers.trail.replaceChildren();
    if (!trail.length) return;
    const pts = trail.map((p) => project(p.lat, p.lon).map((v) => v.toFixed(1)).join(","));
    // Consecutive duplicates add nothing to the line.
    const line = pts.filter((p, i) => i === 0 || p !== pts[i - 1]);
    el("polyline", { class: "trail", points: line.join(" ") }, layers.trail);
    const seen = new Set();
    for (let i = trail.length - 1; i >= 0; i--) {
      const key = pts[i] + trail[i].producer;
      if (seen.has(key)) continue;
      seen.add(key);
      const [x, y] = project(trail[i].lat, trail[i].lon);
      el("circle", { class: "trail-dot", cx: x, cy: y, fill: PRODUCER_COLOURS[trail[i].producer] || "#555" }, layers.trail);
    }
  }

  function setWhere(w) {
    me = w && typeof w.lat === "number" ? w : null;
    drawMarks();
  }

  function drawMarks() {
    if (!proj) return;
    layers.marks.replaceChildren();
    if (home) {
      const [x, y] = project(home.lat, home.lon);
      const s = metres(60);
      el("path", { class: "truehome", d: `M${x - s} ${y + s * 0.2} L${x} ${y - s} L${x + s} ${y + s * 0.2} L${x + s * 0.7} ${y + s * 0.2} L${x + s * 0.7} ${y + s} L${x - s * 0.7} ${y + s} L${x - s * 0.7} ${y + s * 0.2} Z` }, layers.marks);
    }
    if (me) {
      const [x, y] = project(me.lat, me.lon);
      el("circle", { class: "me", cx: x, cy: y }, layers.marks);
    }
  }

  // setAreas draws the inferred home and work areas: centre and radius.
  function setAreas(list, labels) {
    areas = list;
    drawAreas(labels);
  }

  function drawAreas(labels) {
    if (!proj) return;
    layers.areas.replaceChildren();
    clearAreaLabels();
    for (const a of areas) {
      const [x, y] = project(a.lat, a.lon);
      el("circle", { class: "area " + a.kind, cx: x, cy: y, r: Math.max(metres(a.radius_m), 2) }, layers.areas);
      if (labels && labels[a.kind]) {
        const tx = el("text", { x: x + metres(a.radius_m) + 4, y: y, class: "area-label small-label" }, layers.labels);
        tx.dataset.area = "1";
        tx.textContent = labels[a.kind];
      }
    }
    declutter();
  }

  // highlightTowers marks the towers a fact rests on.
  function highlightTowers(ids) {
    for (const id of towerHL) { const e = towerEls.get(id); if (e) e.classList.remove("hl"); }
    towerHL = new Set(ids || []);
    for (const id of towerHL) { const e = towerEls.get(id); if (e) { e.classList.add("hl"); layers.towers.appendChild(e); } }
  }

  function clearAreaLabels() {
    if (!layers.labels) return;
    for (const t of layers.labels.querySelectorAll("[data-area]")) t.remove();
  }

  return { init, zoom, setPerson, addEntries, setWhere, setAreas, highlightTowers, clearAreaLabels, LINE_COLOURS, PRODUCER_COLOURS };
})();
