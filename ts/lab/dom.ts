// Small DOM helpers for the lab page (no framework: the page is a handful of forms and figures).
import type { Remote } from 'comlink';
import type { LabApi } from './lab-api.js';

type Child = Node | string | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) el.setAttribute(name, '');
    else if (typeof value === 'string') el.setAttribute(name, value);
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

/** A link that downloads `bytes` as `name`; its text names the file. */
export function downloadLink(name: string, bytes: BlobPart, type: string): HTMLAnchorElement {
  return h('a', { href: URL.createObjectURL(new Blob([bytes], { type })), download: name, class: 'download' }, name);
}

/** A download link whose bytes are made on the first click (e.g. a large data file). */
export function lazyDownloadLink(name: string, type: string, make: () => Promise<Uint8Array | string>, onError: (message: string) => void): HTMLAnchorElement {
  const link = h('a', { href: '#', download: name, class: 'download' }, name);
  let ready = false;
  link.addEventListener('click', async (event) => {
    if (ready) return;
    event.preventDefault();
    link.classList.add('busy');
    try {
      link.href = URL.createObjectURL(new Blob([(await make()) as BlobPart], { type }));
      ready = true;
      link.click();
    } catch (error) {
      onError(`${name}: ${(error as Error).message}`);
    } finally {
      link.classList.remove('busy');
    }
  });
  return link;
}

/** What every tool of the page shares. */
export interface Lab {
  /** The page's own worker (threaded kernels where the page is cross-origin isolated). */
  worker: Remote<LabApi>;
  /** The plots and tables, loaded on first use. */
  plots(): Promise<typeof import('./plots.js')>;
  /** Brings a tool to the front. */
  show(id: string): void;
}

/** An entry of the page's menu. New tools (e.g. capacity, superposition) are one more entry in page.ts. */
export interface LabTool {
  id: string;
  title: string;
  mount(root: HTMLElement, lab: Lab): void;
  /** A dropped file this tool takes (the page asks each tool in menu order). */
  accepts?(file: File): boolean;
  open?(file: File): Promise<void>;
  /** Files dropped together that this tool takes as one input (e.g. points with their ids); asked first. */
  acceptsFiles?(files: File[]): boolean;
  openFiles?(files: File[]): Promise<void>;
}
