// Pictures of a teacher on a 2-D slice through the data: axes i and j vary over the data's range, the
// other coordinates stay at one data point. Rendered as an SVG (heatmap as an embedded PNG, axes, colour
// bar) so it needs no browser; the CLI turns it into a PNG with resvg when asked.
import { crc32, deflateSync } from 'node:zlib';
import type { SliceGrid } from './slice-grid.js';

export { axisRange, centralRow, slicePoints, type SliceGrid } from './slice-grid.js';

// Viridis at 9 stops (matplotlib's values), interpolated linearly.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];
const rgb = (hex: string) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
function colour(t: number): number[] {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const [a, b] = [rgb(VIRIDIS[k]!), rgb(VIRIDIS[k + 1]!)];
  return a.map((v, c) => Math.round(v + (b[c]! - v) * (x - k)));
}

/** A minimal RGB PNG (8 bits per channel, filter 0 rows, zlib-deflated). */
function encodePng(width: number, height: number, rgbRows: (y: number) => Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgbRows(y), y * (width * 3 + 1) + 1);
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const niceTicks = ([lo, hi]: [number, number], count = 5): number[] => {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
};
const label = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

/** The heatmap as an SVG document with axes, a colour bar and a title. */
export function sliceSvg(grid: SliceGrid, title: string): string {
  const { resolution: n, values, range } = grid;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (!(hi > lo)) hi = lo + 1;
  const png = encodePng(n, n, (y) => {
    const row = new Uint8Array(n * 3);
    const src = (n - 1 - y) * n; // image rows run downwards, axis j upwards
    for (let x = 0; x < n; x++) row.set(colour((values[src + x]! - lo) / (hi - lo)), 3 * x);
    return row;
  });
  const [left, top, size, bar] = [70, 40, 480, 20];
  const width = left + size + 140;
  const height = top + size + 60;
  const sx = (v: number) => left + ((v - range.i[0]) / (range.i[1] - range.i[0])) * size;
  const sy = (v: number) => top + size - ((v - range.j[0]) / (range.j[1] - range.j[0])) * size;
  const bx = left + size + 30;
  const by = (v: number) => top + size - ((v - lo) / (hi - lo)) * size;
  const stops = VIRIDIS.map((c, k) => `<stop offset="${k / (VIRIDIS.length - 1)}" stop-color="${c}"/>`).join('');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left + size / 2}" y="22" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<image x="${left}" y="${top}" width="${size}" height="${size}" preserveAspectRatio="none" style="image-rendering:pixelated" xlink:href="data:image/png;base64,${png.toString('base64')}"/>`,
    `<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="black"/>`,
    ...niceTicks(range.i).map((v) => `<line x1="${sx(v)}" x2="${sx(v)}" y1="${top + size}" y2="${top + size + 5}" stroke="black"/><text x="${sx(v)}" y="${top + size + 18}" text-anchor="middle">${label(v)}</text>`),
    ...niceTicks(range.j).map((v) => `<line x1="${left - 5}" x2="${left}" y1="${sy(v)}" y2="${sy(v)}" stroke="black"/><text x="${left - 8}" y="${sy(v) + 4}" text-anchor="end">${label(v)}</text>`),
    `<text x="${left + size / 2}" y="${top + size + 40}" text-anchor="middle">x${grid.axes[0]}</text>`,
    `<text transform="translate(20 ${top + size / 2}) rotate(-90)" text-anchor="middle">x${grid.axes[1]}</text>`,
    `<defs><linearGradient id="bar" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient></defs>`,
    `<rect x="${bx}" y="${top}" width="${bar}" height="${size}" fill="url(#bar)" stroke="black"/>`,
    ...niceTicks([lo, hi]).map((v) => `<line x1="${bx + bar}" x2="${bx + bar + 5}" y1="${by(v)}" y2="${by(v)}" stroke="black"/><text x="${bx + bar + 8}" y="${by(v) + 4}">${label(v)}</text>`),
    `<text transform="translate(${bx + bar + 62} ${top + size / 2}) rotate(90)" text-anchor="middle">teacher output</text>`,
    `</svg>`,
  ];
  return parts.join('\n');
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
