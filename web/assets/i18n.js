// Every string of the page, in English and French, and the functions that
// turn events and facts into sentences. The French follows the vocabulary
// of the seed's story ("la bête", "antennes relais", "triangulation",
// "bracelet santé", "carte fidélité", "CB"…).
//
// Everything returned here is plain text: the page puts it in the DOM with
// textContent only, so an event field can never become markup.
"use strict";

const I18N = (() => {
  const TZ = "Europe/Paris";

  const fmtCache = {};
  function fmt(lang, opts) {
    const key = lang + JSON.stringify(opts);
    if (!fmtCache[key]) {
      fmtCache[key] = new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB", Object.assign({ timeZone: TZ }, opts));
    }
    return fmtCache[key];
  }
  function hm(lang, t) {
    if (!t) return "";
    return fmt(lang, { hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(t));
  }
  function dayTime(lang, t) {
    return fmt(lang, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(t));
  }
  function num(lang, n, digits) {
    return new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { maximumFractionDigits: digits || 0, minimumFractionDigits: digits || 0 }).format(n);
  }
  function euros(lang, cents) {
    return new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", { style: "currency", currency: "EUR" }).format((cents || 0) / 100);
  }
  // Place names: the city's own (from /city.json, public geography), so
  // the page never shows an internal id such as "mall:forum-des-halles"
  // where a person expects a name. The beast only knows the names its
  // events carried (stations, merchants).
  let placeNames = {};
  function setPlaces(city) {
    const m = {};
    for (const p of [].concat((city && city.places) || [], (city && city.stations) || [])) {
      if (p.id && p.name && p.name !== p.id) m[p.id] = p.name;
    }
    placeNames = m;
  }
  function placeName(id, name) { return placeNames[id] || name || id || ""; }

  // server puts one of the beast's own sentences (a fact's display, the
  // evidence's why, a split's reason) in the page's conventions: place ids
  // become names, and in English its French money format ("93,90 €")
  // becomes the English one ("€93.90"): one money format per language.
  function server(lang, s) {
    s = String(s || "").replace(/(^|[^\w:])([a-z]+:[a-z0-9-]+)(?![\w:-])/g, (m, pre, id) => pre + (placeNames[id] || id));
    if (lang === "fr") return s;
    return s.replace(/(-?)(\d{1,3}(?:\s\d{3})*),(\d{2})\s€/g, (m, sign, units, cents) => `${sign}€${units.replace(/\s/g, ",")}.${cents}`);
  }

  function dur(lang, s) {
    s = Math.round(s || 0);
    if (s < 60) return s + " s";
    const h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60);
    if (h === 0) return m + " min";
    return h + " h " + String(m).padStart(2, "0") + " min";
  }
  function plural(lang, n, one, many) { return num(lang, n) + " " + (n === 1 ? one : many); }
  function short(v, n) { v = String(v || ""); return v.length > (n || 10) ? v.slice(0, n || 10) + "…" : v; }
  function fill(s, params) {
    return String(s).replace(/\{(\w+)\}/g, (m, k) => (params && params[k] !== undefined ? String(params[k]) : m));
  }

  // Names of event types: what the sensor is, as a student would say it.
  const SOURCES = {
    en: {
      "phone.cell": "cell towers", "phone.gps": "GPS", "phone.app": "app sessions", "phone.sms": "SMS records",
      "phone.call": "call records", "phone.search": "web searches", "transit.tap": "metro gates",
      "transit.purchase": "ticket machines", "card.payment": "card payments", "loyalty.basket": "loyalty baskets",
      "loyalty.registration": "loyalty files", "wifi.probe": "Wi-Fi probes", "wifi.association": "Wi-Fi sessions",
      "wifi.portal": "captive portals", "wristband.sync": "wristband syncs", "wristband.sleep": "sleep records",
      "wristband.activity": "activity hours", "wristband.workout": "workouts",
    },
    fr: {
      "phone.cell": "antennes relais", "phone.gps": "GPS", "phone.app": "sessions d'applis", "phone.sms": "relevés de SMS",
      "phone.call": "relevés d'appels", "phone.search": "recherches web", "transit.tap": "portiques du métro",
      "transit.purchase": "distributeurs de tickets", "card.payment": "paiements par CB", "loyalty.basket": "tickets de caisse fidélité",
      "loyalty.registration": "fichiers clients fidélité", "wifi.probe": "sondes Wi-Fi", "wifi.association": "connexions Wi-Fi",
      "wifi.portal": "portails captifs", "wristband.sync": "synchros du bracelet", "wristband.sleep": "nuits enregistrées",
      "wristband.activity": "heures d'activité", "wristband.workout": "séances de sport",
    },
  };

  const CATEGORIES = {
    fr: { transit: "transports", groceries: "courses", clothing: "vêtements", shoes: "chaussures", electronics: "high-tech",
      restaurant: "restaurant", fast_food: "restauration rapide", pharmacy: "pharmacie", books: "livres", sports_club: "sport", other: "autre" },
    en: { transit: "transit", groceries: "groceries", clothing: "clothing", shoes: "shoes", electronics: "electronics",
      restaurant: "restaurant", fast_food: "fast food", pharmacy: "pharmacy", books: "books", sports_club: "sports club", other: "other" },
  };
  const GENRES_FR = { crime: "polar", "science fiction": "science-fiction", fantasy: "fantasy", romance: "roman d'amour",
    essay: "essai", history: "histoire", comics: "BD", "literary fiction": "roman", cooking: "cuisine", travel: "voyage" };
  const DEVICE_FR = { phone: "téléphone", tablet: "tablette" };

  const D = {
    en: {
      tagline: "watch the beast learn",
      title_doc: "exhaust: watch the beast learn",
      pause: "Pause", resume: "Resume", restart: "Restart day", jump: "Jump to a moment", jump_pick: "Jump to…", legend: "Legend",
      slower: "slower", faster: "faster", person: "Person", reveal: "Reveal", lang_button: "FR",
      paused: "PAUSED", fast: "fast", day: "day {n}",
      left_title: "What {name} did — and the data each act left",
      left_sub: "The narrator knows the truth: every event below was really emitted by this person.",
      right_title: "What the beast has inferred",
      tab_map: "Map", tab_challenge: "The challenge", tab_population: "Population",
      zoom_city: "City", zoom_person: "Person", zoom_mall: "Mall",
      legend_trail: "trail: where the sensors placed them", legend_me: "where they really are",
      legend_home: "their real home", legend_area_home: "inferred home (± radius)", legend_area_work: "inferred work (± radius)",
      legend_tower_ap: "cell tower, Wi-Fi access point",
      no_events: "Nothing yet: the day has not reached this moment.",
      future: "still to come",
      show_all: "show all {n}", show_less: "show fewer",
      no_profile: "Nothing yet: the beast has not linked enough of this person's identifiers.",
      exposure: "exposure", exposure_tip: "exposure score: Σ weight × confidence over the facts, + 1 per linked identifier beyond the first",
      linked: "{n} of this person's {m} identifiers linked",
      profile_is: "really is {name}",
      profile_mixes: "also holds identifiers of {names}",
      fragments_title: "The beast has more on this person in profiles it cannot tie to them:",
      fragment: "{id}: {ids} — {facts}",
      splits_title: "The beast changed its mind: it undid links it had made.",
      split: "{a} and {b} were linked ({evidence}); undone: {why}",
      why: "why?", hide: "hide",
      evidence_count: "{n} supporting events",
      evidence_ids: "Events (click: find them in the timeline):",
      evidence_towers: "Towers (highlighted on the map):",
      evidence_places: "Places:",
      evidence_sources: "Sources:",
      confidence: "confidence {p} %",
      phone_owner: "{name}'s phone",
      phone_empty: "No notifications",
      promo_from_sms: "SMS from {shop}", promo_from_push: "App notification · {shop}", promo_from_email: "E-mail from {shop}",
      promo_toast: "{shop} pushed a promotion to {name}",
      challenge_title: "The challenge: could you spend a whole day without feeding the beast?",
      challenge_sub: "Change her settings, then replay her Sunday (in memory, never on NATS) and compare what the beast infers.",
      replay: "Replay the day", replaying: "replaying the whole city's day…",
      was_default: "(her setting)",
      before: "Her Sunday as it was", after: "With your settings",
      score_line: "{linked} identifiers linked · {events} events",
      changes_title: "Fact by fact",
      st_survived: "survived", st_weakened: "weakened", st_unlinked: "no longer tied to her", st_gone: "gone", st_new: "new",
      ch_survived: "Still inferred from {kept}.",
      ch_survived_cell: "Switching location services off does not stop the cell network: the towers still triangulate her phone.",
      ch_weakened: "Less sure ({b} → {a} %): it lost {lost}.",
      ch_unlinked: "The beast still has it, in anonymous profile {frag}, but can no longer tie it to her: a link between her identifiers is gone.",
      ch_gone: "It rested on {lost}{by}.",
      ch_gone_by: ", silenced by: {by}",
      ch_new: "New, from {kept}.",
      events_title: "What the sensors saw of her",
      sensor: "sensor", nothing: "nothing",
      formula: "Exposure = Σ over the facts of her main profile of weight × confidence (weights: {weights}; they add up to 100) + {idw} per identifier linked into that profile beyond the first. 0: the beast can tie nothing to her.",
      pop_profiles: "profiles found", pop_persons: "people in the city", pop_events: "events seen",
      pop_precision: "linkage precision", pop_recall: "linkage recall", pop_f1: "F1 (B-cubed: {b})",
      unicity_title: "Unique in the crowd: share of people singled out by p points (tower × hour)",
      unicity_ours: "this city ({n} people)",
      unicity_paper: "de Montjoye et al. 2013: 1.5 M people, 15 months, antenna × hour",
      unicity_note: "With 4 points the paper singles out 95 % of 1.5 million people (ε₄ ≈ 0.95), with 2 points more than half (ε₂ > 0.5). A small city is even easier.",
      profiles_title: "Profiles (anonymous: the beast knows no names unless someone typed one in)",
      col_profile: "profile", col_name: "name the beast knows", col_ids: "ids", col_facts: "facts", col_truth: "really",
      tag_mixed: "mixes people", tag_split: "split",
      reveal_hint: "Switch on Reveal to see who each profile really is.",
      offline: "connection lost, retrying…",
      faults_toggle: "Dirty data",
      faults_title: "Dirty data",
      faults_sub: "Real sensors are late, repeat themselves, lose and garble messages. From now on, every sensor's events suffer these faults: does the beast still find everyone?",
      fault: { delay: "late", duplicate: "repeated", drop: "lost", corrupt: "garbled", skew: "clock off" },
      fault_hint: {
        delay: "held back up to {amount}, out of order", duplicate: "sent twice, same id", drop: "never arrive",
        corrupt: "broken messages: the aggregator rejects them", skew: "devices whose clock is off by up to {amount}",
      },
      faults_plan: "In force: {plan}", faults_none: "none, clean data",
      faults_accuracy: "The beast's linkage, live", faults_f1: "linkage F1",
      faults_done: "Done to the events", faults_seen: "What the beast saw",
      done: { delay: "delayed", duplicate: "repeated", drop: "lost", corrupt: "garbled (dead-lettered)", skew: "with a wrong clock" },
      seen_duplicates: "repeats ignored", seen_late_within: "late, applied as if on time",
      seen_late_beyond: "too late to link by co-occurrence", seen_rejected: "unreadable, left out",
      moment: {
        night: "Night", "wake-up": "Waking up", morning: "Morning", "late-morning": "Late morning",
        mall: "The mall", fnac: "At the Fnac", starbucks: "At Starbucks", evening: "Evening",
      },
      caption: {
        night: "Phone on at home, location services off… but the cell towers still place her: triangulation.",
        "wake-up": "She grabs her phone at once (FOMO): apps, social networks, news, SMS, a call, searches.",
        morning: "She syncs her health wristband: sleep phases, steps, calories.",
        "late-morning": "Off to the mall: a Navigo top-up with her bank card, the metro gates.",
        mall: "She walks past shops that know she is near.",
        fnac: "Books at the Fnac: bank card and loyalty card.",
        starbucks: "Starbucks: her order in her own cup, two hours on her tablet on the Wi-Fi.",
        evening: "Home again; the wristband counts the day.",
      },
      activity: {
        sleep: "Asleep", home: "At home", work: "At work", shopping: "Shopping", cafe: "At the café",
        gym: "At the gym", park: "In the park", commute: "On the way", walk: "Walking",
      },
      to: "to {place}", by_metro: "by metro", on_foot: "on foot",
      fact: {
        home: "Home", work: "Work", sleep: "Sleep", wake_to_phone: "Wake-up to phone", activity: "Activity",
        trips: "Trips", places: "Places", spending: "Spending (bank card)", shopping: "Shopping (loyalty cards)",
        interests: "Interests", cafe: "Café habits", apps: "Apps", devices: "Devices", contacts: "Contacts",
        name: "Name", email: "E-mail",
      },
      toggle: {
        location_off: "Location services off", phone_off_night: "Phone off at night", cash: "Pay cash",
        no_loyalty: "No loyalty card", wifi_off: "Wi-Fi off", no_autojoin: "Don't join free Wi-Fi",
        mac_random: "MAC randomisation", no_wristband: "Leave the wristband at home",
      },
    },
    fr: {
      tagline: "la bête apprend",
      title_doc: "exhaust : la bête apprend",
      pause: "Pause", resume: "Reprendre", restart: "Recommencer", jump: "Aller à un moment", jump_pick: "Aller à…", legend: "Légende",
      slower: "plus lent", faster: "plus vite", person: "Personne", reveal: "Révéler", lang_button: "EN",
      paused: "EN PAUSE", fast: "rapide", day: "jour {n}",
      left_title: "La journée de {name} — et les données laissées à chaque geste",
      left_sub: "Le narrateur connaît la vérité : chaque événement ci-dessous vient bien de cette personne.",
      right_title: "Ce que la bête a deviné",
      tab_map: "Carte", tab_challenge: "Le défi", tab_population: "Population",
      zoom_city: "Ville", zoom_person: "Personne", zoom_mall: "Centre commercial",
      legend_trail: "trace : là où les capteurs ont placé la personne", legend_me: "où la personne est vraiment",
      legend_home: "son vrai domicile", legend_area_home: "domicile deviné (± rayon)", legend_area_work: "travail deviné (± rayon)",
      legend_tower_ap: "antenne relais, borne Wi-Fi",
      no_events: "Rien encore : la journée n'en est pas là.",
      future: "à venir",
      show_all: "tout afficher ({n})", show_less: "afficher moins",
      no_profile: "Rien encore : la bête n'a pas assez relié d'identifiants de cette personne.",
      exposure: "exposition", exposure_tip: "score d'exposition : Σ poids × confiance sur les faits, + 1 par identifiant relié au-delà du premier",
      linked: "{n} identifiants reliés sur {m}",
      profile_is: "est en réalité {name}",
      profile_mixes: "contient aussi des identifiants de {names}",
      fragments_title: "La bête en sait plus sur cette personne, dans des profils qu'elle ne sait pas lui rattacher :",
      fragment: "{id} : {ids} — {facts}",
      splits_title: "La bête s'est ravisée : elle a défait des liens qu'elle avait faits.",
      split: "{a} et {b} étaient liés ({evidence}) ; lien défait : {why}",
      why: "pourquoi ?", hide: "masquer",
      evidence_count: "{n} événements à l'appui",
      evidence_ids: "Événements (cliquer : les retrouver dans la journée) :",
      evidence_towers: "Antennes relais (en rouge sur la carte) :",
      evidence_places: "Lieux :",
      evidence_sources: "Sources :",
      confidence: "confiance {p} %",
      phone_owner: "Téléphone de {name}",
      phone_empty: "Aucune notification",
      promo_from_sms: "SMS de {shop}", promo_from_push: "Notification · {shop}", promo_from_email: "E-mail de {shop}",
      promo_toast: "{shop} a envoyé une promotion à {name}",
      challenge_title: "Le défi : saurez-vous passer une journée entière sans jamais alimenter la bête ?",
      challenge_sub: "Changez ses réglages, rejouez son dimanche (en mémoire, jamais sur NATS) et comparez ce que la bête en déduit.",
      replay: "Rejouer la journée", replaying: "toute la ville revit sa journée…",
      was_default: "(son réglage)",
      before: "Son dimanche tel quel", after: "Avec vos réglages",
      score_line: "{linked} identifiants reliés · {events} événements",
      changes_title: "Fait par fait",
      st_survived: "a survécu", st_weakened: "affaibli", st_unlinked: "n'est plus rattaché à elle", st_gone: "disparu", st_new: "nouveau",
      ch_survived: "Toujours déduit de : {kept}.",
      ch_survived_cell: "Couper la géolocalisation n'empêche pas les antennes relais de la localiser : c'est la triangulation.",
      ch_weakened: "Moins sûr ({b} → {a} %) : il a perdu {lost}.",
      ch_unlinked: "La bête l'a toujours, dans le profil anonyme {frag}, mais ne peut plus le rattacher à elle : un lien entre ses identifiants a disparu.",
      ch_gone: "Il reposait sur : {lost}{by}.",
      ch_gone_by: ", réduits au silence par : {by}",
      ch_new: "Nouveau, grâce à : {kept}.",
      events_title: "Ce que les capteurs ont vu d'elle",
      sensor: "capteur", nothing: "rien",
      formula: "Exposition = Σ, sur les faits de son profil principal, de poids × confiance (poids : {weights} ; total 100) + {idw} par identifiant relié à ce profil au-delà du premier. 0 : la bête ne peut rien lui rattacher.",
      pop_profiles: "profils trouvés", pop_persons: "habitants", pop_events: "événements vus",
      pop_precision: "précision des liens", pop_recall: "rappel des liens", pop_f1: "F1 (B-cubed : {b})",
      unicity_title: "Unique dans la foule : part des personnes isolées par p points (antenne × heure)",
      unicity_ours: "cette ville ({n} habitants)",
      unicity_paper: "de Montjoye et al. 2013 : 1,5 M de personnes, 15 mois, antenne × heure",
      unicity_note: "Avec 4 points, l'étude isole 95 % de 1,5 million de personnes (ε₄ ≈ 0,95) ; avec 2 points, plus de la moitié (ε₂ > 0,5). Une petite ville, c'est encore plus facile.",
      profiles_title: "Profils (anonymes : la bête ne connaît aucun nom, sauf si quelqu'un l'a saisi)",
      col_profile: "profil", col_name: "nom connu de la bête", col_ids: "ids", col_facts: "faits", col_truth: "en réalité",
      tag_mixed: "mélange des personnes", tag_split: "éclaté",
      reveal_hint: "Activez « Révéler » pour voir qui est vraiment derrière chaque profil.",
      offline: "connexion perdue, nouvelle tentative…",
      faults_toggle: "Données sales",
      faults_title: "Données sales",
      faults_sub: "Les vrais capteurs sont en retard, se répètent, perdent et abîment des messages. Dès maintenant, les événements de tous les capteurs subissent ces pannes : la bête retrouve-t-elle encore tout le monde ?",
      fault: { delay: "en retard", duplicate: "répétés", drop: "perdus", corrupt: "abîmés", skew: "horloge fausse" },
      fault_hint: {
        delay: "retenus jusqu'à {amount}, dans le désordre", duplicate: "envoyés deux fois, même identifiant", drop: "n'arrivent jamais",
        corrupt: "messages cassés : l'agrégateur les rejette", skew: "appareils dont l'horloge se trompe jusqu'à {amount}",
      },
      faults_plan: "En vigueur : {plan}", faults_none: "aucune, données propres",
      faults_accuracy: "Les liens de la bête, en direct", faults_f1: "F1 des liens",
      faults_done: "Infligé aux événements", faults_seen: "Ce que la bête a vu",
      done: { delay: "retardés", duplicate: "répétés", drop: "perdus", corrupt: "abîmés (rejetés)", skew: "à l'horloge fausse" },
      seen_duplicates: "répétitions ignorées", seen_late_within: "en retard, appliqués comme à l'heure",
      seen_late_beyond: "trop tard pour les liens par co-occurrence", seen_rejected: "illisibles, écartés",
      moment: {
        night: "La nuit", "wake-up": "Le réveil", morning: "Le matin", "late-morning": "Fin de matinée",
        mall: "Le centre commercial", fnac: "À la Fnac", starbucks: "Au Starbucks", evening: "Le soir",
      },
      caption: {
        night: "Téléphone allumé chez elle, géolocalisation coupée… mais rien n'empêche les antennes relais de la localiser : la triangulation.",
        "wake-up": "Premier réflexe au réveil : le smartphone (FOMO). Applis, réseaux sociaux, actus, SMS, un appel, des recherches.",
        morning: "Elle synchronise son « bracelet santé » : phases de sommeil, pas, calories.",
        "late-morning": "Direction le centre commercial : recharge du Pass Navigo avec sa CB, portiques du métro.",
        mall: "Elle passe devant des magasins qui savent qu'elle est dans le coin.",
        fnac: "Des livres à la Fnac : CB et carte fidélité.",
        starbucks: "Un petit Starbucks : sa commande dans son propre « récipient », deux heures sur sa tablette, sur le Wi-Fi.",
        evening: "Retour à la maison ; le bracelet compte la journée.",
      },
      activity: {
        sleep: "Sommeil", home: "À la maison", work: "Au travail", shopping: "Courses", cafe: "Au café",
        gym: "À la salle de sport", park: "Au parc", commute: "En route", walk: "À pied",
      },
      to: "vers {place}", by_metro: "en métro", on_foot: "à pied",
      fact: {
        home: "Domicile", work: "Travail", sleep: "Sommeil", wake_to_phone: "Du réveil au smartphone", activity: "Activité physique",
        trips: "Trajets", places: "Lieux fréquentés", spending: "Dépenses (CB)", shopping: "Achats (cartes fidélité)",
        interests: "Centres d'intérêt", cafe: "Habitudes au café", apps: "Applications", devices: "Appareils", contacts: "Contacts",
        name: "Nom", email: "E-mail",
      },
      toggle: {
        location_off: "Géolocalisation désactivée", phone_off_night: "Téléphone éteint la nuit", cash: "Payer en espèces",
        no_loyalty: "Pas de carte fidélité", wifi_off: "Wi-Fi désactivé", no_autojoin: "Pas de Wi-Fi gratuit (portail captif)",
        mac_random: "Adresse MAC aléatoire", no_wristband: "Bracelet santé laissé à la maison",
      },
    },
  };

  // t returns the string for key (a dotted path), with {params} filled in.
  function t(lang, key, params) {
    let v = key.split(".").reduce((o, k) => (o && o[k] !== undefined ? o[k] : undefined), D[lang]);
    if (v === undefined) v = key.split(".").reduce((o, k) => (o && o[k] !== undefined ? o[k] : undefined), D.en);
    if (v === undefined) return key;
    return fill(v, params);
  }

  function source(lang, type) { return (SOURCES[lang] && SOURCES[lang][type]) || type; }
  function sources(lang, types) { return (types || []).map((x) => source(lang, x)).join(", "); }

  // describe turns one event's data into a sentence of what the sensor saw.
  function describe(lang, type, d) {
    const fr = lang === "fr";
    const w = d.where || {};
    const ids = d.ids || [];
    const idOf = (k) => { const x = ids.find((i) => i.kind === k); return x ? x.value : ""; };
    switch (type) {
      case "phone.cell": {
        const m = (d.measurements || [])[0] || {};
        const n = (d.measurements || []).length;
        const why = { attach: fr ? "le téléphone s'allume" : "phone switched on", handover: fr ? "changement d'antenne" : "handover",
          periodic: fr ? "signal périodique" : "periodic check-in", detach: fr ? "le téléphone s'éteint" : "phone switched off" }[d.event] || d.event;
        return fr ? `Antenne relais ${d.tower} : votre téléphone, ${m.rssi_dbm} dBm (${why}) ; ${n} antennes mesurées → triangulation`
          : `Cell tower ${d.tower}: your phone, ${m.rssi_dbm} dBm (${why}); ${n} towers measured → triangulation`;
      }
      case "phone.gps":
        return fr ? `Position GPS transmise à ${d.app} (±${Math.round(w.accuracy_m || 0)} m)` : `GPS fix handed to ${d.app} (±${Math.round(w.accuracy_m || 0)} m)`;
      case "phone.app": {
        const dev = fr ? (DEVICE_FR[d.device] || d.device) : d.device;
        const num = idOf("msisdn") ? (fr ? ", avec votre numéro" : ", with your phone number") : "";
        return fr ? `${d.app} sur votre ${dev}, ${dur(lang, d.duration_s)}${num}` : `${d.app} on your ${dev}, ${dur(lang, d.duration_s)}${num}`;
      }
      case "phone.sms":
        return fr ? `SMS ${d.direction === "in" ? "reçu" : "envoyé"} : correspondant ${short(d.correspondent, 8)} (haché), antenne ${w.place ? w.place.replace("tower:", "") : "?"}`
          : `SMS ${d.direction === "in" ? "received" : "sent"}: correspondent ${short(d.correspondent, 8)} (hashed), tower ${w.place ? w.place.replace("tower:", "") : "?"}`;
      case "phone.call":
        return fr ? `Appel ${d.direction === "in" ? "reçu" : "passé"}, ${dur(lang, d.duration_s)} : correspondant ${short(d.correspondent, 8)} (haché)`
          : `Call ${d.direction === "in" ? "received" : "made"}, ${dur(lang, d.duration_s)}: correspondent ${short(d.correspondent, 8)} (hashed)`;
      case "phone.search":
        return fr ? `Recherche : « ${d.query} » (rubrique ${d.topic})` : `Search: “${d.query}” (filed under ${d.topic})`;
      case "transit.tap": {
        const what = idOf("pass") ? (fr ? "votre Pass Navigo" : "your Navigo pass") : (fr ? "votre ticket" : "your ticket");
        return fr ? `Portique ${d.direction === "in" ? "d'entrée" : "de sortie"} à ${d.station_name} (ligne ${d.line}) : ${what} lu`
          : `Gate ${d.direction === "in" ? "in" : "out"} at ${d.station_name} (line ${d.line}) read ${what}`;
      }
      case "transit.purchase": {
        const prod = d.product === "ticket" ? (fr ? `${d.count} ticket(s)` : `${d.count} ticket(s)`) : (fr ? `recharge ${d.product}` : `${d.product} top-up`);
        const pay = d.payment === "card" ? (fr ? "payé par CB" : "paid by card") : (fr ? "payé en espèces" : "paid cash");
        return fr ? `Distributeur à ${d.station_name} : ${prod}, ${euros(lang, d.amount_cents)}, ${pay}`
          : `Ticket machine at ${d.station_name}: ${prod}, ${euros(lang, d.amount_cents)}, ${pay}`;
      }
      case "card.payment":
        return fr ? `Paiement CB : ${euros(lang, d.amount_cents)} chez ${d.merchant}` : `Card payment: ${euros(lang, d.amount_cents)} at ${d.merchant}`;
      case "loyalty.basket": {
        const items = d.items || [];
        const n = items.reduce((a, i) => a + (i.qty || 1), 0);
        const genres = items.filter((i) => i.genre).map((i) => (fr ? GENRES_FR[i.genre] || i.genre : i.genre));
        const g = genres.length ? ` (${genres.join(", ")})` : "";
        const names = items.filter((i) => !i.genre).map((i) => i.name).join(", ");
        const cup = d.own_cup ? (fr ? ", dans votre propre tasse" : ", in your own cup") : "";
        return fr ? `Carte fidélité ${d.chain} : ${n} article(s)${g}${names ? " — " + names : ""}, ${euros(lang, d.total_cents)}${cup}`
          : `${d.chain} loyalty card: ${n} item(s)${g}${names ? " — " + names : ""}, ${euros(lang, d.total_cents)}${cup}`;
      }
      case "loyalty.registration":
        return fr ? `Fichier client ${d.chain} : ${d.name}, ${d.email}` : `${d.chain} customer file: ${d.name}, ${d.email}`;
      case "wifi.probe":
        return fr ? `La borne ${d.ssid} a entendu votre appareil ${idOf("mac")} (${d.rssi_dbm} dBm, à ~${Math.round(w.accuracy_m || 0)} m)`
          : `${d.ssid} access point heard your device ${idOf("mac")} (${d.rssi_dbm} dBm, ~${Math.round(w.accuracy_m || 0)} m away)`;
      case "wifi.association":
        return fr ? `Connecté à ${d.ssid} pendant ${dur(lang, d.duration_s)}` : `Joined ${d.ssid} for ${dur(lang, d.duration_s)}`;
      case "wifi.portal":
        return fr ? `Portail captif ${d.ssid} : vous avez saisi ${idOf("email")}` : `${d.ssid} captive portal: you typed in ${idOf("email")}`;
      case "wristband.sync":
        return fr ? `Bracelet santé synchronisé par votre téléphone (${d.records} relevés, batterie ${d.battery_pct} %)`
          : `Wristband synced through your phone (${d.records} records, battery ${d.battery_pct}%)`;
      case "wristband.sleep": {
        const tt = d.totals_s || {};
        return fr ? `Nuit envoyée : couchée ${hm(lang, d.bed)}, levée ${hm(lang, d.wake)}, sommeil profond ${dur(lang, tt.deep)}, léger ${dur(lang, tt.light)}`
          : `Night uploaded: in bed ${hm(lang, d.bed)}, up ${hm(lang, d.wake)}, deep sleep ${dur(lang, tt.deep)}, light ${dur(lang, tt.light)}`;
      }
      case "wristband.activity":
        return fr ? `Heure de ${hm(lang, d.start)} : ${num(lang, d.steps)} pas, ${d.heart_rate_avg_bpm} bpm, ${d.calories_kcal} kcal`
          : `Hour from ${hm(lang, d.start)}: ${num(lang, d.steps)} steps, ${d.heart_rate_avg_bpm} bpm, ${d.calories_kcal} kcal`;
      case "wristband.workout":
        return fr ? `Séance de ${d.sport} : ${dur(lang, d.duration_s)}, ${d.calories_kcal} kcal` : `Workout: ${d.sport}, ${dur(lang, d.duration_s)}, ${d.calories_kcal} kcal`;
    }
    return type;
  }

  // foldKey: events of one group with the same key are shown as one line,
// the latest of them, moved to the end.
  function foldKey(type, d) {
    switch (type) {
      case "phone.cell": return type + "/" + d.tower;
      case "wifi.probe": return type + "/" + d.ssid + "/" + ((d.ids || [])[0] || {}).value;
      case "phone.gps":
      case "wristband.activity": return type;
    }
    return "";
  }

  function list(lang, items, n) {
    const head = items.slice(0, n);
    const more = items.length - head.length;
    return head.join(", ") + (more > 0 ? (lang === "fr" ? `, et ${more} de plus` : `, ${more} more`) : "");
  }

  // factText: one line for a fact. English uses the beast's own display.
  function factText(lang, f) {
    const v = f.value || {};
    if (lang !== "fr") {
      // Money facts are written from their values: English amounts.
      const E = "en";
      switch (f.name) {
        case "spending":
          return `spending: ${euros(E, v.total_cents)} in ${plural(E, v.payments, "card payment", "card payments")} — ` +
            list(E, (v.by_category || []).map((c) => `${CATEGORIES.en[c.category] || String(c.category).replace(/_/g, " ")} ${euros(E, c.cents)}`), 4);
        case "shopping":
          return `shopping: ${euros(E, v.total_cents)} in ${plural(E, v.baskets, "loyalty basket", "loyalty baskets")} — ` +
            list(E, (v.chains || []).map((c) => `${c.chain} ${euros(E, c.cents)} (${plural(E, c.items, "item", "items")})`), 4);
      }
      return server(lang, f.display);
    }
    const L = "fr";
    switch (f.name) {
      case "home":
      case "work": {
        let s = `±${v.radius_m} m autour de ${num(L, v.lat, 4)}, ${num(L, v.lon, 4)}`;
        if (v.station_name) s += `, près de ${v.station_name}`;
        if (f.name === "work") s += ` (${plural(L, v.days, "jour de semaine", "jours de semaine")})`;
        return s;
      }
      case "sleep": {
        const p = v.last_phases_s || {};
        return `la nuit dernière ${hm(L, v.last_bed)} → ${hm(L, v.last_wake)}, ${dur(L, v.last_duration_s)} (profond ${dur(L, p.deep)}, paradoxal ${dur(L, p.rem)}, léger ${dur(L, p.light)}) ; ${dur(L, v.avg_duration_s)} en moyenne sur ${plural(L, v.nights, "nuit", "nuits")}, couchée à ${v.avg_bed}, levée à ${v.avg_wake}`;
      }
      case "wake_to_phone":
        return `${dur(L, v.last_delay_s)} après le réveil (${v.last_app}) ; médiane ${dur(L, v.median_delay_s)} sur ${plural(L, v.mornings, "matin", "matins")}`;
      case "activity":
        return `${num(L, v.steps_per_day)} pas et ${num(L, v.kcal_per_day)} kcal par jour sur ${plural(L, v.days, "jour", "jours")}, cœur à ${v.heart_rate_avg_bpm} bpm en moyenne`;
      case "trips": {
        const end = (name, line, at) => (name ? `${name}${line ? ` (${line})` : ""} ${hm(L, at)}` : "…");
        const to = (x) => (x.to_inferred ? `${x.to_name} ?` : end(x.to_name, x.to_line, x.out)); // inferred: no exit gate read it
        const r = (v.recent || []).slice(-2).map((x) => `${end(x.from_name, x.from_line, x.in)} → ${to(x)}`);
        return `${plural(L, v.trips, "trajet", "trajets")} en métro — ${r.join(" ; ")}`;
      }
      case "places":
        return list(L, (v.places || []).map((p) => placeName(p.place, p.name) + (p.dwell_s ? " " + dur(L, p.dwell_s) : "")), 5);
      case "spending":
        return `${euros(L, v.total_cents)} en ${plural(L, v.payments, "paiement CB", "paiements CB")} — ` +
          list(L, (v.by_category || []).map((c) => `${CATEGORIES.fr[c.category] || c.category} ${euros(L, c.cents)}`), 4);
      case "shopping":
        return `${euros(L, v.total_cents)} en ${plural(L, v.baskets, "ticket fidélité", "tickets fidélité")} — ` +
          list(L, (v.chains || []).map((c) => `${c.chain} ${euros(L, c.cents)} (${plural(L, c.items, "article", "articles")})`), 4);
      case "interests": {
        const parts = [];
        if ((v.book_genres || []).length) parts.push("livres : " + v.book_genres.map((g) => (GENRES_FR[g.name] || g.name) + (g.count > 1 ? ` ×${g.count}` : "")).join(", "));
        if ((v.search_topics || []).length) parts.push("recherches : " + list(L, v.search_topics.map((g) => g.name), 5));
        return parts.join(" ; ");
      }
      case "cafe":
        return `${v.order || "?"}, tasse perso ${v.own_cup} fois sur ${plural(L, v.visits, "visite", "visites")}, ${num(L, v.visits_per_week, 1)} visite(s) par semaine`;
      case "apps":
        return list(L, (v.apps || []).map((a) => `${a.app} ${dur(L, a.seconds)}`), 4) + ` (${plural(L, v.sessions, "session", "sessions")})`;
      case "devices":
        return `${plural(L, v.phones, "téléphone", "téléphones")}, ${plural(L, v.tablets, "tablette", "tablettes")}, ${plural(L, v.wristbands, "bracelet", "bracelets")}, ${plural(L, v.wifi, "adresse Wi-Fi", "adresses Wi-Fi")}`;
      case "contacts":
        return `${plural(L, (v.contacts || []).length, "correspondant", "correspondants")} — ` + list(L, (v.contacts || []).map((c) => {
          const who = short(c.hash, 8) + (c.msisdn ? " = " + c.msisdn : "");
          const sms = c.sms_in + c.sms_out, calls = c.calls_in + c.calls_out;
          return `${who} : ${sms ? sms + " SMS" : ""}${sms && calls ? ", " : ""}${calls ? plural(L, calls, "appel", "appels") : ""}`;
        }), 3);
      case "name":
        return v.name;
      case "email":
        return (v.emails || []).join(", ");
    }
    return server(lang, f.display);
  }

  const REG_FR = (s) => String(s).replace(/^(\w+) loyalty registration$/, "inscription à la carte fidélité $1").replace(/^(.+) captive portal$/, "portail captif $1");

  // factWhy: the sentence behind a fact. English uses the beast's own.
  function factWhy(lang, f) {
    if (lang !== "fr") return server(lang, (f.evidence || {}).why);
    const v = f.value || {};
    const e = f.evidence || {};
    const L = "fr";
    switch (f.name) {
      case "home":
      case "work": {
        const parts = [];
        if ((v.towers || []).length) {
          parts.push(`votre téléphone a signalé les antennes relais ${v.towers.slice(0, 4).join("/")} ${f.name === "home" ? `pendant ${plural(L, v.days, "nuit", "nuits")} entre 22 h et 7 h` : `pendant ${plural(L, v.days, "jour de semaine", "jours de semaine")} entre 9 h 30 et 16 h 30`} (${plural(L, v.reports, "relevé moyenné", "relevés moyennés")}) : c'est la triangulation`);
        }
        if (v.gps_fixes) parts.push(`des applis ont reçu ${plural(L, v.gps_fixes, "position GPS", "positions GPS")}`);
        if (v.station_name) parts.push(`vos journées commencent et finissent à la station ${v.station_name}`);
        return parts.join(" ; ");
      }
      case "sleep": return `votre bracelet santé a envoyé ${plural(L, v.nights, "nuit", "nuits")} de sommeil, phase par phase`;
      case "wake_to_phone": return "le bracelet santé donne l'heure du réveil, les applis celle de votre première session sur le smartphone";
      case "activity": return `votre bracelet santé a envoyé ${plural(L, v.hours, "heure", "heures")} de pas, de rythme cardiaque et de calories, en ${plural(L, v.wristband_syncs, "synchronisation", "synchronisations")} par votre téléphone`;
      case "trips": return `les portiques du métro ont lu votre Pass Navigo ou vos tickets, et les distributeurs vous en ont vendu (${plural(L, e.count, "événement", "événements")})`;
      case "places": return `les bornes Wi-Fi, votre CB et les portiques du métro vous ont vu (${plural(L, e.count, "événement", "événements")})`;
      case "spending": return `votre banque a enregistré ${plural(L, v.payments, "paiement par CB", "paiements par CB")} : commerçant, catégorie, montant, heure`;
      case "shopping": return "les caisses ont détaillé chaque ticket de vos cartes fidélité";
      case "interests": {
        const parts = [];
        if ((v.book_genres || []).length) parts.push("la caisse de la Fnac a détaillé les genres de vos livres");
        if ((v.search_topics || []).length) parts.push("le moteur de recherche a classé vos recherches sous votre identifiant publicitaire");
        return parts.join(" ; ");
      }
      case "cafe": return `la caisse du café a détaillé votre commande (et votre tasse) ; votre CB a payé ${plural(L, v.visits, "fois", "fois")} dans des cafés`;
      case "apps": return `les statistiques des applis ont enregistré ${plural(L, v.sessions, "session", "sessions")} sous votre identifiant publicitaire`;
      case "devices": return "ces identifiants ont été reliés dans ce profil : " + (v.items || []).map((i) => `${i.kind} ${short(i.id, 10)}`).join(", ");
      case "contacts": return "les relevés de l'opérateur (SMS, appels) ; les numéros sont « anonymisés » par hachage, mais le même numéro donne toujours la même empreinte, et la bête connaît les numéros";
      case "name":
      case "email": return "vous l'avez saisi vous-même : " + (v.sources || []).map(REG_FR).join(", ");
    }
    return server(lang, e.why);
  }

  return { t, describe, foldKey, factText, factWhy, source, sources, hm, dayTime, num, dur, euros, setPlaces, placeName, server, D };
})();
