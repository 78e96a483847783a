// The outbox: every write the app makes goes here first (IndexedDB), then to the server — at once
// when the network is there, else when it returns. Nothing typed is lost to a dropped connection or
// a closed app, and nothing is sent twice:
//   - each entry has an id made on the phone that is also its Idempotency-Key (and each of its
//     photos has one), so a send whose answer was lost is retried with the same key and the server
//     answers the first result again;
//   - door-knock visits carry their own client-made ids and go in batches to /visits/sync, which
//     answers created / updated / unchanged / rejected for each;
//   - an entry belongs to the user who made it and is sent only in that user's session.
// Retryable failures (no network, 5xx, 408, 429, a key still in progress) back off and retry; an
// answer that says the request itself is wrong marks the entry failed, with the server's words.
import {ApiError, request, upload} from "../common/js/api.js";
import {outboxStore} from "./store.js";

const VISIT_BATCH = 200;
const BACKOFF_SECONDS = [2, 5, 15, 30, 60, 120, 300];
const KEEP_DONE_MS = 3 * 24 * 3600 * 1000;

let user = null;
let draining = null;
let timer = null;
let wake = null;
let screen = null;
let seq = 0;
const listeners = new Set();

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(detail) {
  for (const listener of listeners) listener(detail);
  if (screen && detail.entry && screen.wants(detail.entry)) {
    clearTimeout(screen.timer);
    screen.timer = setTimeout(screen.redraw, 150);  // a batch of changes, one drawing
  }
}

// The screen on display is drawn again when an entry it shows changes. A screen asks for this
// first thing, before it reads the outbox or the server, so that no change is missed between its
// reading and its asking; there is one screen at a time (null: none, when the user moves on).
export function redrawOnChange(wants, redraw) {
  if (screen) clearTimeout(screen.timer);
  screen = wants ? {wants, redraw, timer: null} : null;
}

// A version-4 UUID made on the phone (crypto.randomUUID exists only on HTTPS pages; this works on both).
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Queue a write. `photos` are Blobs uploaded first; their ids go into body[photoField].
export async function enqueue({kind, label, method = "POST", path, body, photos = [], photoField = "photo_ids", ref}) {
  const entry = {
    id: kind === "visit" ? body.id : newId(), user_id: user.id, kind, label, method, path, body, ref,
    photos: photos.map((blob) => ({blob, photo_id: null})), photo_field: photoField,
    seq: Date.now() * 1000 + (seq++ % 1000), created_at: new Date().toISOString(),
    state: "pending", attempts: 0, next_at: 0, error: null, result: null,
  };
  await outboxStore.put(entry);
  changed({entry});
  drain();
  return entry;
}

export async function entries() {
  return user ? outboxStore.ofUser(user.id) : [];
}

export async function pending() {
  return (await entries()).filter((e) => e.state === "pending");
}

export async function discard(id) {
  await outboxStore.del(id);
  changed({});
}

export async function retry(id) {
  const entry = await outboxStore.get(id);
  if (!entry) return;
  Object.assign(entry, {state: "pending", next_at: 0, error: null});
  await outboxStore.put(entry);
  changed({entry});
  drain();
}

// Replace a queued or failed entry's body (a visit corrected after a rejection) and send again.
export async function replace(id, body, photos) {
  const entry = await outboxStore.get(id);
  if (!entry) return null;
  Object.assign(entry, {body, state: "pending", next_at: 0, error: null, attempts: 0});
  if (photos) entry.photos = photos.map((blob) => ({blob, photo_id: null}));
  await outboxStore.put(entry);
  changed({entry});
  drain();
  return entry;
}

function retryable(error) {
  if (!(error instanceof ApiError)) return true;  // fetch's TypeError: no network
  return error.status >= 500 || [408, 425, 429].includes(error.status)
    || (error.status === 409 && error.body?.error === "idempotency_in_progress");
}

function describe(error) {
  if (!(error instanceof ApiError)) return "网络不通，恢复后自动重发";
  const fields = error.body?.errors ? Object.entries(error.body.errors) : [];
  const first = fields.length ? `（${fields[0][0]}：${[].concat(fields[0][1]).flat().join("；")}）` : "";
  return `${error.body?.message || `HTTP ${error.status}`}${first}`;
}

async function later(entry, error) {
  const wait = BACKOFF_SECONDS[Math.min(entry.attempts, BACKOFF_SECONDS.length - 1)];
  const after = error instanceof ApiError ? Number(error.body?.retry_after || 0) : 0;
  Object.assign(entry, {attempts: entry.attempts + 1, next_at: Date.now() + Math.max(wait, after) * 1000,
                        error: describe(error)});
  await outboxStore.put(entry);
  changed({entry});
}

async function failed(entry, error) {
  Object.assign(entry, {state: "failed", error: typeof error === "string" ? error : describe(error)});
  await outboxStore.put(entry);
  changed({entry});
}

async function succeeded(entry, result) {
  Object.assign(entry, {state: "done", error: null, result, photos: entry.photos.map((p) => ({photo_id: p.photo_id})),
                        done_at: Date.now()});
  await outboxStore.put(entry);
  changed({entry, done: true});
}

// The entry's photos, each uploaded once (its own key), their ids written into the body.
async function uploadPhotos(entry) {
  for (const [index, item] of entry.photos.entries()) {
    if (item.photo_id) continue;
    const form = new FormData();
    form.append("file", item.blob, `photo-${index + 1}.jpg`);
    item.photo_id = (await upload("/api/v1/photos", form, {headers: {"Idempotency-Key": `${entry.id}.photo.${index}`}})).id;
    await outboxStore.put(entry);  // an uploaded photo is not uploaded again
  }
  if (entry.photos.length) entry.body = {...entry.body, [entry.photo_field]: entry.photos.map((p) => p.photo_id)};
}

class NeedsLogin extends Error {}

// Send one entry; false when the network (or the server) is not there and draining should pause.
async function sendOne(entry) {
  try {
    await uploadPhotos(entry);
    const result = await request(entry.method, entry.path, entry.body, {headers: {"Idempotency-Key": entry.id}});
    await succeeded(entry, result);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw new NeedsLogin();
    if (retryable(error)) { await later(entry, error); return false; }
    await failed(entry, error);
    return true;
  }
}

// Door-knock visits go together; each comes back with its own result.
async function sendVisits(batch) {
  try {
    for (const entry of batch) await uploadPhotos(entry);
    const answer = await request("POST", "/api/v1/visits/sync", {visits: batch.map((e) => e.body)});
    const byId = new Map(answer.results.map((r) => [r.id, r]));
    for (const entry of batch) {
      const result = byId.get(entry.body.id);
      if (result?.status === "rejected") await failed(entry, result.reason || "被拒绝");
      else await succeeded(entry, result);
    }
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw new NeedsLogin();
    if (retryable(error)) { for (const entry of batch) await later(entry, error); return false; }
    for (const entry of batch) await failed(entry, error);
    return true;
  }
}

async function drainOnce() {
  if (!navigator.onLine) return false;  // surely offline (the opposite is never sure): wait for "online"
  const all = await entries();
  const now = Date.now();
  for (const entry of all) {  // done entries are kept a few days to show what was sent, then let go
    if (entry.state === "done" && now - (entry.done_at || 0) > KEEP_DONE_MS) await outboxStore.del(entry.id);
  }
  const due = all.filter((e) => e.state === "pending" && e.next_at <= now);
  const taken = new Set();
  for (const entry of due) {
    if (taken.has(entry.id)) continue;
    if (entry.kind === "visit") {
      const batch = due.filter((e) => e.kind === "visit" && !taken.has(e.id)).slice(0, VISIT_BATCH);
      for (const e of batch) taken.add(e.id);
      if (!await sendVisits(batch)) return;
      continue;
    }
    taken.add(entry.id);
    if (!await sendOne(entry)) return;  // no network: the rest wait too, in order
  }
}

// Wake up for the entry whose retry is due first.
async function wakeForNext() {
  clearTimeout(wake);
  const waiting = (await pending()).map((e) => e.next_at);
  if (waiting.length) wake = setTimeout(drain, Math.max(0, Math.min(...waiting) - Date.now()) + 50);
}

// Send what is due; one drain at a time however often it is asked for.
export function drain() {
  if (!user) return Promise.resolve();
  draining ??= drainOnce()
    .then((ran) => ran === false || wakeForNext())
    .catch((error) => { if (error instanceof NeedsLogin) changed({needsLogin: true}); else console.warn(error); })
    .finally(() => { draining = null; changed({}); });
  return draining;
}

// The network is back: whatever was waiting for its retry goes now.
async function soon() {
  for (const entry of await pending()) {
    if (entry.next_at > Date.now()) await outboxStore.put({...entry, next_at: 0});
  }
  return drain();
}

// Start sending for this user: now, when the network returns, when the app comes back to the front,
// and every 20 seconds while anything is waiting.
export function start(me) {
  user = me;
  drain();
  if (timer) return;
  window.addEventListener("online", () => soon());
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") drain(); });
  timer = setInterval(async () => { if ((await pending()).length) drain(); }, 20_000);
}

export function stop() {
  user = null;
  clearTimeout(wake);
}
