// The Flow page's import form (facilitators): sends the file with an XMLHttpRequest so the
// progress bar follows the upload's own bytes, then follows a worker-run import through the
// socket's `import.progress` frames (and polls the import record in case a frame is lost).
// The result (items and state changes imported, or the errors with their lines, and the
// warnings) is written as text.

import { errorsInWords } from '../board/labels.js';

const POLL_MS = 2000;
const FINISHED = new Set(['done', 'failed']);

export function setupUpload({ form, csrfToken, detailUrl, panel, progress, bar, phase, percent, result, onFinished }) {
  const submit = form.querySelector('button[type=submit]');
  let tracking = null; // the id of the import this page started and waits for
  let pollTimer = null;
  const finished = new Set();

  function setBar(fraction, text) {
    progress.hidden = false;
    if (fraction === null) {
      bar.removeAttribute('value'); // indeterminate: the server is working, no measure yet
      percent.textContent = '';
    } else {
      bar.value = Math.max(0, Math.min(1, fraction));
      percent.textContent = `${Math.round(bar.value * 100)}%`;
    }
    phase.textContent = text;
  }

  function busy(on) {
    submit.disabled = on;
    form.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  function list(items, title) {
    const wrap = document.createDocumentFragment();
    const heading = document.createElement('p');
    heading.className = 'problems-title';
    heading.textContent = title;
    const ul = document.createElement('ul');
    for (const entry of items) {
      const li = document.createElement('li');
      li.textContent = entry.line ? `Line ${entry.line}: ${entry.message}` : String(entry.message);
      ul.append(li);
    }
    wrap.append(heading, ul);
    return wrap;
  }

  function paragraph(text) {
    const p = document.createElement('p');
    p.textContent = text;
    return p;
  }

  function showMessage(text, css) {
    result.className = `import-result ${css}`;
    result.replaceChildren(paragraph(text));
  }

  function showRecord(record) {
    const name = record.filename || 'the file';
    const format = record.format ? ` (${record.format})` : '';
    const parts = [];
    if (record.status === 'done') {
      result.className = 'import-result done';
      parts.push(paragraph(
        `Imported ${record.items} work item${record.items === 1 ? '' : 's'} and ${record.transitions} state change${record.transitions === 1 ? '' : 's'} from ${name}${format}. The figures below include them.`,
      ));
    } else {
      result.className = 'import-result failed';
      const count = (record.errors || []).length;
      parts.push(paragraph(
        `Nothing was imported from ${name}${format}: ${count} error${count === 1 ? '' : 's'}. Fix ${count === 1 ? 'it' : 'them'} in the file and upload it again.`,
      ));
      if (count) parts.push(list(record.errors, 'Errors'));
    }
    if ((record.warnings || []).length) parts.push(list(record.warnings, 'Warnings'));
    result.replaceChildren(...parts);
  }

  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = null;
  }

  async function poll() {
    if (tracking === null) return;
    try {
      const response = await fetch(detailUrl(tracking), { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (response.ok) onRecord(await response.json());
    } catch { /* offline: the next poll or the socket tells */ }
    if (tracking !== null) pollTimer = setTimeout(poll, POLL_MS);
  }

  // An import record from the upload's answer, a frame or a poll.
  function onRecord(record) {
    if (!record || record.id !== tracking || finished.has(record.id)) return;
    if (FINISHED.has(record.status)) {
      finished.add(record.id);
      tracking = null;
      stopPolling();
      setBar(1, record.status === 'done' ? 'Imported.' : 'The import failed.');
      showRecord(record);
      busy(false);
      form.reset();
      onFinished(record);
      return;
    }
    const share = record.progress || 0;
    setBar(share, record.status === 'pending'
      ? 'Step 2 of 2: waiting for a worker to import the file…'
      : `Step 2 of 2: importing on the server, ${Math.round(share * 100)}%`);
  }

  function onAnswer(xhr) {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch { body = null; }
    if ((xhr.status === 201 || xhr.status === 202 || xhr.status === 400) && body && typeof body.status === 'string') {
      tracking = body.id;
      if (xhr.status === 202) {
        setBar(body.progress || 0, 'Step 2 of 2: the file is uploaded; a worker imports it…');
        result.className = 'import-result';
        result.replaceChildren(paragraph('The file is large, so a worker imports it: follow its progress above. You can keep reading the page meanwhile.'));
        pollTimer = setTimeout(poll, POLL_MS);
      }
      onRecord(body);
      return;
    }
    busy(false);
    progress.hidden = true;
    const messages = errorsInWords(body);
    if (xhr.status === 403) messages.unshift('Only a facilitator of this workshop can import work items.');
    result.className = 'import-result failed';
    result.replaceChildren(
      paragraph(`Nothing was imported (the server answered ${xhr.status}).`),
      ...(messages.length ? [list(messages.map((message) => ({ message })), 'Why')] : []),
    );
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = form.querySelector('input[type=file]');
    if (!input.files || !input.files.length) {
      showMessage('Choose a file to import first.', 'failed');
      input.focus();
      return;
    }
    const data = new FormData(form);
    if (!data.get('format')) data.delete('format');
    data.delete('csrfmiddlewaretoken');
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.setRequestHeader('X-CSRFToken', csrfToken);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (progressEvent) => {
      if (progressEvent.lengthComputable) {
        const share = progressEvent.loaded / progressEvent.total;
        setBar(share, `Step 1 of 2: uploading ${input.files[0].name}, ${Math.round(share * 100)}%`);
      }
    });
    xhr.upload.addEventListener('load', () => {
      setBar(null, 'Step 2 of 2: the file is uploaded; the server is importing it…');
    });
    xhr.addEventListener('load', () => onAnswer(xhr));
    xhr.addEventListener('error', () => {
      busy(false);
      setBar(0, 'The upload did not reach the server.');
      showMessage('The upload failed: no connection to the server. Check your network and upload the file again; nothing was imported.', 'failed');
    });
    busy(true);
    panel.open = true;
    result.replaceChildren();
    result.className = 'import-result';
    setBar(0, `Step 1 of 2: uploading ${input.files[0].name}…`);
    xhr.send(data);
  });

  return { onRecord };
}
