// The first screen's data, asked for as soon as the page arrives: the page loads this module `async`, so the position
// and then /m/nearby/ are requested while the rest of the app is still on its way (docs/MOBILE.md "Figures").
// near.js imports the same module instance and draws the answer.
const config = JSON.parse(document.getElementById("m-config").textContent);

/** Resolves to {fix} or {error} (the first position, or why there is none). */
export const firstFix = new Promise((resolve) => {
  if (!navigator.geolocation) {
    resolve({ error: { message: config.strings.noGeolocation } });
    return;
  }
  navigator.geolocation.getCurrentPosition((fix) => resolve({ fix }), (error) => resolve({ error }),
                                           { enableHighAccuracy: true, maximumAge: 10000, timeout: 20000 });
});

/** The nearby lists at [lon, lat]; rejects without signal or on an error status. */
export async function fetchNearby(lon, lat) {
  const url = `${config.urls.nearby}?lon=${lon.toFixed(6)}&lat=${lat.toFixed(6)}`;
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

/** {fix, error, at, data}: the first position (or the area's centre without one) and its lists (data null when
 * they could not be loaded); `at` is null when there is neither a position nor an area. */
export const firstNearby = firstFix.then(async ({ fix, error }) => {
  const at = fix ? [fix.coords.longitude, fix.coords.latitude] : (config.area && config.area.centre) || null;
  let data = null;
  if (at && config.urls.nearby) {  // a role without "Near me" has no lists
    try {
      data = await fetchNearby(at[0], at[1]);
    } catch (failure) {
      data = null;
    }
  }
  return { fix, error, at, data };
});
