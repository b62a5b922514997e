// The page every HTML report is drawn in: one stylesheet, inline, nothing fetched at view time.
import { escapeHtml } from './escape.js';

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1b1f24;
  max-width: 960px; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #e3e6ea; padding-bottom: 0.2rem; }
.headline { font-size: 1.05rem; background: #f3f6f9; border-left: 4px solid #1d3557; padding: 0.6rem 0.9rem; }
.plot svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #e3e6ea; text-align: right; }
thead th { border-bottom: 2px solid #c9ced4; }
tbody th { text-align: left; font-weight: 500; }
tr.summary { font-weight: 600; background: #f3f6f9; }
tr.in-window { background: #fdf3ea; }
td.median { font-weight: 600; }
.note { color: #5b6470; font-size: 0.85rem; }
pre { background: #f6f8fa; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; border-radius: 4px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dt { color: #5b6470; }
dd { margin: 0; }
`;

/** A self-contained HTML5 page around `body`: inline CSS, nothing fetched at view time. */
export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}</body>
</html>
`;
}
