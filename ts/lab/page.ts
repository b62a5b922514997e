// The lab page: a menu of tools over one shared worker. A tool is an entry of `tools`; the page routes by
// the URL's #hash and hands each dropped file to the first tool that takes it.
import * as Comlink from 'comlink';
import { h, type Lab, type LabTool } from './dom.js';
import { capacityTool } from './capacity.js';
import { experimentTool } from './experiment.js';
import type { LabApi } from './lab-api.js';
import { measureTool } from './measure.js';
import { superpositionTool } from './superposition.js';

const tools: LabTool[] = [experimentTool, measureTool, capacityTool, superpositionTool];

// Started after the form is up: on few cores its kernels' start-up would compete with the first render.
let worker: Comlink.Remote<LabApi> | undefined;
let plots: Promise<typeof import('./plots.js')> | undefined;
const nav = document.getElementById('tools')!;
const main = document.getElementById('main')!;
const notice = document.getElementById('notice')!;
const panels = new Map<string, HTMLElement>();

const lab: Lab = {
  get worker() {
    return (worker ??= Comlink.wrap<LabApi>(new Worker(new URL('./lab-worker.js', import.meta.url), { type: 'module' })));
  },
  plots: () => (plots ??= import('./plots.js')),
  show(id) {
    for (const [key, panel] of panels) panel.hidden = key !== id;
    for (const button of nav.querySelectorAll('a')) button.setAttribute('aria-current', String(button.dataset.tool === id));
    if (location.hash !== `#${id}` && !(id === tools[0]!.id && location.hash === '')) history.replaceState(null, '', `${location.pathname}${location.search}#${id}`);
  },
};

for (const tool of tools) {
  nav.append(h('a', { href: `#${tool.id}`, 'data-tool': tool.id }, tool.title));
  const panel = h('section', { id: `tool-${tool.id}`, class: 'tool' });
  panels.set(tool.id, panel);
  main.append(panel);
  tool.mount(panel, lab);
}
const route = () => lab.show(panels.has(location.hash.slice(1)) ? location.hash.slice(1) : tools[0]!.id);
window.addEventListener('hashchange', route);
route();

// Drop a results.json to view it, a config.json to load it, a .npy to measure it, points with their ids for capacity.
document.addEventListener('dragover', (event) => {
  event.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (event) => {
  event.preventDefault();
  document.body.classList.remove('dragging');
  const files = [...(event.dataTransfer?.files ?? [])];
  const file = files[0];
  if (!file) return;
  const group = tools.find((t) => t.acceptsFiles?.(files));
  const tool = group ? undefined : tools.find((t) => t.accepts?.(file));
  notice.textContent = group || tool ? '' : `${file.name}: drop a results.json or config.json (to view or load a run), a .npy file (to measure it), or points .npy with their .ids.npy (for their capacity)`;
  (group ? group.openFiles!(files) : tool?.open?.(file))?.catch((error: Error) => (notice.textContent = error.message));
});

document.body.dataset.ready = 'true';
performance.mark('lab-ready'); // the form is up: what the bench times as the first render

const kernels = document.getElementById('kernels')!;
lab.worker.kernels().then(
  (k) => {
    kernels.dataset.flavour = k.flavour;
    kernels.dataset.threads = String(k.threads);
    kernels.textContent = k.flavour === 'simd-threads'
      ? `Kernels: WebAssembly SIMD + threads (${k.threads} threads; the page is cross-origin isolated).`
      : 'Kernels: WebAssembly SIMD, single-threaded: the page is not cross-origin isolated (serve it with `percolab lab`, which sends the COOP/COEP headers), so it fell back to the single-threaded kernels (same results, slower).';
  },
  (error: Error) => (kernels.textContent = `The kernels failed to load: ${error.message}`),
);
