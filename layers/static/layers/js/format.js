// Numbers, dates and sorting in the page's language: <html lang>, which Django sets from the request's language.
// Moments are shown in the district's time zone (<html data-time-zone>, from settings.TIME_ZONE), whatever the
// browser's own time zone is.

/** The page's language tag ("zh-hans", "en"), or undefined (the browser's own) when absent or not a valid tag. */
export function pageLang() {
  const lang = document.documentElement.lang;
  if (!lang) return undefined;
  try {
    return Intl.getCanonicalLocales(lang)[0];
  } catch (error) {
    return undefined;
  }
}

/** The district's time zone (settings.TIME_ZONE, on <html data-time-zone>), or undefined (the browser's own). */
export function pageTimeZone() {
  const zone = document.documentElement.dataset.timeZone;
  if (!zone) return undefined;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return zone;
  } catch (error) {
    return undefined;
  }
}

const numberFormats = new Map();

/** A shared Intl.NumberFormat of the page's language with these options. */
export function numberFormat(options = {}) {
  const key = JSON.stringify(options);
  if (!numberFormats.has(key)) numberFormats.set(key, new Intl.NumberFormat(pageLang(), options));
  return numberFormats.get(key);
}

const missing = (value) => value === null || value === undefined || value === "" || Number.isNaN(Number(value));

/** A count with the language's digit grouping; "–" when absent. */
export function fmtInt(value) {
  return missing(value) ? "–" : numberFormat({ maximumFractionDigits: 0 }).format(Number(value));
}

/** A ratio (0..1) as a percentage with one decimal ("63.2%"); "–" when absent. */
export function fmtRate(ratio) {
  return missing(ratio) ? "–" : numberFormat({ style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Number(ratio));
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A date in the page's language (default: year, month name, day). A date-only ISO string ("2024-06-30") is that
 * calendar day wherever the browser is; anything else is parsed by Date. Unparseable values come back as given.
 */
export function fmtDate(value, options = { year: "numeric", month: "long", day: "numeric" }) {
  if (value === null || value === undefined || value === "") return "";
  const dateOnly = typeof value === "string" && ISO_DATE.test(value);
  const date = dateOnly ? new Date(`${value}T00:00:00Z`) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(pageLang(), { ...options, timeZone: dateOnly ? "UTC" : pageTimeZone() }).format(date);
}

/**
 * A moment (ISO timestamp) as "YYYY-MM-DD HH:MM" in the district's time zone, the form the server's messages use;
 * unparseable values come back as given.
 */
export function fmtDateTime(value) {
  if (value === null || value === undefined || value === "") return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = {};
  const options = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  for (const part of new Intl.DateTimeFormat("en-CA", { ...options, timeZone: pageTimeZone() }).formatToParts(date)) {
    parts[part.type] = part.value;
  }
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

let collator = null;

/** Sort order of two texts in the page's language (names in Chinese sort by pinyin under zh-hans). */
export function compare(a, b) {
  if (!collator) collator = new Intl.Collator(pageLang(), { numeric: true });
  return collator.compare(String(a ?? ""), String(b ?? ""));
}
