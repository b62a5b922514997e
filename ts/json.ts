// A type shared by modules that read JSON, in a module that imports nothing.

/** Any value JSON can hold (what `JSON.parse` returns). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
