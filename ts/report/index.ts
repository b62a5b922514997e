export { lossCurveSvg, lossCurveSpec, MARK_NAMES } from './plot.js';
export { renderReport, escapeHtml } from './html.js';
