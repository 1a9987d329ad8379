// Words the board shows for the domain's choices (the server's choices, shortened).

export const WASTE_CATEGORIES = {
  waiting: 'Waiting',
  defects: 'Defects',
  overproduction: 'Extra features',
  non_utilized_talent: 'Unused talent',
  transportation: 'Hand-offs',
  inventory: 'Partly done work',
  motion: 'Task switching',
  extra_processing: 'Extra processing',
};

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
