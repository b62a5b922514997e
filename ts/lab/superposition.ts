// The "Superposition (Persian rug)" tool: `percolab superposition` at one (n, m, p) in the page's worker,
// checked with the CLI's own parsers, optionally trained with progress and cancel, drawn with its report's plots.
import * as Comlink from 'comlink';
import { parseSuperpositionFlags, superpositionFlags, superpositionJson } from '../superposition/flags.js';
import { downloadLink, h, type Lab, type LabTool } from './dom.js';

function field(id: string, label: string, value: string, help: string): [HTMLElement, HTMLInputElement] {
  // The help as a tooltip: a help line shown on focus would move the fields below as focus moves.
  const input = h('input', { type: 'text', id, value, title: help });
  return [h('div', { class: 'field' }, h('label', { for: id }, label), input), input];
}

export const superpositionTool: LabTool = {
  id: 'superposition',
  title: 'Superposition (Persian rug)',
  mount(root: HTMLElement, lab: Lab) {
    // The CLI's defaults.
    const [nField, n] = field('sp-n', '--n', '1024', 'features: a power of two, 2 to 65536');
    const [mField, m] = field('sp-m', '--m', '256', 'hidden units: a power of two, at most n');
    const [pField, p] = field('sp-p', '--p', '0.03', 'probability that a feature is on, in (0, 1]');
    const [seedField, seed] = field('sp-seed', '--seed', '0', 'seed of the Hadamard rows, the data and the trained model');
    const train = h('input', { type: 'checkbox', id: 'sp-train' });
    const [stepsField, steps] = field('sp-steps', '--steps', '', 'most Adam steps (default 4000; stops earlier when a 250-step window improves by < 0.1%)');
    steps.disabled = true;
    train.addEventListener('change', () => (steps.disabled = !train.checked));
    const error = h('p', { id: 'sp-error', class: 'error', role: 'alert' });
    const runButton = h('button', { type: 'button', id: 'sp-run', class: 'primary' }, 'Run');
    const cancel = h('button', { type: 'button', id: 'sp-cancel', disabled: true }, 'Cancel');
    const progress = h('progress', { id: 'sp-progress', max: '1', value: '0', hidden: true });
    const status = h('p', { id: 'sp-status', class: 'status', 'aria-live': 'polite' }, 'The toy model y = ReLU(W_out W_in x + b) with n sparse features through m hidden units: closed form, Hadamard model, optimal linear baseline and, optionally, a trained model.');
    const out = h('div', { id: 'sp-results' });
    root.append(
      h('div', {},
        h('h2', {}, 'Toy model of superposition (Persian rug)'),
        h('fieldset', {}, h('legend', {}, 'Model'), nField, mField, pField, seedField,
          h('div', { class: 'field' }, h('label', { for: 'sp-train' }, '--train'), train), stepsField),
        error,
        h('div', { class: 'actions' }, runButton, cancel, progress),
        h('p', { class: 'note' }, 'The numbers are those of percolab superposition --n N --m M --p P --seed S [--train [--steps K]] --json; Cowsik, Dolev & Infanger 2024.'),
      ),
      h('div', {}, status, out),
    );

    runButton.addEventListener('click', async () => {
      error.textContent = '';
      let shape: ReturnType<typeof parseSuperpositionFlags>;
      let training: false | { steps?: number };
      try {
        shape = parseSuperpositionFlags({ n: n.value, m: m.value, p: p.value, seed: seed.value });
        training = train.checked && (steps.value.trim() === '' ? {} : { steps: superpositionFlags.steps(steps.value) });
      } catch (e) {
        error.textContent = (e as Error).message;
        document.body.dataset.superposition = 'invalid';
        return;
      }
      runButton.disabled = true;
      cancel.disabled = !training;
      progress.hidden = !training;
      progress.value = 0;
      out.replaceChildren();
      document.body.dataset.superposition = 'running';
      status.textContent = `Running n = ${shape.n}, m = ${shape.m}, p = ${shape.p}${training ? ' with training' : ''}…`;
      try {
        const started = performance.now();
        const { result, curves } = await lab.worker.superposition(shape, training, Comlink.proxy((done: number, total: number) => {
          progress.value = done / total;
          status.textContent = `Training: ${done} of at most ${total} steps…`;
        }));
        const seconds = (performance.now() - started) / 1000;
        out.innerHTML = await (await lab.plots()).superpositionHtml(result, curves);
        const name = `superposition-n${shape.n}-m${shape.m}-p${shape.p}-seed${shape.seed}.json`;
        out.prepend(h('p', {}, 'Download: ', downloadLink(name, `${JSON.stringify(superpositionJson(result))}\n`, 'application/json')));
        status.textContent = `Persian rug: n = ${result.n}, m = ${result.m} (r = ${result.r}), p = ${result.p}, seed ${result.seed}, in ${seconds.toFixed(1)} s.`;
        document.body.dataset.superposition = 'done';
      } catch (e) {
        const message = (e as Error).message;
        const stopped = message === 'training cancelled';
        status.textContent = stopped ? 'Training cancelled.' : `The model failed: ${message}`;
        document.body.dataset.superposition = stopped ? 'cancelled' : 'error';
      } finally {
        runButton.disabled = false;
        cancel.disabled = true;
        progress.hidden = true;
      }
    });
    cancel.addEventListener('click', () => void lab.worker.cancelTraining());
  },
};
