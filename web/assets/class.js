// The student's page in class mode: pick a nickname, a persona of the city
// and its privacy switches, join, wait for the teacher's reveal, then read
// (and print) what the beast knew about you today. Everything reaches the
// DOM through textContent: a nickname can never become markup.
"use strict";

(() => {
  const LANGS = ["en", "fr"];
  const S = {
    en: {
      title: "exhaust: class", intro: "Before the day starts, pick who you are in the city and how careful they are. At the end, the projector reveals what the beast made of each of you.",
      nickname: "Your nickname (1 to 20 letters, digits or spaces)", persona: "Your persona", switches: "Your privacy switches", join: "Join the day",
      taken: "taken", hero: "the story's hero",
      waiting: "You are {nick}, playing {name}.", waiting_sub: "Watch the projector: when the day is over, your teacher reveals the results here.",
      report: "What the beast knew about you today", who: "{nick}, playing {name}, with: {switches}.", none: "no privacy switch",
      identified_named: "The beast identified you: a profile holding {linked} of your identifiers, under your name ({named}).",
      identified: "The beast tied {linked} of your identifiers into one profile ({profile}), without your name.",
      missed: "The beast could not tie your identifiers into a profile of you.",
      score: "Exposure score: {score}", note: "A simulation: the persona, the city and the beast are synthetic. Nothing you entered is kept once the demo ends.",
      print: "Print or save as PDF", over: "The class is over.", gone: "The demo has ended: nothing was kept.",
    },
    fr: {
      title: "exhaust : la classe", intro: "Avant que la journée commence, choisissez qui vous êtes dans la ville et vos réglages de vie privée. À la fin, le vidéoprojecteur révèle ce que la bête a compris de chacun.",
      nickname: "Votre pseudo (1 à 20 lettres, chiffres ou espaces)", persona: "Votre personnage", switches: "Vos réglages de vie privée", join: "Rejoindre la journée",
      taken: "pris", hero: "l'héroïne de l'histoire",
      waiting: "Vous êtes {nick}, dans le rôle de {name}.", waiting_sub: "Regardez le vidéoprojecteur : quand la journée sera finie, votre enseignant révélera les résultats ici.",
      report: "Ce que la bête savait de vous aujourd'hui", who: "{nick}, dans le rôle de {name}, avec : {switches}.", none: "aucun réglage",
      identified_named: "La bête vous a identifié : un profil qui tient {linked} de vos identifiants, à votre nom ({named}).",
      identified: "La bête a relié {linked} de vos identifiants dans un profil ({profile}), sans votre nom.",
      missed: "La bête n'a pas pu relier vos identifiants dans un profil à vous.",
      score: "Score d'exposition : {score}", note: "Une simulation : le personnage, la ville et la bête sont synthétiques. Rien de ce que vous avez saisi n'est gardé après la démo.",
      print: "Imprimer ou enregistrer en PDF", over: "La classe est terminée.", gone: "La démo est finie : rien n'a été gardé.",
    },
  };
  let lang = LANGS.includes(localStorage.getItem("exhaust.lang")) ? localStorage.getItem("exhaust.lang") : "en";
  let info = null; // /class/personas
  let me = null; // /class/me
  let timer = 0;

  const $ = (id) => document.getElementById(id);
  function tr(key, params) {
    let v = S[lang][key] || S.en[key] || key;
    for (const k in params || {}) v = v.split("{" + k + "}").join(String(params[k]));
    return v;
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin" });
    const body = await r.json().catch(() => ({}));
    return { status: r.status, body };
  }

  function switchesText(st) {
    const on = ((info && info.toggles) || []).filter((t) => st && st[t.key]).map((t) => I18N.t(lang, "toggle." + t.key));
    return on.length ? on.join(", ") : tr("none");
  }

  function renderStatic() {
    document.documentElement.lang = lang;
    $("lang").textContent = lang === "en" ? "FR" : "EN";
    $("title").textContent = tr("title");
    $("intro").textContent = tr("intro");
    $("nickname-label").textContent = tr("nickname");
    $("persona-label").textContent = tr("persona");
    $("switches-label").textContent = tr("switches");
    $("join-btn").textContent = tr("join");
    $("print").textContent = tr("print");
    document.title = me && me.result ? tr("report") : tr("title");
  }

  function renderForm() {
    const sel = $("persona");
    const keep = sel.value;
    sel.replaceChildren();
    for (const p of info.personas) {
      const label = p.name + (p.id === "hero" ? " (" + tr("hero") + ")" : "") + (p.taken ? " — " + tr("taken") : "");
      const o = el("option", "", label);
      o.value = p.id;
      o.disabled = p.taken;
      sel.appendChild(o);
    }
    const free = info.personas.filter((p) => !p.taken);
    sel.value = free.some((p) => p.id === keep) ? keep : (free[0] || {}).id || "";
    const box = $("switches");
    const checked = {};
    for (const i of box.querySelectorAll("input")) checked[i.name] = i.checked;
    box.replaceChildren();
    const persona = info.personas.find((p) => p.id === sel.value);
    for (const t of info.toggles) {
      const l = el("label");
      const i = el("input");
      i.type = "checkbox";
      i.name = t.key;
      i.checked = t.key in checked ? checked[t.key] : !!(persona && persona.defaults[t.key]);
      l.appendChild(i);
      l.appendChild(document.createTextNode(I18N.t(lang, "toggle." + t.key)));
      box.appendChild(l);
    }
  }

  function renderMe() {
    const st = me.student;
    $("join").hidden = true;
    if (!me.result) {
      $("waiting").hidden = false;
      $("report").hidden = true;
      $("waiting-who").textContent = tr("waiting", { nick: st.nickname, name: st.name });
      $("waiting-sub").textContent = tr("waiting_sub");
      return;
    }
    const r = me.result;
    $("waiting").hidden = true;
    $("report").hidden = false;
    $("report-title").textContent = tr("report");
    $("report-who").textContent = tr("who", { nick: r.nickname, name: r.name, switches: switchesText(r.settings) });
    $("report-verdict").textContent = !r.identified ? tr("missed")
      : r.named ? tr("identified_named", { linked: r.linked, named: r.named })
        : tr("identified", { linked: r.linked, profile: r.profile });
    $("report-score").textContent = tr("score", { score: I18N.num(lang, r.score, 1) });
    const ol = $("report-facts");
    ol.replaceChildren();
    for (const f of r.facts || []) {
      const li = el("li", "fact");
      li.dataset.fact = f.name;
      li.appendChild(el("strong", "", I18N.t(lang, "fact." + f.name) + " "));
      // English facts are the beast's own lines, "home: …": the name is shown already.
      const text = I18N.factText(lang, f);
      li.appendChild(document.createTextNode(lang === "en" ? text.replace(/^[^:]{1,20}: /, "") : text));
      li.appendChild(el("span", "why", I18N.factWhy(lang, f)));
      ol.appendChild(li);
    }
    $("report-note").textContent = tr("note");
    document.title = tr("report");
  }

  async function refresh() {
    const m = await getJSON("/class/me");
    if (m.status === 410) {
      clearInterval(timer);
      $("status").textContent = tr("gone");
      return;
    }
    if (m.status === 200) {
      me = m.body;
      renderMe();
      if (me.result) clearInterval(timer);
      return;
    }
    const p = await getJSON("/class/personas");
    if (p.status !== 200) {
      $("status").textContent = (p.body && p.body.error) || tr("gone");
      return;
    }
    info = p.body;
    if (info.revealed) {
      $("join").hidden = true;
      $("status").textContent = tr("over");
      return;
    }
    $("join").hidden = false;
    renderForm();
  }

  async function join(ev) {
    ev.preventDefault();
    const settings = {};
    for (const i of $("switches").querySelectorAll("input")) settings[i.name] = i.checked;
    const r = await fetch("/class/join", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ nickname: $("nickname").value, persona: $("persona").value, settings }),
    });
    const body = await r.json().catch(() => ({}));
    if (r.status !== 201) {
      $("join-error").textContent = body.error || String(r.status);
      await refresh();
      return;
    }
    $("join-error").textContent = "";
    me = body;
    renderMe();
  }

  async function init() {
    renderStatic();
    getJSON("/city.json").then((c) => { if (c.status === 200) I18N.setPlaces(c.body); }).catch(() => {});
    $("join").addEventListener("submit", join);
    $("persona").addEventListener("change", () => { $("switches").replaceChildren(); renderForm(); });
    $("print").addEventListener("click", () => window.print());
    $("lang").addEventListener("click", () => {
      lang = lang === "en" ? "fr" : "en";
      localStorage.setItem("exhaust.lang", lang);
      renderStatic();
      if (me) renderMe(); else if (info) renderForm();
    });
    await refresh();
    timer = setInterval(refresh, 2000);
  }
  init();
})();
