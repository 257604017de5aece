// The outbox (docs/MOBILE.md): reports made on the phone are kept in IndexedDB and sent in order, each with its own
// Idempotency-Key, so a retry after a lost answer creates nothing twice. Nothing leaves the outbox unseen: a sent
// record stays listed as sent, a refused one as failed with the server's reason until the user decides.
import { openDB } from "../../vendor/idb/index.js";

const DB_NAME = "geoapp-m";
const STORE = "outbox";
export const WAITING = "waiting";
export const SENT = "sent";
export const FAILED = "failed";
export const CONFLICT = "conflict";

let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade(database) {
        database.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      },
    });
  }
  return dbPromise;
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Queue one report: {buildingId, buildingName, fields: {reason, …}, photos: [{blob, name, takenAt, …}]}, or another
 * record with its own {kind, url, title, fields, photos: [{…, field}]}. */
export async function enqueue(record) {
  const item = { ...record, photoCount: (record.photos || []).length, key: newKey(), state: WAITING, error: "", createdAt: new Date().toISOString(), tries: 0 };
  item.id = await (await db()).add(STORE, item);
  return item;
}

export async function items() {
  return (await db()).getAll(STORE); // in key order: the order they were made
}

export async function update(id, changes) {
  const database = await db();
  const item = await database.get(STORE, id);
  if (!item) return null;
  Object.assign(item, changes);
  await database.put(STORE, item);
  return item;
}

export async function remove(id) {
  await (await db()).delete(STORE, id);
}

function cookie(name) {
  const match = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
  return match ? decodeURIComponent(match[1]) : null;
}

function formOf(item) {
  const form = new FormData();
  for (const [name, value] of Object.entries(item.fields)) {
    if (value !== null && value !== undefined && value !== "") form.append(name, value);
  }
  // When and where each photo was taken (a canvas drops EXIF): for a report a list in the files' order; for another
  // record an object keyed "<field>#<n>", the n-th file of that field (inspections: photo_<item>; steps: attachments).
  const list = [];
  const byField = {};
  const counts = {};
  for (const photo of item.photos || []) {
    const field = photo.field || "photos";
    form.append(field, photo.blob, photo.name);
    const facts = { taken_at: photo.takenAt, lon: photo.lon, lat: photo.lat };
    list.push(facts);
    counts[field] = (counts[field] || 0) + 1;
    byField[`${field}#${counts[field] - 1}`] = facts;
  }
  if (list.length) form.append("photo_meta", JSON.stringify(item.url ? byField : list));
  return form;
}

let running = null;

/** Send every waiting record, oldest first. Stops at the first network failure (the rest keep their order).
 * Resolves to the number of records the server took. */
export function sync(config, onChange = () => {}) {
  if (running) return running;
  running = (async () => {
    let taken = 0;
    try {
      for (const item of await items()) {
        if (item.state !== WAITING) continue;
        // Inspections and complaint steps carry their own URL (m/inspect.js, m/complaints.js); reports a building.
        const url = item.url || config.urls.report.replace("{id}", item.buildingId);
        let response;
        try {
          response = await fetch(url, {
            method: "POST",
            body: formOf(item),
            credentials: "same-origin",
            headers: { Accept: "application/json", "Idempotency-Key": item.key, "X-CSRFToken": cookie("csrftoken") || "" },
          });
        } catch (error) {
          await update(item.id, { tries: item.tries + 1, error: config.strings.noNetwork });
          onChange();
          return taken; // no signal: try again later, in the same order
        }
        let body = null;
        try {
          body = await response.json();
        } catch (error) {
          body = null;
        }
        if (response.ok) {
          taken += 1;
          await update(item.id, { state: SENT, error: "", reportId: body && body.id, sentAt: new Date().toISOString(),
                                  photos: [] });
        } else if (response.status === 409) {
          await update(item.id, { state: CONFLICT, error: (body && body.error) || String(response.status) });
        } else if (response.status >= 500 || response.status === 0) {
          await update(item.id, { tries: item.tries + 1, error: (body && body.error) || String(response.status) });
          onChange();
          return taken;
        } else {
          await update(item.id, { state: FAILED, error: (body && body.error) || String(response.status) });
        }
        onChange();
      }
      return taken;
    } finally {
      running = null;
    }
  })();
  return running;
}
