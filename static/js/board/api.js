// REST calls of the board (facilitation, ranking, backlog), with the page's CSRF token.

import { errorsInWords } from './labels.js';

let csrfToken = '';

export function setCsrfToken(token) {
  csrfToken = token || '';
}

export class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.describe(status, body));
    this.status = status;
    this.body = body;
  }

  /** The refusal in words: `detail`, or each field's messages naming the field
   * ("Team must be at most 100 characters."), never a raw field name. */
  static describe(status, body) {
    const sentences = errorsInWords(body);
    return sentences.length ? sentences.join(' ') : `The server answered ${status}.`;
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
