// Exports: the board as PNG and SVG, the map as CSV and JSON, from the REST export endpoints.
// Downloads stream through fetch so a long one shows its progress; PNG is the SVG export
// drawn into a canvas.

import { announce } from './dom.js';

const FORMATS = {
  svg: { path: 'svg', type: 'image/svg+xml' },
  csv: { path: 'csv', type: 'text/csv' },
  json: { path: 'json', type: 'application/json' },
  png: { path: 'svg', type: 'image/png' },
};

export class Exports {
  /** The export buttons in `panel`, for the stream of `store`. */
  constructor(panel, { store }) {
    this.store = store;
    this.progress = panel.querySelector('progress');
    this.status = panel.querySelector('.export-status');
    panel.addEventListener('click', (event) => {
      const format = event.target.closest('[data-export]')?.dataset.export;
      if (format) this.download(format);
    });
  }

  async download(format) {
    const stream = this.store.stream;
    const spec = FORMATS[format];
    if (!stream || !spec) return;
    this.#show(0, `Preparing ${format.toUpperCase()}…`);
    try {
      const response = await fetch(`/api/streams/${stream.id}/export/${spec.path}/`, { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`The server answered ${response.status}.`);
      let blob = await this.#read(response, spec.type === 'image/png' ? 'image/svg+xml' : spec.type);
      if (format === 'png') blob = await svgToPng(blob);
      save(blob, `${slug(stream.name)}.${format}`);
      this.#show(1, `${format.toUpperCase()} downloaded.`);
      announce(`${format.toUpperCase()} export downloaded.`);
    } catch (error) {
      this.#show(null, `Export failed: ${error.message}`);
    }
  }

  async #read(response, type) {
    const total = Number(response.headers.get('Content-Length')) || 0;
    if (!response.body || !total) return new Blob([await response.arrayBuffer()], { type });
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      this.#show(received / total, `Downloading… ${Math.round((100 * received) / total)}%`);
    }
    return new Blob(chunks, { type });
  }

  #show(fraction, text) {
    this.progress.hidden = fraction === null;
    if (fraction !== null) this.progress.value = fraction;
    this.status.textContent = text;
  }
}

async function svgToPng(svgBlob) {
  const url = URL.createObjectURL(svgBlob);
  try {
    const image = new Image();
    image.decoding = 'async';
    await new Promise((resolve, reject) => {
      image.onload = resolve;
      image.onerror = () => reject(new Error('the picture could not be drawn'));
      image.src = url;
    });
    const scale = 2;
    const width = Math.max(1, Math.min(8000, image.naturalWidth || 1200));
    const height = Math.max(1, Math.min(8000, image.naturalHeight || 800));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext('2d');
    context.scale(scale, scale);
    context.drawImage(image, 0, 0, width, height);
    return await new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('no PNG'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function slug(name) {
  return String(name || 'value-stream').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'value-stream';
}
