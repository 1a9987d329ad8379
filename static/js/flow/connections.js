// The Flow page's tracker connections (facilitators): lists the workshop's connections from
// the API, adds one (the credential goes to the server once and is never shown again, only
// its last four characters), tests it, syncs it now, removes it (keeping or deleting its
// items), and follows each sync through the socket's `sync.progress` frames (and a poll in
// case a frame is lost). When a sync changes the flow, the page's `flow.changed` frame
// refreshes the figures. Every text goes into the DOM as textContent.

const KIND_LABELS = { azure_devops: 'Azure DevOps', jira: 'Jira', github: 'GitHub' };
const OPEN = new Set(['pending', 'running', 'retrying']);
const POLL_MS = 2000;
const SCHEDULES = { 0: 'only when asked', 15: 'every 15 minutes', 30: 'every 30 minutes', 60: 'every hour', 120: 'every 2 hours', 180: 'every 3 hours', 360: 'every 6 hours', 720: 'every 12 hours', 1440: 'every day' };

function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** A sync record in words, e.g. "Synced 12 May, 10:00: 3 work items changed." */
export function syncWords(sync) {
  if (!sync) return 'Never synced yet.';
  const items = `${sync.items} work item${sync.items === 1 ? '' : 's'}`;
  switch (sync.status) {
    case 'pending': return 'Sync queued: waiting for a worker…';
    case 'running': return `Syncing… ${sync.pages || 0} page${sync.pages === 1 ? '' : 's'} fetched, ${items} so far.`;
    case 'retrying': return `Waiting to retry: ${sync.message || 'the tracker asked to wait.'}`;
    case 'done': return `Last sync ${when(sync.finished_at)}: ${items} changed, ${sync.transitions} state change${sync.transitions === 1 ? '' : 's'}.`;
    default: {
      const first = (sync.errors || [])[0];
      return `Last sync ${when(sync.finished_at)} failed: ${first ? first.message : sync.message || 'see the errors.'}`;
    }
  }
}

/** The scope of a connection in words. */
export function scopeWords(connection) {
  const scope = connection.scope || {};
  if (connection.kind === 'azure_devops') {
    let text = `${scope.organization} / ${scope.project}`;
    if (scope.filter) text += `, filter ${scope.filter}`;
    if (scope.query) text += `, saved query ${scope.query}`;
    return text;
  }
  if (connection.kind === 'jira') return `JQL: ${scope.jql}`;
  return `${scope.owner}/${scope.repo}${scope.labels ? `, labels ${scope.labels}` : ''}`;
}

export function setupConnections({ panel, csrfToken }) {
  const list = panel.querySelector('#connection-list');
  const form = panel.querySelector('#connection-form');
  const result = panel.querySelector('#connection-result');
  const kindSelect = form.querySelector('#connection-kind');
  const baseUrl = form.querySelector('#connection-base-url');
  const syncUrl = (id) => panel.dataset.detailUrl.replace(/\/1\/$/, `/${id}/sync/`);
  const detailUrl = (id) => panel.dataset.detailUrl.replace(/\/1\/$/, `/${id}/`);
  const syncDetailUrl = (id) => panel.dataset.detailUrl.replace(/connections\/1\/$/, `connection-syncs/${id}/`);
  const polls = new Map(); // sync id -> timer

  async function api(method, url, body) {
    const options = {
      method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRFToken': csrfToken },
    };
    if (body !== undefined) {
      options.headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    return { status: response.status, ok: response.ok, data };
  }

  function say(text, css = '') {
    result.className = `import-result ${css}`;
    result.textContent = text;
  }

  /** A refusal from the API's error envelope (vsm_site.errors): each field's messages when
   * it has `errors`, else its `detail`. */
  function errorsIn(data) {
    if (!data || typeof data !== 'object') return 'no answer';
    if (data.errors && typeof data.errors === 'object') {
      return Object.entries(data.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(' ')}`).join(' ');
    }
    return typeof data.detail === 'string' ? data.detail : 'no answer';
  }

  function showKind() {
    const kind = kindSelect.value;
    for (const fieldset of form.querySelectorAll('fieldset[data-kind]')) {
      fieldset.hidden = fieldset.dataset.kind !== kind;
    }
    baseUrl.placeholder = { azure_devops: 'https://analytics.dev.azure.com', jira: 'https://your-site.atlassian.net', github: 'https://api.github.com' }[kind];
  }

  function statusLine(item, sync) {
    const line = item.querySelector('.connection-status');
    line.textContent = syncWords(sync);
    line.className = `connection-status ${sync ? sync.status : ''}`;
    item.querySelector('[data-action=sync]').disabled = Boolean(sync && OPEN.has(sync.status));
  }

  function button(text, action) {
    const element = document.createElement('button');
    element.type = 'button';
    element.dataset.action = action;
    element.textContent = text;
    return element;
  }

  function render(connections) {
    list.replaceChildren();
    if (!connections.length) {
      const empty = document.createElement('li');
      empty.className = 'muted';
      empty.textContent = 'No tracker is connected yet.';
      list.append(empty);
      return;
    }
    for (const connection of connections) {
      const item = document.createElement('li');
      item.className = 'connection';
      item.dataset.connectionId = String(connection.id);
      const title = document.createElement('div');
      title.className = 'connection-title';
      title.textContent = `${KIND_LABELS[connection.kind] || connection.kind}: ${scopeWords(connection)}`;
      const meta = document.createElement('div');
      meta.className = 'muted';
      const hint = connection.credential_hint ? `credential ending in ${connection.credential_hint}` : 'credential saved';
      meta.textContent = `${connection.base_url} · ${hint} · syncs ${SCHEDULES[connection.schedule] || `every ${connection.schedule} minutes`} · ${connection.items} work item${connection.items === 1 ? '' : 's'} from it`;
      const status = document.createElement('p');
      status.className = 'connection-status';
      status.setAttribute('role', 'status');
      const test = document.createElement('p');
      test.className = 'connection-test';
      test.setAttribute('role', 'status');
      const actions = document.createElement('div');
      actions.className = 'connection-actions';
      const removeItems = document.createElement('label');
      const checkbox = document.createElement('input');
      checkbox.type = 'checkbox';
      checkbox.dataset.role = 'delete-items';
      removeItems.append(checkbox, ` also delete its ${connection.items} work item${connection.items === 1 ? '' : 's'}`);
      actions.append(button('Test connection', 'test'), button('Sync now', 'sync'), button('Remove', 'remove'), removeItems);
      item.append(title, meta, status, test, actions);
      list.append(item);
      statusLine(item, connection.last_sync);
      if (connection.last_sync && OPEN.has(connection.last_sync.status)) follow(connection.last_sync.id);
    }
  }

  async function load() {
    const answer = await api('GET', panel.dataset.listUrl).catch(() => null);
    if (!answer || !answer.ok) {
      list.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'The connections could not be loaded; reload the page.' }));
      return;
    }
    render(answer.data);
  }

  function itemOf(connectionId) {
    return list.querySelector(`li[data-connection-id="${CSS.escape(String(connectionId))}"]`);
  }

  // A sync record from an answer, a frame or a poll.
  function onSync(sync) {
    if (!sync) return;
    const item = itemOf(sync.connection);
    if (item) statusLine(item, sync);
    if (!OPEN.has(sync.status)) {
      clearTimeout(polls.get(sync.id));
      polls.delete(sync.id);
      if (item && sync.status === 'done') load(); // the items count changed
    }
  }

  function follow(syncId) {
    if (polls.has(syncId)) return;
    const poll = async () => {
      const answer = await api('GET', syncDetailUrl(syncId)).catch(() => null);
      if (answer && answer.ok) onSync(answer.data);
      if (polls.has(syncId) && (!answer || !answer.ok || OPEN.has(answer.data.status))) {
        polls.set(syncId, setTimeout(poll, POLL_MS));
      }
    };
    polls.set(syncId, setTimeout(poll, POLL_MS));
  }

  list.addEventListener('click', async (event) => {
    const control = event.target.closest('button[data-action]');
    if (!control) return;
    const item = control.closest('li[data-connection-id]');
    const id = item.dataset.connectionId;
    const test = item.querySelector('.connection-test');
    control.disabled = true;
    try {
      if (control.dataset.action === 'test') {
        test.className = 'connection-test';
        test.textContent = 'Testing the connection…';
        const answer = await api('POST', `${detailUrl(id)}test/`);
        const ok = answer.ok && answer.data.ok;
        test.className = `connection-test ${ok ? 'done' : 'failed'}`;
        test.textContent = answer.ok ? `${ok ? 'Works' : 'Does not work'}: ${answer.data.message}` : `The test could not run (${answer.status}).`;
      } else if (control.dataset.action === 'sync') {
        const answer = await api('POST', syncUrl(id), {});
        if (answer.ok) {
          onSync(answer.data);
          if (OPEN.has(answer.data.status)) follow(answer.data.id);
        } else {
          test.className = 'connection-test failed';
          test.textContent = `The sync could not start: ${errorsIn(answer.data)}`;
        }
      } else if (control.dataset.action === 'remove') {
        const deleteItems = item.querySelector('[data-role=delete-items]').checked;
        const question = deleteItems
          ? 'Remove this connection and delete the work items it brought?'
          : 'Remove this connection? Its work items stay in the workshop.';
        if (!window.confirm(question)) return;
        const answer = await api('DELETE', `${detailUrl(id)}${deleteItems ? '?delete_items=true' : ''}`);
        say(answer.status === 204 ? 'The connection was removed.' : `The connection could not be removed (${answer.status}).`, answer.status === 204 ? 'done' : 'failed');
        await load();
      }
    } catch {
      test.className = 'connection-test failed';
      test.textContent = 'No answer from the server: check your network and try again.';
    } finally {
      control.disabled = false;
      const sync = item.querySelector('[data-action=sync]');
      if (sync && item.querySelector('.connection-status').className.match(/pending|running|retrying/)) sync.disabled = true;
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const kind = kindSelect.value;
    const fieldset = form.querySelector(`fieldset[data-kind="${kind}"]`);
    const scope = {};
    const credential = {};
    for (const input of fieldset.querySelectorAll('[data-scope]')) if (input.value.trim()) scope[input.dataset.scope] = input.value.trim();
    for (const input of fieldset.querySelectorAll('[data-credential]')) credential[input.dataset.credential] = input.value;
    const body = { kind, scope, credential, schedule: Number(form.querySelector('#connection-schedule').value) };
    if (baseUrl.value.trim()) body.base_url = baseUrl.value.trim();
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const answer = await api('POST', panel.dataset.listUrl, body);
      if (answer.status === 201) {
        for (const input of fieldset.querySelectorAll('[data-credential]')) input.value = '';
        say(`Connected ${KIND_LABELS[kind]}. Test it, then sync it now or wait for its schedule.`, 'done');
        await load();
        itemOf(answer.data.id)?.querySelector('[data-action=test]')?.focus();
      } else {
        say(`The connection was not added: ${errorsIn(answer.data)}`, 'failed');
      }
    } catch {
      say('No answer from the server: check your network and try again.', 'failed');
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });

  kindSelect.addEventListener('change', showKind);
  showKind();
  load();
  return { onSync, load };
}
