// Words the board shows for the domain's choices.

/** One of the server's vocabularies, `{value: name}`, from the page (the models' choices
 * through the board template, streams.views); empty outside a board page. */
function pageChoices(id) {
  const element = typeof document === 'undefined' ? null : document.getElementById(id);
  if (!element) return {};
  try {
    return JSON.parse(element.textContent);
  } catch {
    return {};
  }
}

export const WASTE_CATEGORIES = pageChoices('board-waste-categories'); // WasteCategory
export const NOTE_KINDS = pageChoices('board-note-kinds'); // NoteKind
export const STATUSES = pageChoices('board-countermeasure-statuses'); // CountermeasureStatus
export const BREADTHS = pageChoices('board-breadths'); // Breadth

export const KIND_NAMES = {
  activity: 'Activity', waste: 'Waste', countermeasure: 'Countermeasure', note: 'Note', link: 'Link',
};

export const SIZES = {
  activity: { width: 200, height: 120 },
  waste: { width: 180, height: 100 },
  countermeasure: { width: 180, height: 100 },
  note: { width: 180, height: 100 },
};

/** The server's names of fields in words (vsm_site.validation.FIELD_LABELS through the
 * page), `{field: name}`; empty outside a board page. */
export const FIELD_LABELS = pageChoices('board-field-labels');

/** "process_time" -> "Process time": the page's name of the field, or one made from it. */
export function fieldLabel(name, labels = FIELD_LABELS) {
  const label = labels[name];
  if (label) return label;
  const words = String(name).replace(/_/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : 'This field';
}

/** One field's message of a refusal as a sentence naming the field in words, as the server
 * says it on the board's socket (vsm_site.validation.message_in_words). */
export function messageInWords(name, message, labels = FIELD_LABELS) {
  const text = String(message);
  if (!name || name === 'non_field_errors' || name === '__all__') return text;
  const label = fieldLabel(name, labels);
  if (text === 'This field is required.') return `${label} is required.`;
  if (text === 'Unknown field.') return `“${String(name).slice(0, 100)}” is not something that can be set here.`;
  if (text.startsWith('Must ')) return `${label} m${text.slice(1)}`;
  return text;
}

/** A REST refusal's messages as sentences, from the API's error envelope (vsm_site.errors):
 * each field's messages in words when it has `errors` (a page that lists them one by one),
 * else its `detail`. */
export function errorsInWords(envelope, labels = FIELD_LABELS) {
  if (!envelope || typeof envelope !== 'object') return [];
  if (envelope.errors && typeof envelope.errors === 'object') {
    return Object.entries(envelope.errors).flatMap(([field, messages]) => [].concat(messages).map((message) => messageInWords(field, message, labels)));
  }
  return typeof envelope.detail === 'string' && envelope.detail ? [envelope.detail] : [];
}
