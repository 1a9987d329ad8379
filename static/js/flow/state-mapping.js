// The state-mapping editor of the Flow page (facilitators): pick a flow state per tracker
// state, reorder by dragging or with the Move up / Move down buttons, and pick the activity
// each state belongs to on the chosen map. Each change is one PATCH (of the workshop's states,
// or of one state for its activity, which the map's board hears as a `state.update` op); the
// page then swaps in the freshly rendered body (the socket's `flow.changed` frame asks for the
// same, for every other open page). The editor is part of that body, so listeners are
// delegated to the page's container.

import { errorsInWords } from '../board/labels.js';

/** The PATCH body that puts a state on `activity` of a map, or takes it off that map. */
export function activityPatch(activityValue, mapId) {
  return activityValue === '' || activityValue === null || activityValue === undefined
    ? { activity: null, stream: Number(mapId) }
    : { activity: Number(activityValue) };
}

export function setupMapping({ container, url, csrfToken, refresh }) {
  let message = { text: '', css: '' };
  let saving = false;
  let dragged = null;

  function statusElement() {
    return container.querySelector('#mapping-status');
  }

  function setStatus(text, css = '') {
    message = { text, css };
    const element = statusElement();
    if (element) {
      element.textContent = text;
      element.className = `mapping-status ${css}`;
    }
  }

  function rows() {
    return [...container.querySelectorAll('#mapping-list > li[data-state-id]')];
  }

  // The server renders the editor's fieldset disabled (it cannot save without this script);
  // it is enabled whenever no save is running.
  function setBusy(on) {
    const fieldset = container.querySelector('#mapping-fieldset');
    if (!fieldset) return;
    fieldset.disabled = on;
    container.querySelector('#mapping-list')?.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  function describe(body, status) {
    const sentences = errorsInWords(body);
    return sentences.length ? sentences.join(' ') : `the server answered ${status}`;
  }

  async function save(changes, done, focusKey, target = url) {
    if (saving) return;
    saving = true;
    // Keep the focus on the control that was used: the body is re-rendered after saving.
    const focused = focusKey || document.activeElement?.dataset?.focus;
    setBusy(true);
    setStatus('Saving…');
    try {
      const response = await fetch(target, {
        method: 'PATCH',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrfToken },
        body: JSON.stringify(changes),
      });
      let body = null;
      try { body = await response.json(); } catch { body = null; }
      if (!response.ok) throw new Error(describe(body, response.status));
      setStatus('Saved. Updating the figures…', 'saved');
      await refresh();
      setStatus(`Saved: ${done}`, 'saved');
    } catch (error) {
      const reason = error instanceof TypeError ? 'no connection to the server; try again when you are back online' : error.message;
      setStatus(`Not saved: ${reason}. The mapping is unchanged.`, 'error');
      await refresh(); // puts back what the server has
    } finally {
      saving = false;
      setBusy(false);
      if (focused) {
        const target = container.querySelector(`#flow-body [data-focus="${CSS.escape(focused)}"]`);
        if (target && !target.disabled) target.focus();
        else container.querySelector(`#flow-body [data-focus="select-${CSS.escape(focused.split('-').pop())}"]`)?.focus();
      }
    }
  }

  function move(row, position, focusKey) {
    const all = rows();
    const name = row.dataset.stateName;
    const without = all.filter((other) => other !== row);
    const clamped = Math.max(0, Math.min(position, without.length));
    if (all.indexOf(row) === clamped) return;
    // Show the new order at once; the saved body replaces it.
    const list = row.parentElement;
    if (clamped >= without.length) list.append(row);
    else list.insertBefore(row, without[clamped]);
    save(
      [{ id: Number(row.dataset.stateId), order: clamped }],
      `${name} is now state ${clamped + 1} of ${all.length}.`,
      focusKey,
    );
  }

  container.addEventListener('change', (event) => {
    const activitySelect = event.target.closest('#mapping-list select[data-state-activity]');
    if (activitySelect) {
      const row = activitySelect.closest('li[data-state-id]');
      const list = activitySelect.closest('#mapping-list');
      const chosen = activitySelect.value === '' ? null : activitySelect.selectedOptions[0]?.textContent.replace(/^\d+\.\s*/, '');
      save(
        activityPatch(activitySelect.value, list.dataset.mapId),
        chosen
          ? `${row.dataset.stateName} now counts on ${chosen} (${list.dataset.mapName}).`
          : `${row.dataset.stateName} is no longer on ${list.dataset.mapName}.`,
        activitySelect.dataset.focus,
        row.dataset.stateUrl,
      );
      return;
    }
    const select = event.target.closest('#mapping-list select[data-flow-state]');
    if (!select) return;
    const row = select.closest('li[data-state-id]');
    const label = select.selectedOptions[0]?.textContent || select.value;
    save(
      [{ id: Number(row.dataset.stateId), flow_state: select.value }],
      `${row.dataset.stateName} now counts as ${label.toLowerCase()}.`,
    );
  });

  container.addEventListener('click', (event) => {
    const button = event.target.closest('#mapping-list button[data-move]');
    if (!button || button.disabled) return;
    const row = button.closest('li[data-state-id]');
    const index = rows().indexOf(row);
    // Moving the row in the DOM takes the focus off the button: remember which it was.
    move(row, button.dataset.move === 'up' ? index - 1 : index + 1, button.dataset.focus);
  });

  // Drag and drop (the buttons do the same from the keyboard).
  function clearMarks() {
    for (const row of rows()) row.classList.remove('drop-before', 'drop-after');
  }

  function after(row, event) {
    const box = row.getBoundingClientRect();
    return event.clientY > box.top + box.height / 2;
  }

  container.addEventListener('dragstart', (event) => {
    const row = event.target.closest?.('#mapping-list > li[data-state-id]');
    if (!row) return;
    if (saving || row.closest('fieldset')?.disabled) { event.preventDefault(); return; }
    dragged = row;
    row.classList.add('dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', row.dataset.stateName);
  });

  container.addEventListener('dragover', (event) => {
    const row = event.target.closest?.('#mapping-list > li[data-state-id]');
    if (!dragged || !row) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    clearMarks();
    if (row !== dragged) row.classList.add(after(row, event) ? 'drop-after' : 'drop-before');
  });

  container.addEventListener('drop', (event) => {
    const row = event.target.closest?.('#mapping-list > li[data-state-id]');
    if (!dragged || !row) return;
    event.preventDefault();
    clearMarks();
    const source = dragged;
    dragged = null;
    source.classList.remove('dragging');
    if (row === source) return;
    const without = rows().filter((other) => other !== source);
    move(source, without.indexOf(row) + (after(row, event) ? 1 : 0));
  });

  container.addEventListener('dragend', () => {
    dragged?.classList.remove('dragging');
    dragged = null;
    clearMarks();
  });

  setBusy(false);

  return {
    // The body was re-rendered: enable the fresh editor (unless a save is running) and show
    // the last message again in its status line.
    afterSwap() {
      setBusy(saving);
      const element = statusElement();
      if (element && message.text) {
        element.textContent = message.text;
        element.className = `mapping-status ${message.css}`;
      }
    },
  };
}
