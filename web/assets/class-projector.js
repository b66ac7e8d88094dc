// The projector's Class tab in class mode: where students join (address and
// QR code), who has joined, the Reveal button, and then the table of what
// the beast made of each student. Outside class mode, or on a student's
// device (403), it stays hidden.
"use strict";

(() => {
  const S = {
    en: {
      tab: "Class", title: "Join the day", how: "On your phone or laptop, on this network, open:",
      count: "{n} of {cap} joined", reveal: "Reveal", revealing: "Replaying the day for each student…",
      nick: "Student", persona: "Persona", identified: "Identified?", how_col: "How", score: "Exposure",
      named: "yes, under the name {named}", by_name: "yes, by name", anonymous: "yes, without a name", no: "no",
      via: "through {n} identifiers ({kinds})", facts: "knew: {facts}",
    },
    fr: {
      tab: "Classe", title: "Rejoindre la journée", how: "Sur votre téléphone ou ordinateur, sur ce réseau, ouvrez :",
      count: "{n} sur {cap} ont rejoint", reveal: "Révéler", revealing: "La journée est rejouée pour chaque élève…",
      nick: "Élève", persona: "Personnage", identified: "Identifié ?", how_col: "Comment", score: "Exposition",
      named: "oui, sous le nom {named}", by_name: "oui, par son nom", anonymous: "oui, sans nom", no: "non",
      via: "par {n} identifiants ({kinds})", facts: "savait : {facts}",
    },
  };
  const $ = (id) => document.getElementById(id);
  const lang = () => (localStorage.getItem("exhaust.lang") === "fr" ? "fr" : "en");
  function tr(key, params) {
    let v = S[lang()][key] || S.en[key] || key;
    for (const k in params || {}) v = v.split("{" + k + "}").join(String(params[k]));
    return v;
  }
  function cell(tr_, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr_.appendChild(td);
  }
  let shown = false;
  let timer = 0;

  function render(st) {
    $("tab-class-btn").textContent = tr("tab");
    $("class-title").textContent = tr("title");
    $("class-how").textContent = tr("how");
    $("class-url").textContent = st.url;
    if (!$("class-qr").getAttribute("src")) $("class-qr").src = "/class/qr.png";
    $("class-count").textContent = tr("count", { n: st.students.length, cap: st.cap });
    const ul = $("class-students");
    ul.replaceChildren();
    for (const s of st.students) {
      const li = document.createElement("li");
      li.textContent = s.nickname + " (" + s.name + ")";
      ul.appendChild(li);
    }
    $("class-reveal").textContent = tr("reveal");
    $("class-reveal").disabled = st.revealed || st.students.length === 0;
    for (const [id, key] of [["nick", "nick"], ["persona", "persona"], ["identified", "identified"], ["how", "how_col"], ["score", "score"]]) {
      $("class-th-" + id).textContent = tr(key);
    }
    const table = $("class-results");
    table.hidden = !st.revealed;
    $("tab-class").classList.toggle("revealed", !!st.revealed); // the table takes the whole tab
    const body = table.querySelector("tbody");
    body.replaceChildren();
    for (const r of st.results || []) {
      const row = document.createElement("tr");
      row.dataset.persona = r.persona;
      cell(row, r.nickname);
      cell(row, r.name);
      // The name the beast found, when it is not the persona's (a mix-up).
      cell(row, !r.identified ? tr("no") : !r.named ? tr("anonymous") : r.named === r.name ? tr("by_name") : tr("named", { named: r.named }));
      const facts = (r.facts || []).map((f) => I18N.t(lang(), "fact." + f.name)).join(", ");
      cell(row, [facts ? tr("facts", { facts }) : "", tr("via", { n: r.linked, kinds: (r.kinds || []).join(", ") })].filter(Boolean).join("; "));
      cell(row, I18N.num(lang(), r.score, 1), "score");
      body.appendChild(row);
    }
  }

  async function refresh() {
    let r;
    try {
      r = await fetch("/class/state");
    } catch (e) {
      return;
    }
    if (r.status !== 200) {
      clearInterval(timer); // not class mode, not the projector, or over
      return;
    }
    const st = await r.json();
    $("tab-class-btn").hidden = false;
    render(st);
    if (!shown) {
      shown = true;
      $("tab-class-btn").click();
    }
  }

  async function reveal() {
    $("class-reveal").disabled = true;
    $("class-error").textContent = tr("revealing");
    const r = await fetch("/class/reveal", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    const body = await r.json().catch(() => ({}));
    $("class-error").textContent = r.status === 200 ? "" : body.error || String(r.status);
    await refresh();
  }

  function init() {
    $("class-reveal").addEventListener("click", reveal);
    refresh();
    timer = setInterval(refresh, 2000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
