export { lossCurveSvg, lossCurveSpec, MARK_NAMES } from './plot.js';
export { escapeHtml } from './escape.js';
export { renderReport } from './html.js';
