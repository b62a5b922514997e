// The "Measure a .npy" tool: the intrinsic dimension of a float32 [N, d] file, in the page, on the
// threaded kernels where the page is cross-origin isolated.
import { asFloat32Matrix, parseNpy } from '../io/npy.js';
import { h, type Lab, type LabTool } from './dom.js';

let openFile: (file: File) => Promise<void> = async () => {};

export const measureTool: LabTool = {
  id: 'measure',
  title: 'Measure a .npy',
  accepts: (file) => file.name.endsWith('.npy'),
  open: (file) => openFile(file),
  mount(root: HTMLElement, lab: Lab) {
    const picker = h('input', { type: 'file', id: 'npy-file', accept: '.npy' });
    const status = h('p', { id: 'measure-status', class: 'status', 'aria-live': 'polite' }, 'Choose or drop a float32 .npy file of shape [N, d] (as numpy.save writes it).');
    const out = h('div', { id: 'measure-results' });
    root.append(
      h('h2', {}, 'Measure the dimension of your points'),
      h('p', {}, h('label', { for: 'npy-file' }, 'Points (.npy): '), picker),
      status,
      out,
    );
    openFile = async (file: File) => {
      lab.show('measure');
      out.replaceChildren();
      document.body.dataset.measure = 'running';
      status.textContent = `Reading ${file.name}…`;
      try {
        const { data, rows, cols } = asFloat32Matrix(parseNpy(new Uint8Array(await file.arrayBuffer()), file.name), file.name);
        status.textContent = `Measuring ${file.name}: ${rows} points in d = ${cols}…`;
        const started = performance.now();
        const estimates = await lab.worker.estimate(data, cols);
        const seconds = (performance.now() - started) / 1000;
        const rowsHtml = estimates.map((e) => `<tr><th scope="row">${e.method}</th><td>${e.dimension === null ? 'n/a' : e.dimension.toFixed(3)}</td><td>${e.interval ? `${e.interval[0].toFixed(3)} – ${e.interval[1].toFixed(3)}` : (e.error ?? '')}</td></tr>`).join('');
        out.innerHTML = `<table id="estimates"><thead><tr><th>method</th><th>dimension</th><th>16th–84th percentile</th></tr></thead><tbody>${rowsHtml}</tbody></table>${await (await lab.plots()).dimensionHtml(estimates)}`;
        status.textContent = `${file.name}: ${rows} points in d = ${cols}, measured in ${seconds.toFixed(1)} s.`;
        document.body.dataset.measure = 'done';
      } catch (error) {
        status.textContent = `Cannot measure ${file.name}: ${(error as Error).message}`;
        document.body.dataset.measure = 'error';
      }
    };
    picker.addEventListener('change', () => {
      const file = picker.files?.[0];
      if (file) void openFile(file);
    });
  },
};
