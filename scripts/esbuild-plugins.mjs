// esbuild plugins shared by every bundle (scripts/build.mjs, scripts/build-edge.mjs).

/**
 * zod's `z.locales` namespace re-exports its 40-odd message locales (about 360 KB); percolab uses only
 * the English messages, which zod's schemas import directly. The namespace keeps `en` alone.
 */
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir) ? { path: 'zod-locales', namespace: 'zod-english-only', pluginData: args.resolveDir } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: 'export { default as en } from "../locales/en.js";',
      resolveDir: args.pluginData,
    }));
  },
};
