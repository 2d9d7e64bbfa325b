// The check-in kiosk: pairing, identification by PIN or card, check-ins kept in a queue on the
// tablet and sent when the network allows. Plain JS, no build step. The server re-checks
// everything; this page only displays and remembers.
//
// Offline, the tablet recognises the families it saw online on the last 7 days: it keeps a
// verifier of their PIN or card (PBKDF2 / SHA-256 with a salt of its own, renewed every 14 days
// with the whole cache) and their view of today and the next 7 days, with the grant that covers
// those days. Times on screen and the day of an event are Paris wall time, whatever the
// tablet's time zone; the time sent is an absolute instant.

const API = document.body.dataset.api;
const KEYS = {
  token: "marmots.kiosk.token",
  kiosk: "marmots.kiosk.info",
  queue: "marmots.kiosk.queue",
  refused: "marmots.kiosk.refused",
  cache: "marmots.kiosk.cache",
  lock: "marmots.kiosk.lock",
  skew: "marmots.kiosk.skew",
};
const OLD_KEYS = ["marmots.kiosk.day"]; // the one-day cache of the first version
const PIN_LENGTH = 6;
const IDLE_SECONDS = 20;
const GOODBYE_SECONDS = 4;
const RETRY_MS = 15_000;
const TIMEOUT_MS = 10_000;
const DEVICE_CHECK_MS = 10 * 60_000;
const BATCH_SIZE = 200;
const REFUSED_SHOWN = 20;
const SEEN_DAYS = 7; // a family seen online on any of the last 7 days identifies offline
const SALT_DAYS = 14; // then a new salt, and the cache starts empty
const SKEW_MS = 2 * 60_000;
const PBKDF2_ITERATIONS = 100_000;
const LOCK = { attempts: 5, windowMs: 10 * 60_000, durationMs: 5 * 60_000 };
const LABELS = { arrival: "Arrivée", departure: "Départ" };
const DONE = { arrival: "Arrivée :", departure: "Départ :" };
const GOODBYE = { arrival: "Bonne journée !", departure: "Bonne soirée !" };
const NOT_SEEN =
  "Hors ligne : cette famille n'a pas encore été vue sur cette tablette. " +
  "Signalez-vous à l'équipe.";

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

/** A deep copy of plain data (structuredClone is missing from older Safari). */
const copyOf = (value) => JSON.parse(JSON.stringify(value));

// ---------------------------------------------------------------- time: Paris wall time

const pad2 = (n) => String(n).padStart(2, "0");

const PARIS = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/Paris",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** An instant in Paris: { date: "2026-11-30", time: "07:42", seconds: since midnight }. */
function paris(d = new Date()) {
  const part = {};
  for (const { type, value } of PARIS.formatToParts(d)) part[type] = value;
  const hour = part.hour === "24" ? "00" : part.hour; // some engines say 24 at midnight
  return {
    date: `${part.year}-${part.month}-${part.day}`,
    time: `${hour}:${part.minute}`,
    seconds: Number(hour) * 3600 + Number(part.minute) * 60 + Number(part.second),
  };
}

/** Days from one "YYYY-MM-DD" to another (NaN when either is not a date). */
function daysFrom(first, last) {
  return (Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / 86_400_000;
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

/** A server's message after a prefix and a colon: no capital there. */
function afterColon(text) {
  return text ? text.charAt(0).toLowerCase() + text.slice(1) : text;
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

/** The network failed (fetch's TypeError) or the request was aborted after TIMEOUT_MS. */
function isNetworkError(error) {
  return error instanceof TypeError || (error && error.name === "AbortError");
}

/** One call to the kiosk API. Throws Offline when the network or the server is down; any
 * other exception is a bug and goes up. */
async function api(method, path, { body, grant, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  const token = load(KEYS.token, null);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  if (grant) headers["X-Kiosk-Grant"] = grant;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  let data;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      signal: controller.signal,
    });
    data = await response.json().catch((error) => {
      if (isNetworkError(error)) throw error;
      return {}; // not JSON (a proxy's error page...)
    });
  } catch (error) {
    if (!isNetworkError(error)) throw error;
    setOnline(false);
    throw new Offline();
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 500) {
    setOnline(false);
    throw new Offline();
  }
  setOnline(true);
  if (response.status === 401 && auth && data.code === "tablette_revoquee") unpair(data.detail);
  return { status: response.status, data };
}

/** Runs `call`; undefined when offline (other errors go up). */
async function unlessOffline(call) {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Offline) return undefined;
    throw error;
  }
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
  renderSkew();
  renderRefused();
}

function renderSkew() {
  const minutes = load(KEYS.skew, 0);
  const text = minutes ? `L'horloge de la tablette a ${minutes} minutes d'écart : réglez-la` : "";
  for (const id of ["ecart-horloge", "equipe-ecart"]) {
    $(id).hidden = !minutes;
    $(id).textContent = text;
  }
}

function renderRefused() {
  const refused = load(KEYS.refused, []);
  const count = $("refus-nombre");
  const n = refused.length;
  count.hidden = n === 0;
  count.textContent =
    `${plural(n, "pointage")} refusé${n > 1 ? "s" : ""}` +
    (n > REFUSED_SHOWN ? ` : voici les ${REFUSED_SHOWN} plus récents.` : ".");
  $("refuses").replaceChildren(
    ...refused.slice(0, REFUSED_SHOWN).map((e) => {
      const item = document.createElement("li");
      const when = `${e.date.slice(8, 10)}/${e.date.slice(5, 7)} ${frenchTime(e.time)}`;
      const what = `${e.child_name} – ${e.activity} – ${LABELS[e.kind]} du ${when}`;
      item.textContent = `${what} : ${afterColon(e.detail) || "refusé"}`;
      return item;
    }),
  );
  $("aucun-refus").hidden = n > 0;
  $("vider-refus").hidden = n === 0;
}

function tickClock() {
  $("horloge").textContent = frenchTime(paris().time);
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
  const answer = await unlessOffline(() => api("POST", "pair", { body: { code }, auth: false }));
  if (answer === undefined) {
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
  checkDevice().then(flush);
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

/** Who the tablet is, and how far its clock is from the server's (offline: what it knows). */
async function checkDevice() {
  if (!load(KEYS.token, null)) return;
  const sent = Date.now();
  const answer = await unlessOffline(() => api("GET", "me"));
  if (!answer || answer.status !== 200 || !answer.data.kiosk) return;
  save(KEYS.kiosk, answer.data.kiosk);
  // At most 3 decimals: older Safari parses no more.
  const server = Date.parse(String(answer.data.server_time).replace(/(\.\d{3})\d+/, "$1"));
  if (!Number.isNaN(server)) {
    const skew = Math.abs((sent + Date.now()) / 2 - server);
    save(KEYS.skew, skew > SKEW_MS ? Math.round(skew / 60_000) : 0);
  }
  renderStatus();
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
    const end = frenchTime(paris(new Date(until)).time);
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
    const answer = await unlessOffline(() => api("POST", "identify", { body: secret }));
    if (answer === undefined) {
      await identifyOffline(secret);
      return;
    }
    const { status, data } = answer;
    if (status === 200) {
      await remember(secret, data);
      openFamily(data, false);
    } else if (status === 429) {
      lockNow();
      $("erreur-accueil").textContent = said(data, "Trop d'essais : réessayez dans 5 minutes.");
    } else if (status !== 401) {
      $("erreur-accueil").textContent = said(data, "Code incorrect.");
    }
  } finally {
    busy = false;
    pin = "";
    renderPin();
  }
}

async function identifyOffline(secret) {
  const cache = offlineCache();
  const familyId = crypto.subtle ? cache.keys[await verifier(secret, cache.salt)] : undefined;
  const entry = familyId === undefined ? null : cache.families[familyId];
  const today = paris().date;
  const day = entry && entry.view.days.find((d) => d.date === today);
  if (day) {
    openFamily({ ...entry.view, date: day.date, children: day.children }, true);
    return;
  }
  $("erreur-accueil").textContent = NOT_SEEN;
  recordFailure();
  renderLock();
}

// ---------------------------------------------------------------- the offline cache

function newCache(today) {
  const salt = toHex(crypto.getRandomValues(new Uint8Array(16)));
  return { since: today, salt, keys: {}, families: {} };
}

/** The cache of the families seen online: { since, salt, keys: { verifier: family id },
 * families: { id: { seen: day, view: { family, grant, days } } } }. Families not seen on the
 * last SEEN_DAYS days are dropped, with their verifiers; after SALT_DAYS, everything. */
function offlineCache() {
  const today = paris().date;
  const cache = load(KEYS.cache, null);
  const age = cache ? daysFrom(cache.since, today) : NaN;
  if (!cache || !cache.keys || !cache.families || !(age >= 0 && age < SALT_DAYS)) {
    const fresh = newCache(today);
    save(KEYS.cache, fresh);
    return fresh;
  }
  let changed = false;
  for (const [id, entry] of Object.entries(cache.families)) {
    const seen = daysFrom(entry.seen, today);
    if (!(seen >= 0 && seen <= SEEN_DAYS)) {
      delete cache.families[id];
      changed = true;
    }
  }
  for (const [key, id] of Object.entries(cache.keys)) {
    if (!cache.families[id]) {
      delete cache.keys[key];
      changed = true;
    }
  }
  if (changed) save(KEYS.cache, cache);
  return cache;
}

function toHex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex) {
  return new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
}

/** PBKDF2-SHA256 of a PIN with the tablet's salt, or SHA-256 of a card's content. */
async function verifier(secret, salt) {
  const bytes = new TextEncoder().encode(secret.pin ?? secret.card);
  if (secret.pin === undefined) {
    return `card:${toHex(await crypto.subtle.digest("SHA-256", bytes))}`;
  }
  const key = await crypto.subtle.importKey("raw", bytes, "PBKDF2", false, ["deriveBits"]);
  const params = { name: "PBKDF2", hash: "SHA-256", salt: fromHex(salt), iterations: PBKDF2_ITERATIONS };
  return `pin:${toHex(await crypto.subtle.deriveBits(params, key, 256))}`;
}

/** Keeps what an online identification gave: the family's entry is replaced, and its former
 * verifier of the same kind (a changed PIN, a renewed card) removed. */
async function remember(secret, view) {
  if (!crypto.subtle) return; // not a secure context (plain HTTP): no offline identification
  const salt = offlineCache().salt;
  const key = await verifier(secret, salt);
  const cache = offlineCache();
  if (cache.salt !== salt) return; // renewed meanwhile (midnight of the 14th day)
  const id = view.family.id;
  const kind = key.slice(0, key.indexOf(":") + 1);
  for (const [other, familyId] of Object.entries(cache.keys)) {
    if (familyId === id && other.startsWith(kind)) delete cache.keys[other];
  }
  cache.keys[key] = id;
  const days = view.days || [{ date: view.date, children: view.children }];
  cache.families[id] = { seen: paris().date, view: { family: view.family, grant: view.grant, days } };
  save(KEYS.cache, cache);
}

/** Applies `change` to the cached view of a family, if the tablet keeps one. */
function updateCachedView(familyId, change) {
  const cache = offlineCache();
  const entry = cache.families[familyId];
  if (!entry) return;
  change(entry.view);
  save(KEYS.cache, cache);
}

// ---------------------------------------------------------------- the family screen

let family = null;
let countdown = null;

/** The session of an event in a view: the screen's (one day) or the cache's (`days`). */
function sessionOf(view, event) {
  const day = view.days
    ? view.days.find((d) => d.date === event.date)
    : view.date === event.date && view;
  const child = day && day.children.find((c) => c.id === event.child_id);
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

/** Shows a family's day: `view` has { family, grant, date, children }. */
function openFamily(view, offline) {
  const shown = copyOf({ family: view.family, grant: view.grant, date: view.date, children: view.children });
  for (const event of load(KEYS.queue, [])) markDone(shown, event);
  family = { view: shown, offline };
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

/** The kind to offer at `seconds` (Paris, since midnight): a window holds the time and it is
 * not done yet. */
function actionFor(session, seconds) {
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

function renderSession(child, session, seconds) {
  const item = element("li", "session");
  const name = element("p", "session-name", session.activity);
  name.append(" ", element("span", "slots", session.slots));
  item.append(name);
  if (!session.booked) item.append(element("p", "hint", "Sans réservation aujourd'hui"));
  for (const kind of ["arrival", "departure"]) {
    const at = session.done && session.done[kind];
    if (at) item.append(element("p", `done ${kind}`, `${DONE[kind]} ${frenchTime(at)}`));
  }
  const kind = actionFor(session, seconds);
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
  const { seconds } = paris();
  $("t-famille").textContent = `Famille ${view.family.name}`;
  $("famille-source").hidden = !offline;
  const cards = view.children.map((child) => {
    const card = element("section", "child");
    const heading = element("h2", "", child.first_name);
    const list = element("ul", "sessions");
    list.append(...child.sessions.map((s) => renderSession(child, s, seconds)));
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
  const { date, time } = paris(now);
  const event = {
    nonce: newNonce(),
    grant: family.view.grant,
    child_id: child.id,
    activity_id: session.activity_id,
    kind,
    device_time: now.toISOString(), // an instant: the server finds its day in Paris
    // For this screen and the staff panel only (not sent):
    date,
    time,
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
  $("au-revoir").textContent = GOODBYE[kind];
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
    const settled = await unlessOffline(() => sendBatch(batch));
    if (!settled) return; // offline, server down, or nothing answered: kept, sent later
  }
}

/** Sends `batch`; the number of its events settled. A batch too large (413) or refused as a
 * whole (400, 422) is split in halves, each sent again, down to the one bad event. */
async function sendBatch(batch) {
  const { status, data } = await api("POST", "events", { body: { events: batch.map(onWire) } });
  if (status === 200) return settle(batch, data.results || []);
  if (![400, 413, 422].includes(status)) return 0; // revoked, locked...: kept
  if (batch.length === 1) return settle(batch, refuseAll(batch, data));
  const half = Math.ceil(batch.length / 2);
  const first = await sendBatch(batch.slice(0, half));
  return first + (await sendBatch(batch.slice(half)));
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

/** All refused events are kept (newest first) until the staff empty the list. */
function keepRefused(refused) {
  save(KEYS.refused, [...refused.reverse(), ...load(KEYS.refused, [])]);
  for (const event of refused) {
    updateCachedView(event.family_id, (view) => unmarkDone(view, event));
    if (family && family.view.family.id === event.family_id) {
      unmarkDone(family.view, event);
      $("erreur-famille").textContent =
        `Pointage refusé pour ${event.child_name} : ${afterColon(event.detail)}`;
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
    checkDevice().then(flush);
  });
  window.addEventListener("offline", () => setOnline(false));
}

function tick() {
  tickClock();
  renderCountdown();
  if (current === "ecran-accueil") renderLock();
}

function boot() {
  for (const key of OLD_KEYS) localStorage.removeItem(key);
  offlineCache(); // drops what is too old
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
  setInterval(checkDevice, DEVICE_CHECK_MS);
  if ("serviceWorker" in navigator) {
    const { sw, scope } = document.body.dataset;
    navigator.serviceWorker.register(sw, { scope }).catch(() => {});
  }
}

boot();
