declare const __PERCOLAB_VERSION__: string | undefined;

/** Library version, injected at bundle time from package.json. */
export const version: string = typeof __PERCOLAB_VERSION__ === 'string' ? __PERCOLAB_VERSION__ : '0.0.0-dev';
