// REST calls of the board (facilitation, ranking, backlog), with the page's CSRF token.

let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = token || '';
}

/** A REST refusal: the API's error envelope (vsm_site.errors, the socket's `rejected` frame
 * without `type` and `id`): `reason` for the program, `detail` for people (sentences naming
 * fields in words), `errors` per field for an `invalid` one. */
export class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.describe(status, body));
    this.status = status;
    this.body = body;
    const envelope = body && typeof body === 'object' ? body : {};
    this.reason = typeof envelope.reason === 'string' ? envelope.reason : null;
    this.detail = typeof envelope.detail === 'string' ? envelope.detail : null;
    this.errors = envelope.errors && typeof envelope.errors === 'object' ? envelope.errors : {};
  }

  /** The refusal in words: the envelope's `detail`, or the status when the answer was none
   * (a proxy's error page, a lost connection). */
  static describe(status, body) {
    const detail = body && typeof body === 'object' ? body.detail : null;
    return typeof detail === 'string' && detail ? detail : `The server answered ${status}.`;
  }
}

export async function api(method, url, body) {
  const options = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.headers['X-CSRFToken'] = csrfToken;
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
