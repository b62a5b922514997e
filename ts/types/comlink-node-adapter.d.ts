// comlink ships the Node adapter's types beside an `.mjs` file that TypeScript does not pair with them.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import nodeEndpoint from 'comlink/dist/esm/node-adapter';
  export default nodeEndpoint;
}
