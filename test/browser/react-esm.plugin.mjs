/**
 * web-test-runner plugin for the React wrapper's browser test: React ships CommonJS only, which the dev
 * server cannot serve to a browser. This bundles react and react-dom/client into ONE ES module with esbuild
 * (one copy of React for both) and serves `react` and `react-dom/client` as modules re-exporting its names.
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

const PREFIX = '/__react-esm/';
const SPECIFIERS = { react: 'react', 'react-dom/client': 'react-dom-client' };

export function reactEsmPlugin() {
  let bundle;
  const bundleText = async () => {
    bundle ??= build({
      stdin: {
        contents: "import * as React from 'react'; import * as ReactDOMClient from 'react-dom/client'; export { React, ReactDOMClient };",
        resolveDir: process.cwd(),
        loader: 'js',
      },
      bundle: true,
      format: 'esm',
      write: false,
      define: { 'process.env.NODE_ENV': '"development"' },
      logLevel: 'silent',
    }).then((r) => r.outputFiles[0].text);
    return bundle;
  };
  const facade = (binding, moduleId) => {
    // Read the export names in a separate Node: React's development build wraps `console`, which must not
    // happen to the test runner's own console.
    const keys = JSON.parse(execFileSync(process.execPath, ['-p', `JSON.stringify(Object.keys(require(${JSON.stringify(moduleId)})))`], { encoding: 'utf8' }));
    const names = keys.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
    return [`import { ${binding} as m } from '${PREFIX}bundle.js';`, 'export default m;', ...names.map((n) => `export const ${n} = m.${n};`)].join('\n');
  };
  return {
    name: 'react-esm',
    resolveImport({ source }) {
      if (Object.hasOwn(SPECIFIERS, source)) return `${PREFIX}${SPECIFIERS[source]}.js`;
      return undefined;
    },
    async serve(context) {
      if (!context.path.startsWith(PREFIX)) return undefined;
      const name = context.path.slice(PREFIX.length);
      if (name === 'bundle.js') return { body: await bundleText(), type: 'js' };
      if (name === 'react.js') return { body: facade('React', 'react'), type: 'js' };
      if (name === 'react-dom-client.js') return { body: facade('ReactDOMClient', 'react-dom/client'), type: 'js' };
      return undefined;
    },
  };
}
