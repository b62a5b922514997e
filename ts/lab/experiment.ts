// The "Experiment" tool: set up a config in a form generated from the schema (or as JSON), run it in Web
// Workers with per-seed progress and a cancel, and read the report's plots as seeds finish.
import type { Remote } from 'comlink';
import type { Config, ConfigInput } from '../config/schema.js';
import { runExperiment, seedsOf } from '../experiment/run.js';
import { theoryFor } from '../experiment/theory.js';
import { fitScaling } from '../fit/scaling.js';
import { browserWorkers, defaultWorkers } from '../pool/browser.js';
import { type CellApi, type PoolWorker, WorkerPool } from '../pool/pool.js';
import type { RunResults, SeedResult } from '../results.js';
import { version } from '../version.js';
import { downloadLink, h, lazyDownloadLink, type Lab, type LabTool } from './dom.js';
import { configFromQuery, configQuery, fieldText, formFields, getPath, parseFieldText, PRESETS, relevant, setPath, sweepPlan, type SweepInput, validate, type Field } from './model.js';

type Task = { seed: number; measure: boolean };

/** A pool that says when each task starts and finishes, so the page can show seeds as they complete. */
class WatchedPool extends WorkerPool {
  constructor(workers: PoolWorker[], private readonly watch: { start(task: Task): void; done(task: Task, result: unknown): void }) {
    super(workers);
  }

  override map<T, R>(tasks: readonly T[], run: (api: Remote<CellApi>, task: T) => Promise<R>, onDone?: (done: number, total: number) => void): Promise<R[]> {
    return super.map(tasks, async (api, task) => {
      this.watch.start(task as Task);
      const result = await run(api, task);
      this.watch.done(task as Task, result);
      return result;
    }, onDone);
  }
}

class Cancelled extends Error {}

const SECTIONS: Record<string, string> = { '': 'Run', data: 'Data', teacher: 'Teacher', model: 'Model', train: 'Training (students)', fit: 'Fit', measure: 'Dimension measurement' };
const fieldId = (key: string) => `field-${key.replace(/\./g, '-')}`;
const rowKey = (t: Task) => (t.measure ? 'dimension' : `seed-${t.seed}`);

export const experimentTool: LabTool & { load(input: Record<string, unknown>): void; showResults(results: RunResults): Promise<void> } = {
  id: 'experiment',
  title: 'Experiment',
  mount,
  load: () => {},
  showResults: async () => {},
  accepts: (file) => file.name.endsWith('.json'),
  open: async (file) => {
    let value: unknown;
    try {
      value = JSON.parse(await file.text());
    } catch (error) {
      throw new Error(`${file.name} is not valid JSON (${(error as Error).message})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file.name} does not hold a JSON object`);
    const results = value as Partial<RunResults>;
    if (Array.isArray(results.points) && results.fit && results.config && Array.isArray(results.seeds)) {
      const { percolab: _record, ...config } = results.config as Record<string, unknown>;
      experimentTool.load(config);
      await experimentTool.showResults(results as RunResults);
    } else {
      const { percolab: _record, ...config } = value as Record<string, unknown>;
      experimentTool.load(config); // a config.json
    }
  },
};

function mount(root: HTMLElement, lab: Lab): void {
  const fields = formFields();
  let input: Record<string, unknown> = {};
  let generation = 0;
  let active: { cancel(): void } | undefined;

  const controls = new Map<string, { field: Field; control: HTMLInputElement | HTMLSelectElement; error: HTMLElement; row: HTMLElement }>();
  const preset = h('select', { id: 'preset', 'aria-label': 'preset' }, h('option', { value: '' }, 'Presets: the headline experiment and the ablations …'));
  PRESETS.forEach((p, i) => preset.append(h('option', { value: String(i) }, p.name)));
  const form = h('form', { id: 'setup', novalidate: true });
  form.addEventListener('submit', (event) => event.preventDefault()); // Enter in a field must not reload the page
  const sections = new Map<string, HTMLFieldSetElement>();
  for (const field of fields) {
    let set = sections.get(field.section);
    if (!set) {
      set = h('fieldset', { class: 'section', 'data-section': field.section || 'run' }, h('legend', {}, SECTIONS[field.section] ?? field.section));
      sections.set(field.section, set);
      form.append(set);
    }
    const id = fieldId(field.key);
    const error = h('p', { class: 'error', id: `${id}-error`, role: 'alert' });
    const defaultText = field.default === undefined ? '(unset)' : fieldText(field, field.default);
    let control: HTMLInputElement | HTMLSelectElement;
    if (field.kind === 'enum') {
      control = h('select', { id, name: field.key });
      for (const option of field.options!) control.append(h('option', { value: option }, option === field.default ? `${option} (default)` : option));
    } else if (field.kind === 'boolean') {
      control = h('input', { id, name: field.key, type: 'checkbox' });
    } else {
      control = h('input', { id, name: field.key, type: 'text', placeholder: defaultText, autocomplete: 'off', spellcheck: 'false', inputmode: field.kind === 'json' ? undefined : 'decimal' });
    }
    control.setAttribute('aria-describedby', `${id}-error`);
    control.title = field.description;
    const row = h('div', { class: 'field', 'data-key': field.key },
      h('label', { for: id }, field.path.at(-1)!), control, h('p', { class: 'help' }, field.description), error);
    set.append(row);
    controls.set(field.key, { field, control, error, row });
    const onEdit = () => {
      let value: unknown;
      if (control instanceof HTMLSelectElement) value = control.value === field.default ? undefined : control.value;
      else if (control.type === 'checkbox') value = control.checked === field.default ? undefined : control.checked;
      else value = parseFieldText(field, control.value);
      input = setPath(input, field.path, value);
      refresh('form');
    };
    control.addEventListener(control instanceof HTMLSelectElement || control.type === 'checkbox' ? 'change' : 'input', onEdit);
  }

  const json = h('textarea', { id: 'config-json', rows: '10', spellcheck: 'false', 'aria-label': 'config as JSON', 'aria-describedby': 'config-json-error' });
  const jsonError = h('p', { class: 'error', id: 'config-json-error', role: 'alert' });
  json.addEventListener('input', () => {
    let value: unknown;
    try {
      value = JSON.parse(json.value || '{}');
    } catch (error) {
      jsonError.textContent = `not valid JSON: ${(error as Error).message}`;
      runButton.disabled = true;
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      jsonError.textContent = 'the config must be a JSON object';
      runButton.disabled = true;
      return;
    }
    input = value as Record<string, unknown>;
    refresh('json');
  });
  const general = h('ul', { id: 'config-errors', class: 'error', role: 'alert' });
  const sweepPath = h('select', { id: 'sweep-path' }, h('option', { value: '' }, 'no sweep: one experiment'));
  for (const f of fields) if (f.kind !== 'json' && f.kind !== 'boolean') sweepPath.append(h('option', { value: f.key }, f.key));
  const sweepValues = h('input', { id: 'sweep-values', type: 'text', placeholder: '[8, 16, 32]', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'sweep-error' });
  const sweepError = h('p', { class: 'error', id: 'sweep-error', role: 'alert' });
  const sweepResults = h('div', { id: 'sweep-results' });
  for (const [el, event] of [[sweepPath, 'change'], [sweepValues, 'input']] as const) el.addEventListener(event, () => refresh('load'));
  const runButton = h('button', { id: 'run', type: 'button', class: 'primary' }, 'Run');
  const cancelButton = h('button', { id: 'cancel', type: 'button', disabled: true }, 'Cancel');
  const shareLink = h('a', { id: 'share', href: '#' }, 'link to this setup');
  const shareRunLink = h('a', { id: 'share-run', href: '#' }, 'link that runs it');
  const status = h('p', { id: 'run-status', class: 'status', 'aria-live': 'polite' });
  const progress = h('div', { id: 'progress' });
  const results = h('div', { id: 'results' });
  const projection = h('div', { id: 'projection' });
  const downloads = h('p', { id: 'downloads' });

  root.append(
    h('div', { class: 'setup' },
      h('h2', {}, 'Set up'),
      preset,
      form,
      h('details', { class: 'json' }, h('summary', {}, 'The config as JSON (edit it here, or in the form)'), json, jsonError),
      h('fieldset', { class: 'section sweep' }, h('legend', {}, 'Sweep (optional)'),
        h('div', { class: 'field' }, h('label', { for: 'sweep-path' }, 'key'), sweepPath),
        h('div', { class: 'field' }, h('label', { for: 'sweep-values' }, 'values'), sweepValues, h('p', { class: 'help' }, 'A JSON list: one experiment per value, the rest of the setup as above; the exponents are plotted against the values, as percolab sweep does.'), sweepError)),
      general,
      h('p', { class: 'actions' }, runButton, ' ', cancelButton, ' ', h('span', { class: 'share' }, 'Share: ', shareLink, ' · ', shareRunLink))),
    h('div', { class: 'read' }, h('h2', {}, 'Run'), status, progress, sweepResults, downloads, results, projection),
  );

  preset.addEventListener('change', () => {
    const p = PRESETS[Number(preset.value)];
    if (p) load(structuredClone(p.config) as Record<string, unknown>);
  });

  function refresh(from: 'form' | 'json' | 'load') {
    const v = validate(input, fields);
    for (const { field, control, error, row } of controls.values()) {
      const value = getPath(input, field.path);
      if (from !== 'form' || document.activeElement !== control) {
        if (control instanceof HTMLSelectElement) control.value = String(value ?? field.default);
        else if (control.type === 'checkbox') control.checked = Boolean(value ?? field.default);
        else control.value = fieldText(field, value);
      }
      const message = v.fields.get(field.key) ?? '';
      error.textContent = message;
      control.toggleAttribute('aria-invalid', message !== '');
      row.hidden = !message && !relevant(field, input);
    }
    for (const set of sections.values()) set.hidden = [...set.querySelectorAll<HTMLElement>('.field')].every((row) => row.hidden);
    general.replaceChildren(...v.general.map((m) => h('li', {}, m)));
    if (from !== 'json') {
      json.value = JSON.stringify(input, null, 2);
      jsonError.textContent = '';
    }
    const plan = currentPlan();
    sweepError.textContent = v.config ? (plan.error ?? '') : '';
    runButton.disabled = !v.config || plan.error !== undefined || active !== undefined;
    runButton.title = v.config ? '' : 'fix the marked fields first';
    document.body.dataset.valid = String(Boolean(v.config));
    const setup = configQuery(input as ConfigInput, false, sweep());
    history.replaceState(null, '', `${location.pathname}${Object.keys(input).length || sweepPath.value ? setup : ''}${location.hash}`);
    shareLink.href = `${location.origin}${location.pathname}${setup}`;
    shareRunLink.href = `${location.origin}${location.pathname}${configQuery(input as ConfigInput, true, sweep())}`;
    return v;
  }

  /** The sweep the form holds, as links carry it. */
  function sweep(): SweepInput {
    return { path: sweepPath.value, values: sweepValues.value };
  }

  /** That sweep's cells for the config in the form, or why it cannot run. */
  function currentPlan() {
    return sweepPlan(input, sweepPath.value, sweepValues.value, fields);
  }

  function load(next: Record<string, unknown>) {
    input = next;
    refresh('load');
  }

  function setState(state: string, text: string) {
    document.body.dataset.state = state;
    status.textContent = text;
  }

  async function run() {
    const v = refresh('load');
    const plan = currentPlan();
    if (!v.config || active || plan.error) return;
    const cells = plan.cells ?? [{ value: undefined, config: v.config }];
    const swept = plan.cells !== undefined;
    const id = ++generation;
    history.pushState(null, '', `${location.pathname}${configQuery(input as ConfigInput, false, sweep())}${location.hash}`);
    const size = Math.min(v.config.workers ?? defaultWorkers(), Math.max(...cells.map((c) => c.config.seeds)));
    results.replaceChildren();
    projection.replaceChildren();
    downloads.replaceChildren();
    sweepResults.replaceChildren();
    // The cell now running: the pool's callbacks update its rows.
    let cell!: ReturnType<typeof startCell>;
    let redraw = Promise.resolve();
    const pool = new WatchedPool(browserWorkers(size, new URL('./worker.js', import.meta.url)), {
      start: (t) => {
        if (id !== generation) return;
        const row = cell.rows.get(rowKey(t))!;
        row.bar.removeAttribute('value'); // indeterminate while it runs
        row.text.textContent = 'running';
      },
      done: (t, result) => {
        if (id !== generation) return;
        const row = cell.rows.get(rowKey(t))!;
        row.bar.value = 1;
        if (t.measure) {
          row.text.textContent = 'measured';
          return;
        }
        cell.done.push(result as SeedResult);
        cell.seeds.push(t.seed);
        cell.overall.value = cell.done.length;
        const partial = partialResults(cell.config, cell.done, cell.seeds, cell.started);
        row.text.textContent = `done: α = ${partial.fit.perSeed.at(-1)?.exponent.toFixed(3) ?? 'n/a'}`;
        redraw = redraw.then(() => drawResults(partial, false, id));
      },
    });
    let cancel!: () => void;
    const stopped = new Promise<never>((_, reject) => (cancel = () => reject(new Cancelled())));
    stopped.catch(() => {});
    // Comlink has no cancel: terminating the workers is the stop; the run's promise is left behind.
    active = {
      cancel: () => {
        void pool.close();
        cancel();
      },
    };
    runButton.disabled = true;
    cancelButton.disabled = false;
    const sweepRows: { value: unknown; results: RunResults }[] = [];
    try {
      for (const [c, { value, config }] of cells.entries()) {
        const name = swept ? `cell ${c + 1} of ${cells.length}: ${sweepPath.value} = ${JSON.stringify(value)}` : '';
        cell = startCell(config, name);
        setState('running', `Running ${swept ? `${name}, ` : ''}${config.seeds} seeds on ${size} workers…`);
        const finished = await Promise.race([
          runExperiment(config, {
            pool,
            onProgress: (n, total, unit) => {
              if (unit === 'steps' && id === generation) status.textContent = `Training students: ${n} of ${total} steps`;
            },
          }),
          stopped,
        ]);
        await redraw;
        cell.final = finished;
        await showResults(finished);
        if (swept) {
          sweepRows.push({ value, results: finished });
          await drawSweep(sweepPath.value, sweepRows, id);
        }
      }
      const last = sweepRows.at(-1)?.results;
      if (swept && last) {
        setState('done', `Sweep done: ${sweepRows.length} cells; exponents ${sweepRows.map((r) => r.results.fit.exponent.median.toFixed(3)).join(', ')}.`);
        const record = { path: sweepPath.value, cells: sweepRows.map((r) => ({ value: r.value, results: r.results })) };
        sweepResults.append(h('p', {}, 'Download the sweep: ', downloadLink('sweep.json', `${JSON.stringify(record, null, 2)}\n`, 'application/json')));
      } else {
        const finished = cell.final!;
        setState('done', `Done in ${finished.timing.seconds.toFixed(1)} s: exponent ${finished.fit.exponent.median.toFixed(3)} against theory ${finished.theory.exponent.toFixed(3)}.`);
        void showProjection(cells[0]!.config, id);
      }
    } catch (error) {
      if (error instanceof Cancelled) setState('cancelled', `Cancelled: ${size} workers stopped after ${cell.done.length} of ${cell.config.seeds} seeds${swept ? ` of ${cell.name}` : ''}.`);
      else setState('error', `The run failed: ${(error as Error).message}`);
    } finally {
      await pool.close();
      active = undefined;
      cancelButton.disabled = true;
      refresh('load');
    }
  }

  /** Progress rows for one experiment (one cell of a sweep): a bar per seed, and one for the dimension measurement. */
  function startCell(config: Config, name: string) {
    const rows = new Map<string, { bar: HTMLProgressElement; text: HTMLElement }>();
    const overall = h('progress', { id: 'progress-all', max: String(config.seeds), value: '0' });
    progress.replaceChildren(...(name ? [h('p', { class: 'cell' }, name)] : []), h('p', {}, h('label', { for: 'progress-all' }, 'seeds done '), overall));
    const table = h('ul', { class: 'seeds' });
    const tasks: Task[] = [...(config.measure.points > 0 ? [{ seed: config.seed, measure: true }] : []), ...seedsOf(config).map((seed) => ({ seed, measure: false }))];
    for (const t of tasks) {
      const bar = h('progress', { max: '1', value: '0', id: `progress-${rowKey(t)}` });
      const text = h('span', {}, 'queued');
      rows.set(rowKey(t), { bar, text });
      table.append(h('li', { 'data-task': rowKey(t) }, h('span', { class: 'name' }, t.measure ? `dimension (seed ${t.seed})` : `seed ${t.seed}`), bar, text));
    }
    progress.append(table);
    return { config, name, rows, overall, done: [] as SeedResult[], seeds: [] as number[], started: performance.now(), final: undefined as RunResults | undefined };
  }

  async function drawSweep(path: string, rows: { value: unknown; results: RunResults }[], id: number) {
    const html = await (await lab.plots()).sweepHtml(path, rows);
    if (id === generation) sweepResults.innerHTML = html;
  }

  async function drawResults(partial: RunResults, final: boolean, id?: number) {
    const plots = await lab.plots();
    const html = await plots.resultsHtml(partial, final);
    if (id === undefined || id === generation) results.innerHTML = html;
  }

  async function showResults(finished: RunResults) {
    await drawResults(finished, true);
    const plots = await lab.plots();
    const config = finished.config as Config;
    const record = { ...config, percolab: { version: finished.percolab, seeds: finished.seeds } };
    downloads.replaceChildren(
      'Download: ',
      downloadLink('results.json', `${JSON.stringify(finished, null, 2)}\n`, 'application/json'), ' · ',
      downloadLink('config.json', `${JSON.stringify(record, null, 2)}\n`, 'application/json'), ' · ',
      downloadLink('report.html', await plots.renderReport(finished), 'text/html'), ' · ',
      lazyDownloadLink(`data-seed-${finished.seeds[0]}.npy`, 'application/octet-stream', () => lab.worker.dataNpy(config, finished.seeds[0]!), (m) => setState('error', m)),
    );
    document.body.dataset.results = 'shown';
  }

  async function showProjection(config: Config, id: number) {
    projection.replaceChildren(h('p', { class: 'note' }, 'Projecting the data on its principal axes…'));
    try {
      const plots = await lab.plots();
      const p = await lab.worker.project(config, config.seed, 3000);
      const svg = await plots.projectionSvg(p);
      if (id !== generation) return;
      projection.innerHTML = `<h3>The data, projected (PCA)</h3><p class="note">${p.rows} points of seed ${config.seed}'s data on its first three principal axes, coloured by the teacher's label.</p><figure class="plot" id="pca-plot">${svg}</figure>`;
      const grid = await lab.worker.slice(config, config.seed, 64);
      const sliceSvg = await plots.sliceSvg(grid, `${config.teacher.kind} teacher, seed ${config.seed}: slice (x${grid.axes[0]}, x${grid.axes[1]}) through point ${grid.row}`);
      if (id !== generation) return;
      projection.insertAdjacentHTML('beforeend', `<h3>The teacher on a slice</h3><p class="note">Coordinates x${grid.axes[0]} and x${grid.axes[1]} over the data's 1st–99th percentiles, the others fixed at the data point nearest the mean (as <code>percolab teacher --slice ${grid.axes.join(',')}</code> draws it).</p><figure class="plot" id="slice-plot">${sliceSvg}</figure>`);
    } catch (error) {
      if (id === generation) projection.replaceChildren(h('p', { class: 'error' }, `No projection: ${(error as Error).message}`));
    }
  }

  runButton.addEventListener('click', () => void run());
  cancelButton.addEventListener('click', () => {
    if (!active) return;
    generation++;
    active.cancel();
  });

  experimentTool.load = load;
  experimentTool.showResults = async (r) => {
    lab.show('experiment');
    progress.replaceChildren();
    projection.replaceChildren();
    await showResults(r);
    setState('done', `Showing a saved run (percolab ${r.percolab}, ${r.seeds.length} seeds): exponent ${r.fit.exponent.median.toFixed(3)} against theory ${r.theory.exponent.toFixed(3)}.`);
  };

  const link = configFromQuery(location.search);
  if (link.sweep) {
    sweepPath.value = link.sweep.path;
    sweepValues.value = link.sweep.values;
  }
  load(link.input ?? {});
  if (link.error) general.append(h('li', {}, link.error));
  // A key the form cannot sweep leaves the select on "no sweep": say so rather than run one experiment.
  const unknownSweep = link.sweep && sweepPath.value !== link.sweep.path;
  if (unknownSweep) general.append(h('li', {}, `the link's sweep key ${link.sweep!.path} is not one the lab sweeps; the sweep was left out`));
  setState('idle', 'Set up an experiment and press Run.');
  if (link.run) {
    const ready = validate(input, fields).config && !currentPlan().error;
    if (unknownSweep) setState('idle', 'The link asked to run a sweep the lab cannot set up (see above); nothing was run.');
    else if (ready) void run();
    else setState('idle', 'The link asked to run, but its config or sweep has problems (marked above); fix them and press Run.');
  }
}

/** What the finished seeds give so far: their losses, their fit, and the theory. */
function partialResults(config: Config, done: SeedResult[], seeds: number[], started: number): RunResults {
  const points = done.flatMap((r) => r.losses);
  return {
    percolab: version,
    config,
    seeds: [...seeds],
    points,
    fit: fitScaling(points, seeds, config.fit.window),
    teachers: [],
    theory: theoryFor(config),
    timing: { seconds: (performance.now() - started) / 1000 },
  };
}
