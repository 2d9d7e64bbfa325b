// The check-in kiosk: pairing, identification by PIN or card, check-ins kept in a queue on the
// tablet and sent when the network allows. Plain JS, no build step. The server re-checks
// everything; this page only displays and remembers.

const API = document.body.dataset.api;
const KEYS = {
  token: "marmots.kiosk.token",
  kiosk: "marmots.kiosk.info",
  queue: "marmots.kiosk.queue",
  refused: "marmots.kiosk.refused",
  day: "marmots.kiosk.day",
  lock: "marmots.kiosk.lock",
};
const PIN_LENGTH = 6;
const IDLE_SECONDS = 20;
const GOODBYE_SECONDS = 4;
const RETRY_MS = 15_000;
const BATCH_SIZE = 200;
const REFUSED_KEPT = 50;
const PBKDF2_ITERATIONS = 100_000;
const LOCK = { attempts: 5, windowMs: 10 * 60_000, durationMs: 5 * 60_000 };
const LABELS = { arrival: "Arrivée", departure: "Départ" };
const DONE = { arrival: "Arrivé(e) à", departure: "Parti(e) à" };
const NOT_SEEN =
  "Hors ligne : cette famille n'a pas encore été vue aujourd'hui sur cette tablette. " +
  "Signalez l'arrivée à l'équipe.";

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- storage

function load(key, fallback) {
  try {
    const value = localStorage.getItem(key);
    return value === null ? fallback : JSON.parse(value);
  } catch {
    return fallback;
  }
}

function save(key, value) {
  localStorage.setItem(key, JSON.stringify(value));
}

// ---------------------------------------------------------------- time (the tablet's clock)

const pad2 = (n) => String(n).padStart(2, "0");

function localDate(d = new Date()) {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

function hhmm(d) {
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** "2026-11-30T07:42:10+01:00": the tablet's local time with its offset. */
function isoWithOffset(d) {
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  const sign = offset >= 0 ? "+" : "-";
  const time = `${hhmm(d)}:${pad2(d.getSeconds())}`;
  return `${localDate(d)}T${time}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** "07:42" -> "7h42" */
function frenchTime(value) {
  const [h, m] = value.split(":");
  return `${Number(h)}h${m}`;
}

function secondsOf(value) {
  const [h, m] = value.split(":").map(Number);
  return h * 3600 + m * 60;
}

// ---------------------------------------------------------------- network

class Offline extends Error {}

let online = navigator.onLine;

function setOnline(value) {
  if (online !== value) {
    online = value;
    renderStatus();
  }
}

/** One call to the kiosk API. Throws Offline when the network or the server is down. */
async function api(method, path, { body, grant, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  const token = load(KEYS.token, null);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  if (grant) headers["X-Kiosk-Grant"] = grant;
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    setOnline(false);
    throw new Offline();
  }
  if (response.status >= 500) {
    setOnline(false);
    throw new Offline();
  }
  setOnline(true);
  const data = await response.json().catch(() => ({}));
  if (response.status === 401 && auth && data.code === "tablette_revoquee") unpair(data.detail);
  return { status: response.status, data };
}

/** The French message of an API error, or `fallback` (validation errors carry a list). */
function said(data, fallback) {
  return typeof data.detail === "string" ? data.detail : fallback;
}

// ---------------------------------------------------------------- screens and status

const SCREENS = ["ecran-appairage", "ecran-accueil", "ecran-famille"];
let current = null;

function show(screen) {
  $("chargement").hidden = true;
  for (const id of SCREENS) $(id).hidden = id !== screen;
  if (current !== screen) $(screen).querySelector("h1").focus({ preventScroll: true });
  current = screen;
}

function plural(n, word) {
  return `${n} ${word}${n > 1 ? "s" : ""}`;
}

function renderStatus() {
  const waiting = load(KEYS.queue, []).length;
  const net = $("reseau");
  net.className = online ? "net online" : "net offline";
  net.textContent = online
    ? "En ligne"
    : "Hors ligne : les pointages sont gardés sur la tablette et seront envoyés au retour du réseau";
  const text = waiting
    ? `${plural(waiting, "pointage")} en attente d'envoi`
    : "Aucun pointage en attente";
  $("file").textContent = text;
  $("equipe-file").textContent = text;
  $("non-transmis").hidden = waiting === 0;
  const kept = waiting > 1 ? "gardés" : "gardé";
  $("non-transmis").textContent =
    `${plural(waiting, "pointage")} non transmis : ${kept} sur la tablette.`;
  const kiosk = load(KEYS.kiosk, null);
  $("nom-tablette").textContent = kiosk ? kiosk.name : "non appairée";
  renderRefused();
}

function renderRefused() {
  const refused = load(KEYS.refused, []);
  const list = $("refuses");
  list.replaceChildren(
    ...refused.map((e) => {
      const item = document.createElement("li");
      const when = `${e.date.slice(8, 10)}/${e.date.slice(5, 7)} ${frenchTime(e.time)}`;
      const what = `${e.child_name} – ${e.activity} – ${LABELS[e.kind]} du ${when}`;
      item.textContent = `${what} : ${e.detail || "refusé"}`;
      return item;
    }),
  );
  $("aucun-refus").hidden = refused.length > 0;
  $("vider-refus").hidden = refused.length === 0;
}

function tickClock() {
  $("horloge").textContent = frenchTime(hhmm(new Date()));
}

// ---------------------------------------------------------------- pairing

async function pair(event) {
  event.preventDefault();
  const code = $("code-appairage").value.trim();
  const error = $("erreur-appairage");
  if (!code) {
    error.textContent = "Saisissez le code d'appairage.";
    return;
  }
  error.textContent = "";
  let answer;
  try {
    answer = await api("POST", "pair", { body: { code }, auth: false });
  } catch {
    error.textContent = "Pas de réseau : l'appairage demande une connexion. Réessayez.";
    return;
  }
  if (answer.status !== 200) {
    error.textContent = said(answer.data, "Code d'appairage refusé.");
    return;
  }
  save(KEYS.token, answer.data.token);
  save(KEYS.kiosk, answer.data.kiosk);
  $("code-appairage").value = "";
  history.replaceState(null, "", location.pathname);
  goStart();
  flush();
}

function unpair(detail) {
  localStorage.removeItem(KEYS.token);
  localStorage.removeItem(KEYS.kiosk);
  leaveFamily();
  $("erreur-appairage").textContent = detail || "";
  $("annuler-appairage").hidden = true;
  show("ecran-appairage");
  renderStatus();
}

async function checkDevice() {
  try {
    const { status, data } = await api("GET", "me");
    if (status === 200 && data.kiosk) {
      save(KEYS.kiosk, data.kiosk);
      renderStatus();
    }
  } catch {
    // Offline: the tablet keeps working from what it knows.
  }
}

// ---------------------------------------------------------------- PIN pad and lock

let pin = "";
let busy = false;

function renderPin() {
  const dots = $("pin-points");
  dots.replaceChildren(
    ...Array.from({ length: PIN_LENGTH }, (_, i) => {
      const dot = document.createElement("span");
      dot.className = i < pin.length ? "dot full" : "dot";
      return dot;
    }),
  );
  const s = pin.length > 1 ? "s" : "";
  $("pin-etat").textContent = pin.length
    ? `${pin.length} chiffre${s} saisi${s} sur ${PIN_LENGTH}`
    : "Aucun chiffre saisi";
}

function press(digit) {
  if (busy || lockedUntil()) return;
  $("erreur-accueil").textContent = "";
  if (pin.length < PIN_LENGTH) pin += digit;
  renderPin();
  if (pin.length === PIN_LENGTH) identify({ pin });
}

function erase(all) {
  if (busy) return;
  pin = all ? "" : pin.slice(0, -1);
  renderPin();
}

function lockedUntil() {
  const until = load(KEYS.lock, {}).until || 0;
  return until > Date.now() ? until : 0;
}

function lockNow() {
  save(KEYS.lock, { failures: [], until: Date.now() + LOCK.durationMs });
  renderLock();
}

/** A wrong offline PIN or card: 5 within 10 minutes lock the pad for 5 minutes. */
function recordFailure() {
  const now = Date.now();
  const state = load(KEYS.lock, {});
  const failures = (state.failures || []).filter((t) => now - t < LOCK.windowMs);
  failures.push(now);
  if (failures.length >= LOCK.attempts) lockNow();
  else save(KEYS.lock, { failures, until: state.until || 0 });
}

let shownLock = 0;

function renderLock() {
  const until = lockedUntil();
  if (until === shownLock) return;
  shownLock = until;
  for (const key of document.querySelectorAll(".pad button, #carte button")) key.disabled = !!until;
  if (until) {
    pin = "";
    renderPin();
    const end = frenchTime(hhmm(new Date(until)));
    $("erreur-accueil").textContent = `Trop d'essais : la saisie est bloquée jusqu'à ${end}.`;
  } else {
    $("erreur-accueil").textContent = "";
  }
}

// ---------------------------------------------------------------- identification

async function identify(secret) {
  busy = true;
  $("erreur-accueil").textContent = "Recherche…";
  try {
    const { status, data } = await api("POST", "identify", { body: secret });
    if (status === 200) {
      await remember(secret, data);
      openFamily(data, false);
    } else if (status === 429) {
      lockNow();
      $("erreur-accueil").textContent = said(data, "Trop d'essais : réessayez dans 5 minutes.");
    } else if (status !== 401) {
      $("erreur-accueil").textContent = said(data, "Code incorrect.");
    }
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
    await identifyOffline(secret);
  } finally {
    busy = false;
    pin = "";
    renderPin();
  }
}

async function identifyOffline(secret) {
  const day = todayCache();
  const familyId = crypto.subtle && day.keys[await verifier(secret, day.salt)];
  const view = familyId && day.families[familyId];
  if (view) {
    openFamily(view, true);
    return;
  }
  $("erreur-accueil").textContent = NOT_SEEN;
  recordFailure();
  renderLock();
}

// ---------------------------------------------------------------- the day's offline cache

/** Today's cache (purged when the day changes): a salt, verifiers -> family id, views. */
function todayCache() {
  const today = localDate();
  const day = load(KEYS.day, null);
  if (day && day.date === today) return day;
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const fresh = { date: today, salt: toHex(salt), keys: {}, families: {} };
  save(KEYS.day, fresh);
  return fresh;
}

function toHex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex) {
  return new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
}

/** PBKDF2-SHA256 of a PIN with the day's salt, or SHA-256 of a card's content. */
async function verifier(secret, salt) {
  const bytes = new TextEncoder().encode(secret.pin ?? secret.card);
  if (secret.pin === undefined) {
    return `card:${toHex(await crypto.subtle.digest("SHA-256", bytes))}`;
  }
  const key = await crypto.subtle.importKey("raw", bytes, "PBKDF2", false, ["deriveBits"]);
  const params = { name: "PBKDF2", hash: "SHA-256", salt: fromHex(salt), iterations: PBKDF2_ITERATIONS };
  return `pin:${toHex(await crypto.subtle.deriveBits(params, key, 256))}`;
}

async function remember(secret, view) {
  if (!crypto.subtle) return; // not a secure context (plain HTTP): no offline identification
  const key = await verifier(secret, todayCache().salt);
  const day = todayCache();
  day.keys[key] = view.family.id;
  day.families[view.family.id] = view;
  save(KEYS.day, day);
}

/** Applies `change` to the cached view of a family, if the tablet keeps one today. */
function updateCachedView(familyId, change) {
  const day = todayCache();
  const view = day.families[familyId];
  if (!view) return;
  change(view);
  save(KEYS.day, day);
}

// ---------------------------------------------------------------- the family screen

let family = null;
let countdown = null;

function sessionOf(view, event) {
  if (view.date !== event.date) return null;
  const child = view.children.find((c) => c.id === event.child_id);
  return child ? child.sessions.find((s) => s.activity_id === event.activity_id) : null;
}

function markDone(view, event) {
  const session = sessionOf(view, event);
  if (!session) return;
  session.done = session.done || {};
  if (!session.done[event.kind]) session.done[event.kind] = event.time;
}

function unmarkDone(view, event) {
  const session = sessionOf(view, event);
  if (session && session.done && session.done[event.kind] === event.time) {
    session.done[event.kind] = null;
  }
}

function openFamily(view, offline) {
  const copy = structuredClone(view);
  for (const event of load(KEYS.queue, [])) markDone(copy, event);
  family = { view: copy, offline };
  $("erreur-famille").textContent = "";
  $("au-revoir").textContent = "";
  renderFamily();
  show("ecran-famille");
  startCountdown(IDLE_SECONDS, false);
}

function leaveFamily() {
  family = null;
  countdown = null;
  $("enfants").replaceChildren();
}

/** The kind to offer now: a window holds the time and it is not done yet. */
function actionFor(session, now) {
  const seconds = now.getHours() * 3600 + now.getMinutes() * 60 + now.getSeconds();
  const done = session.done || {};
  const open = Object.entries(session.windows || {})
    .filter(([kind, w]) => !done[kind] && secondsOf(w.from) <= seconds && seconds <= secondsOf(w.until))
    .map(([kind]) => kind);
  if (open.length < 2) return open[0] || null;
  // Both open (a day-long session): the arrival in its first half, the departure after.
  const middle = (secondsOf(session.start) + secondsOf(session.end)) / 2;
  return seconds < middle ? "arrival" : "departure";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderSession(child, session, now) {
  const item = element("li", "session");
  const name = element("p", "session-name", session.activity);
  name.append(" ", element("span", "slots", session.slots));
  item.append(name);
  if (!session.booked) item.append(element("p", "hint", "Sans réservation aujourd'hui"));
  for (const kind of ["arrival", "departure"]) {
    const at = session.done && session.done[kind];
    if (at) item.append(element("p", `done ${kind}`, `${DONE[kind]} ${frenchTime(at)}`));
  }
  const kind = actionFor(session, now);
  if (kind) {
    const button = element("button", `big action ${kind}`, LABELS[kind]);
    button.type = "button";
    button.append(element("span", "visually-hidden", ` de ${child.first_name} (${session.activity})`));
    button.addEventListener("click", () => checkIn(child, session, kind));
    item.append(button);
  } else if (!Object.values(session.done || {}).some(Boolean)) {
    item.append(element("p", "nothing", "Rien à pointer maintenant"));
  }
  return item;
}

function renderFamily() {
  const { view, offline } = family;
  const now = new Date();
  $("t-famille").textContent = `Famille ${view.family.name}`;
  $("famille-source").hidden = !offline;
  const cards = view.children.map((child) => {
    const card = element("section", "child");
    const heading = element("h2", "", child.first_name);
    const list = element("ul", "sessions");
    list.append(...child.sessions.map((s) => renderSession(child, s, now)));
    card.append(heading, list);
    return card;
  });
  if (!cards.length) cards.push(element("p", "nothing", "Aucun enfant attendu aujourd'hui."));
  $("enfants").replaceChildren(...cards);
}

/** A random UUID (crypto.randomUUID needs a secure context: HTTPS or localhost). */
function newNonce() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const hex = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const parts = [[0, 8], [8, 12], [12, 16], [16, 20], [20, 32]];
  return parts.map(([start, end]) => hex.slice(start, end)).join("-");
}

function checkIn(child, session, kind) {
  const now = new Date();
  const event = {
    nonce: newNonce(),
    grant: family.view.grant,
    child_id: child.id,
    activity_id: session.activity_id,
    kind,
    device_time: isoWithOffset(now),
    // For this screen and the staff panel only (not sent):
    date: localDate(now),
    time: hhmm(now),
    family_id: family.view.family.id,
    child_name: child.first_name,
    activity: session.activity,
  };
  const queue = load(KEYS.queue, []);
  queue.push(event);
  save(KEYS.queue, queue); // first of all: nothing is lost if the page dies now
  markDone(family.view, event);
  updateCachedView(event.family_id, (view) => markDone(view, event));
  renderFamily();
  renderStatus();
  $("au-revoir").textContent = "Bonne journée !";
  startCountdown(GOODBYE_SECONDS, true);
  flush();
}

function startCountdown(seconds, goodbye) {
  countdown = { until: Date.now() + seconds * 1000, goodbye };
  renderCountdown();
}

function renderCountdown() {
  if (current !== "ecran-famille" || !countdown) return;
  const left = Math.ceil((countdown.until - Date.now()) / 1000);
  if (left <= 0) {
    goStart();
    return;
  }
  $("rebours").textContent = `Retour à l'accueil dans ${left} s`;
}

// ---------------------------------------------------------------- the queue

let flushing = null;

function flush() {
  if (!flushing) flushing = sendQueue().finally(() => (flushing = null));
  return flushing;
}

const onWire = (e) => ({
  nonce: e.nonce,
  grant: e.grant,
  child_id: e.child_id,
  activity_id: e.activity_id,
  kind: e.kind,
  device_time: e.device_time,
});

async function sendQueue() {
  while (load(KEYS.token, null)) {
    const batch = load(KEYS.queue, []).slice(0, BATCH_SIZE);
    if (!batch.length) return;
    let answer;
    try {
      answer = await api("POST", "events", { body: { events: batch.map(onWire) } });
    } catch {
      return; // offline or server down: kept, sent later
    }
    const { status, data } = answer;
    let settled = 0;
    if (status === 200) settled = settle(batch, data.results || []);
    else if ([400, 413, 422].includes(status)) settled = settle(batch, refuseAll(batch, data));
    if (!settled) return;
  }
}

function refuseAll(batch, data) {
  const detail = said(data, "Envoi refusé.");
  return batch.map((e) => ({ nonce: e.nonce, status: "refused", code: data.code, detail }));
}

/** Removes the answered events from the queue; refused ones go to the staff's list. */
function settle(batch, results) {
  const byNonce = new Map(results.map((r) => [r.nonce, r]));
  const answered = batch.filter((e) => byNonce.has(e.nonce));
  const refused = answered
    .filter((e) => byNonce.get(e.nonce).status === "refused")
    .map((e) => {
      const { code, detail } = byNonce.get(e.nonce);
      return { ...e, grant: undefined, code, detail };
    });
  const gone = new Set(answered.map((e) => e.nonce));
  save(KEYS.queue, load(KEYS.queue, []).filter((e) => !gone.has(e.nonce)));
  if (refused.length) keepRefused(refused);
  renderStatus();
  return answered.length;
}

function keepRefused(refused) {
  save(KEYS.refused, [...refused, ...load(KEYS.refused, [])].slice(0, REFUSED_KEPT));
  for (const event of refused) {
    updateCachedView(event.family_id, (view) => unmarkDone(view, event));
    if (family && family.view.family.id === event.family_id) {
      unmarkDone(family.view, event);
      $("erreur-famille").textContent = `Pointage refusé pour ${event.child_name} : ${event.detail}`;
      renderFamily();
    }
  }
}

// ---------------------------------------------------------------- card and camera

let camera = null;

function toggleCard() {
  const form = $("carte");
  form.hidden = !form.hidden;
  $("ouvrir-carte").setAttribute("aria-expanded", String(!form.hidden));
  $("camera").hidden = form.hidden || !("BarcodeDetector" in window);
  if (!form.hidden) $("carte-contenu").focus();
  else stopCamera();
}

function submitCard(event) {
  event.preventDefault();
  const card = $("carte-contenu").value.trim();
  $("carte-contenu").value = "";
  if (!card || busy || lockedUntil()) return;
  stopCamera();
  identify({ card });
}

async function startCamera() {
  if (camera) return;
  const video = $("video");
  try {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    camera = { stream, timer: null };
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    camera.timer = setInterval(() => scan(detector, video), 300);
  } catch {
    stopCamera();
    $("erreur-accueil").textContent = "Caméra indisponible : utilisez le lecteur ou le code famille.";
  }
}

async function scan(detector, video) {
  const codes = await detector.detect(video).catch(() => []);
  if (!codes.length || !camera || busy) return;
  stopCamera();
  identify({ card: codes[0].rawValue });
}

function stopCamera() {
  if (!camera) return;
  clearInterval(camera.timer);
  for (const track of camera.stream.getTracks()) track.stop();
  camera = null;
  $("video").hidden = true;
  $("video").srcObject = null;
}

// ---------------------------------------------------------------- start, wiring, timers

function goStart() {
  leaveFamily();
  stopCamera();
  pin = "";
  renderPin();
  $("carte").hidden = true;
  $("ouvrir-carte").setAttribute("aria-expanded", "false");
  $("erreur-accueil").textContent = "";
  shownLock = -1;
  renderLock();
  show("ecran-accueil");
}

function onKey(event) {
  if (current !== "ecran-accueil" || event.target.id === "carte-contenu") return;
  if (/^[0-9]$/.test(event.key)) press(event.key);
  else if (event.key === "Backspace") erase(false);
}

function wire() {
  $("form-appairage").addEventListener("submit", pair);
  $("annuler-appairage").addEventListener("click", goStart);
  for (const key of document.querySelectorAll("[data-digit]")) {
    key.addEventListener("click", () => press(key.dataset.digit));
  }
  $("corriger").addEventListener("click", () => erase(false));
  $("effacer").addEventListener("click", () => erase(true));
  $("ouvrir-carte").addEventListener("click", toggleCard);
  $("carte").addEventListener("submit", submitCard);
  $("camera").addEventListener("click", startCamera);
  $("terminer").addEventListener("click", goStart);
  $("envoyer").addEventListener("click", flush);
  $("vider-refus").addEventListener("click", () => {
    save(KEYS.refused, []);
    renderRefused();
  });
  $("ecran-famille").addEventListener("pointerdown", () => {
    if (countdown && !countdown.goodbye) startCountdown(IDLE_SECONDS, false);
  });
  document.addEventListener("keydown", onKey);
  window.addEventListener("online", () => {
    setOnline(true);
    flush();
  });
  window.addEventListener("offline", () => setOnline(false));
}

function tick() {
  tickClock();
  renderCountdown();
  if (current === "ecran-accueil") renderLock();
}

function boot() {
  todayCache(); // purges the cache of another day
  wire();
  $("non-securise").hidden = window.isSecureContext;
  renderStatus();
  tickClock();
  const code = new URLSearchParams(location.search).get("code");
  if (code && !$("code-appairage").value) $("code-appairage").value = code;
  if (load(KEYS.token, null) && !code) {
    goStart();
    checkDevice().then(flush);
  } else {
    $("annuler-appairage").hidden = !load(KEYS.token, null);
    show("ecran-appairage");
  }
  setInterval(tick, 500);
  setInterval(flush, RETRY_MS);
  if ("serviceWorker" in navigator) {
    const { sw, scope } = document.body.dataset;
    navigator.serviceWorker.register(sw, { scope }).catch(() => {});
  }
}

boot();
