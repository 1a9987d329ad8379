// Words the board shows for the domain's choices.

/** The server's names of the waste categories, `{value: name}`, from the page
 * (streams.models.WasteCategory through the board template); empty outside a board page. */
function pageChoices(id) {
  const element = typeof document === 'undefined' ? null : document.getElementById(id);
  if (!element) return {};
  try {
    return JSON.parse(element.textContent);
  } catch {
    return {};
  }
}

export const WASTE_CATEGORIES = pageChoices('board-waste-categories');

export const NOTE_KINDS = { note: 'Note', question: 'Question', idea: 'Idea' };

export const STATUSES = {
  proposed: 'Proposed', planned: 'Planned', in_progress: 'In progress', done: 'Done', dropped: 'Dropped',
};

export const BREADTHS = { bounded: 'Bounded', broad: 'Broad' };

export const KIND_NAMES = {
  activity: 'Activity', waste: 'Waste', countermeasure: 'Countermeasure', note: 'Note', link: 'Link',
};

export const SIZES = {
  activity: { width: 200, height: 120 },
  waste: { width: 180, height: 100 },
  countermeasure: { width: 180, height: 100 },
  note: { width: 180, height: 100 },
};
