// JSON and multipart requests to the editing endpoints (docs/EDIT_API.md): CSRF header, plain-language errors.

function cookie(name) {
  const match = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
  return match ? decodeURIComponent(match[1]) : null;
}

/** A refused or failed request: `message` is the server's plain-language error, `body` its JSON (problems, current…). */
export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export async function api(config, url, { method = "GET", json, form } = {}) {
  const strings = config.editStrings || {};
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form; // the browser sets the multipart boundary
  }
  if (method !== "GET") headers["X-CSRFToken"] = cookie("csrftoken") || config.csrfToken;
  let response;
  try {
    response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  } catch (error) {
    throw new ApiError(strings.requestFailed || "Network error", 0, null);
  }
  let data = null;
  if ((response.headers.get("Content-Type") || "").includes("json")) {
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
  }
  if (!response.ok) {
    const message = (data && (data.error || data.detail)) || `${strings.requestFailed || "Request failed"} (${response.status})`;
    throw new ApiError(message, response.status, data);
  }
  return data;
}

/**
 * A GET for reading (no CSRF header, no config needed): the response when it is OK, else an ApiError whose `status`
 * is the HTTP status (0 when the network failed). An aborted request rejects with the AbortError itself.
 */
export async function get(url, { signal, accept = "application/json" } = {}) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", signal, headers: { Accept: accept } });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(`Network error: ${error.message}`, 0, null);
  }
  if (!response.ok) throw new ApiError(`HTTP ${response.status}`, response.status, null);
  return response;
}

/** GET and parse JSON (see get). */
export async function getJSON(url, options = {}) {
  return (await get(url, options)).json();
}

/** "%(name)s" placeholders, as in Django's translated strings. */
export function fmt(template, values) {
  return String(template || "").replace(/%\((\w+)\)s/g, (match, key) => (key in values ? String(values[key]) : match));
}
