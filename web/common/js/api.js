// The API as the console and the app use it: the session lives in httpOnly cookies the page cannot
// read; every write carries the session's CSRF token (from the one cookie scripts may read). A
// network failure surfaces as fetch's TypeError, an answer of 400 and above as ApiError.

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

async function send(method, path, body, {retry = true, headers: extra = {}} = {}) {
  const headers = {"Accept": "application/json", "Accept-Language": "zh-CN", ...extra};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!["GET", "HEAD"].includes(method)) headers["X-CSRF-Token"] = csrfToken();
  const response = await fetch(path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  // a session (its CSRF cookie) that has expired is refreshed once; without one there is nothing to refresh
  if (response.status === 401 && retry && csrfToken() && path !== "/api/v1/auth/login" && await refresh()) {
    return send(method, path, body, {retry: false, headers: extra});
  }
  return response;
}

async function parsed(response) {
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function request(method, path, body, options) {
  return parsed(await send(method, path, body, options));
}

// A page of a list and the list's total (its X-Pagination header).
export async function getPage(path) {
  const response = await send("GET", path);
  const items = await parsed(response);
  return {items, total: JSON.parse(response.headers.get("X-Pagination") || "{}").total ?? items.length};
}

export const get = (path) => request("GET", path);

// Every row of a list: figures per place go a thousand a page (a district's cells in a few pages),
// other lists at most a hundred.
export async function getAll(path, {size = 1000} = {}) {
  const url = (page) => `${path}${path.includes("?") ? "&" : "?"}page=${page}&page_size=${size}`;
  const first = await getPage(url(1));
  const pages = Math.ceil(first.total / size);
  const rest = await Promise.all(Array.from({length: Math.max(0, pages - 1)}, (_, i) => getPage(url(i + 2))));
  return first.items.concat(...rest.map((p) => p.items));
}

// How many a list holds (its X-Pagination total), reading a single row.
export async function count(path) {
  return (await getPage(`${path}${path.includes("?") ? "&" : "?"}page_size=1`)).total;
}

export const post = (path, body) => request("POST", path, body ?? {});

// A multipart upload (a photo): the browser sets the boundary; the CSRF token goes as on every write.
export async function upload(path, formData, {headers = {}, retry = true} = {}) {
  const response = await fetch(path, {method: "POST", credentials: "same-origin", body: formData,
    headers: {"Accept": "application/json", "Accept-Language": "zh-CN", "X-CSRF-Token": csrfToken(), ...headers}});
  if (response.status === 401 && retry && csrfToken() && await refresh()) {
    return upload(path, formData, {headers, retry: false});
  }
  return parsed(response);
}

export async function login(username, password) {
  return request("POST", "/api/v1/auth/login", {username, password, cookie: true}, {retry: false});
}

export async function logout() {
  try { await post("/api/v1/auth/logout"); } catch (e) { /* already gone */ }
}
