// The offline map (docs/MOBILE.md): the user's street (or community) as vector tiles at zooms 14–18 and the nearby
// data, kept in the Cache Storage the service worker answers /tiles/ from. The size is estimated from a sample of
// tiles before anything is downloaded, and a download over the limit is refused.

export const OFFLINE_MAP = "geoapp-m-offline-map";
const META = "geoapp-m-offline-meta";
const SAMPLE = 16;
const PARALLEL = 6;

function tileX(lon, z) {
  return Math.floor(((lon + 180) / 360) * 2 ** z);
}
function tileY(lat, z) {
  const r = (lat * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
}

/** Every tile URL of the area's bounding box at the offline zooms, for every layer the phone map draws. */
export function tileUrls(config) {
  const [minx, miny, maxx, maxy] = config.area.bbox;
  const [zmin, zmax] = config.offlineZooms;
  const urls = [];
  for (let z = zmin; z <= zmax; z += 1) {
    for (let x = tileX(minx, z); x <= tileX(maxx, z); x += 1) {
      for (let y = tileY(maxy, z); y <= tileY(miny, z); y += 1) {
        for (const layer of config.tileLayers) {
          urls.push(config.urls.tile.replace("{layer}", layer).replace("{z}", z).replace("{x}", x).replace("{y}", y));
        }
      }
    }
  }
  return urls;
}

async function fetchInto(cache, url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok && response.status !== 204) throw new Error(`${response.status} ${url}`);
  const bytes = (await response.clone().arrayBuffer()).byteLength;
  await cache.put(url, response);
  return bytes;
}

/** {tiles, bytes}: the estimated size of the download, from an evenly spread sample of its tiles. */
export async function estimate(config) {
  const urls = tileUrls(config);
  const step = Math.max(1, Math.floor(urls.length / SAMPLE));
  const sample = urls.filter((_, i) => i % step === 0).slice(0, SAMPLE);
  let bytes = 0;
  for (const url of sample) {
    const response = await fetch(url, { credentials: "same-origin" });
    bytes += (await response.arrayBuffer()).byteLength;
  }
  return { tiles: urls.length, bytes: Math.round((bytes / Math.max(1, sample.length)) * urls.length) };
}

/** Download everything (after removing an older copy); onProgress(done, total). Returns {tiles, bytes, seconds}. */
export async function download(config, onProgress = () => {}) {
  const started = performance.now();
  const urls = tileUrls(config);
  await caches.delete(OFFLINE_MAP);
  const cache = await caches.open(OFFLINE_MAP);
  let bytes = 0;
  let done = 0;
  let next = 0;
  async function worker() {
    while (next < urls.length) {
      const url = urls[next];
      next += 1;
      bytes += await fetchInto(cache, url);
      done += 1;
      if (bytes > config.offlineMaxBytes) throw new Error("limit");
      if (done % 20 === 0) onProgress(done, urls.length);
    }
  }
  try {
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  } catch (error) {
    await caches.delete(OFFLINE_MAP);
    throw error;
  }
  const meta = { tiles: urls.length, bytes, seconds: (performance.now() - started) / 1000,
                 at: new Date().toISOString(), area: config.area.name, version: config.version };
  localStorage.setItem(META, JSON.stringify(meta));
  onProgress(urls.length, urls.length);
  return meta;
}

export async function removeOffline() {
  await caches.delete(OFFLINE_MAP);
  localStorage.removeItem(META);
}

export function offlineMeta() {
  try {
    return JSON.parse(localStorage.getItem(META) || "null");
  } catch (error) {
    return null;
  }
}
