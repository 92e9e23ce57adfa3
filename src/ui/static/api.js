// Talks to the service that served this page, and only to it. The token is
// kept in sessionStorage (gone when the tab closes) and sent as a header;
// it never goes into a URL.

const TOKEN_KEY = 'prescient.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An error answer as the service words it: `CODE: message`. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
  }
}

async function request(method, path, body) {
  const headers = { accept: 'application/json' };
  if (token()) headers.authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export const getJson = (path) => request('GET', path);
export const postJson = (path, body) => request('POST', path, body);

/**
 * Which optional routes this service has (live accuracy, events, frontier…),
 * read from its OpenAPI document, so panels appear exactly when the data can.
 */
export async function routes() {
  const doc = await getJson('/docs/json');
  return new Set(Object.keys(doc.paths ?? {}));
}

export const enc = encodeURIComponent;
