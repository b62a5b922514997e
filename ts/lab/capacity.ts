// The "Manifold capacity" tool: GLUE capacity of a dropped points .npy with its ids .npy, or of a generated
// population of equal clusters, in the page's worker: the numbers `percolab capacity --json` prints.
import { capacityFlags, parseCapacityInputs } from '../capacity/inputs.js';
import { populationSets, type PopulationShape } from './capacity-population.js';
import { intAtLeast } from '../option-parsers.js';
import type { CapacityResult } from '../wasm/kernels.js';
import { downloadLink, h, type Lab, type LabTool } from './dom.js';

let openFiles: (files: File[]) => Promise<void> = async () => {};

const isIds = (file: File) => file.name.endsWith('.ids.npy');
const bytes = async (file: File) => ({ bytes: new Uint8Array(await file.arrayBuffer()), name: file.name });

function numberField(id: string, label: string, value: string): [HTMLElement, HTMLInputElement] {
  const input = h('input', { type: 'text', id, value, inputmode: 'numeric' });
  return [h('div', { class: 'field' }, h('label', { for: id }, label), input), input];
}

export const capacityTool: LabTool = {
  id: 'capacity',
  title: 'Manifold capacity',
  // A points file and its ids file dropped together, or an ids file alone (its points chosen already).
  acceptsFiles: (files) => files.some(isIds) && files.length <= 2 && files.every((f) => f.name.endsWith('.npy')),
  openFiles: (files) => openFiles(files),
  mount(root: HTMLElement, lab: Lab) {
    const pointsPicker = h('input', { type: 'file', id: 'capacity-points', accept: '.npy' });
    const idsPicker = h('input', { type: 'file', id: 'capacity-ids', accept: '.npy' });
    const measureFiles = h('button', { type: 'button', id: 'capacity-measure-files', class: 'primary' }, 'Measure the files');
    const [clustersField, clusters] = numberField('capacity-clusters', 'clusters', '10');
    const [pointsField, points] = numberField('capacity-cluster-points', 'points per cluster', '50');
    const [dimensionField, dimension] = numberField('capacity-dimension', 'dimension', '16');
    const generate = h('button', { type: 'button', id: 'capacity-generate', class: 'primary' }, 'Generate and measure');
    const [drawsField, draws] = numberField('capacity-draws', '--draws', '200');
    const [seedField, seed] = numberField('capacity-seed', '--seed', '0');
    const status = h('p', { id: 'capacity-status', class: 'status', 'aria-live': 'polite' }, 'Choose or drop a points .npy ([N, d], float32 or float64) with its cluster ids .npy ([N] integers, e.g. FILE.ids.npy from percolab generate), or generate a population.');
    const out = h('div', { id: 'capacity-results' });
    root.append(
      h('div', {},
        h('h2', {}, 'Manifold capacity (GLUE)'),
        h('fieldset', {}, h('legend', {}, 'Your points'),
          h('p', {}, h('label', { for: 'capacity-points' }, 'Points (.npy): '), pointsPicker),
          h('p', {}, h('label', { for: 'capacity-ids' }, 'Cluster ids (.npy): '), idsPicker),
          measureFiles),
        h('fieldset', {}, h('legend', {}, 'Or a generated population of equal clusters'), clustersField, pointsField, dimensionField, generate),
        h('fieldset', {}, h('legend', {}, 'Draws'), drawsField, seedField),
        h('p', { class: 'note' }, 'The numbers are those of percolab capacity POINTS.npy --ids IDS.npy --draws D --seed S --json (errors are jackknife standard errors over the draws).'),
      ),
      h('div', {}, status, out),
    );

    let busy = false;
    const run = async (what: string, measure: (settings: { draws: number; seed: number }) => Promise<{ result: CapacityResult; name: string; command: string }>) => {
      if (busy) return;
      busy = true;
      lab.show('capacity');
      out.replaceChildren();
      document.body.dataset.capacity = 'running';
      status.textContent = `Measuring ${what}…`;
      try {
        const settings = { draws: capacityFlags.draws(draws.value), seed: capacityFlags.seed(seed.value) };
        const started = performance.now();
        const { result, name, command } = await measure(settings);
        const seconds = (performance.now() - started) / 1000;
        out.innerHTML = await (await lab.plots()).capacityHtml([{ label: what, result }]);
        const json = `${JSON.stringify(result, null, 2)}\n`;
        out.prepend(h('p', {}, 'Download: ', downloadLink(name, json, 'application/json')), h('p', { class: 'note' }, 'The same with the CLI: ', h('code', {}, command)));
        status.textContent = `${what}: capacity ${result.capacity.toFixed(4)} ± ${result.capacityStandardError.toFixed(4)} (${result.manifolds} manifolds, ${result.draws} draws), in ${seconds.toFixed(1)} s.`;
        document.body.dataset.capacity = 'done';
      } catch (error) {
        status.textContent = `Cannot measure ${what}: ${(error as Error).message}`;
        document.body.dataset.capacity = 'error';
      } finally {
        busy = false;
      }
    };

    const measureChosen = () => {
      const [p, i] = [pointsPicker.files?.[0], idsPicker.files?.[0]];
      if (!p || !i) {
        status.textContent = `Choose ${p ? 'the cluster ids' : 'the points'} .npy too.`;
        return Promise.resolve();
      }
      return run(p.name, async (settings) => {
        const inputs = parseCapacityInputs(await bytes(p), await bytes(i));
        const result = await lab.worker.capacity(inputs.points, inputs.cols, inputs.ids, settings);
        const stem = p.name.replace(/\.npy$/, '');
        return { result, name: `${stem}.capacity.json`, command: `percolab capacity ${p.name} --ids ${i.name} --draws ${settings.draws} --seed ${settings.seed} --json` };
      });
    };
    measureFiles.addEventListener('click', () => void measureChosen());
    openFiles = async (files) => {
      const ids = files.find(isIds)!;
      const points = files.find((f) => f !== ids);
      // Keep the dropped files in the pickers, so the form shows what was measured.
      const set = (picker: HTMLInputElement, file: File) => {
        const transfer = new DataTransfer();
        transfer.items.add(file);
        picker.files = transfer.files;
      };
      set(idsPicker, ids);
      if (points) set(pointsPicker, points);
      await measureChosen();
    };

    generate.addEventListener('click', () => {
      void run('the generated population', async (settings) => {
        const shape: PopulationShape = {
          clusters: intAtLeast('clusters', 2)(clusters.value),
          points: intAtLeast('points per cluster', 2)(points.value),
          dimension: intAtLeast('dimension', 1)(dimension.value),
        };
        const data = await lab.worker.population(shape, settings.seed);
        const result = await lab.worker.capacity(Float64Array.from(data.points), shape.dimension, data.ids, settings);
        const sets = Object.entries(populationSets(shape)).map(([k, v]) => `--set ${k}=${v}`).join(' ');
        const rows = shape.clusters * shape.points;
        return {
          result,
          name: 'population.capacity.json',
          command: `percolab generate ${sets} --seed ${settings.seed} --points ${rows} --out population.npy && percolab capacity population.npy --ids population.ids.npy --draws ${settings.draws} --seed ${settings.seed} --json`,
        };
      });
    });
  },
};
