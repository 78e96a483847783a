// The API as the console uses it: the session lives in httpOnly cookies the page cannot read;
// every write carries the session's CSRF token (from the one cookie scripts may read).

const CSRF_COOKIE = "gridgov_csrf";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${CSRF_COOKIE}=`));
  return found ? decodeURIComponent(found.slice(CSRF_COOKIE.length + 1)) : "";
}

let refreshing = null;

async function refresh() {
  // one refresh at a time, however many requests found the token expired
  refreshing ??= fetch("/api/v1/auth/refresh", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken()}, body: "{}",
  }).then((r) => r.ok).finally(() => { refreshing = null; });
  return refreshing;
}

export async function request(method, path, body, {retry = true} = {}) {
  const headers = {"Accept": "application/json", "Accept-Language": "zh-CN"};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!["GET", "HEAD"].includes(method)) headers["X-CSRF-Token"] = csrfToken();
  const response = await fetch(path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && retry && path !== "/api/v1/auth/login" && await refresh()) {
    return request(method, path, body, {retry: false});
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => request("GET", path);

// How many a list holds (its X-Pagination total), reading a single row.
export async function count(path) {
  const response = await fetch(`${path}${path.includes("?") ? "&" : "?"}page_size=1`,
    {credentials: "same-origin", headers: {"Accept": "application/json"}});
  if (!response.ok) throw new ApiError(response.status, null);
  return JSON.parse(response.headers.get("X-Pagination") || "{}").total ?? 0;
}
export const post = (path, body) => request("POST", path, body ?? {});

export async function login(username, password) {
  return request("POST", "/api/v1/auth/login", {username, password, cookie: true}, {retry: false});
}

export async function logout() {
  try { await post("/api/v1/auth/logout"); } catch (e) { /* already gone */ }
}
