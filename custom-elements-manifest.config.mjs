/**
 * Custom-elements manifest (`npm run manifest`, also the last step of `npm run build`) →
 * dist/custom-elements.json, the package's `customElements`: elements, attributes, properties, events,
 * slots, CSS parts and properties, read from the element classes and their JSDoc (`@fires`, `@slot`,
 * `@csspart`, `@cssproperty`) by the analyzer's Lit support, plus three corrections for how our elements are
 * written (see the plugin below).
 */

import { readFileSync } from 'node:fs';

/**
 * Tag of each element class: the classes carry no decorator; src/register.ts lists them in `spiceElements`
 * (`'spice-console': SpiceConsole,` …), read here so the list is written once.
 */
const TAGS = Object.fromEntries(
  [...readFileSync(new URL('./src/register.ts', import.meta.url), 'utf8').matchAll(/^\s*'(spice-[a-z-]+)':\s*(\w+),/gm)].map(([, tag, name]) => [name, tag]),
);

/** `static properties = { name: { state: true } }` entries of a class: internal reactive state. */
function internalStateNames(ts, classNode) {
  const names = new Set();
  for (const member of classNode.members ?? []) {
    const isStatic = member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
    if (!isStatic || !ts.isPropertyDeclaration(member) || member.name?.getText() !== 'properties') continue;
    const init = member.initializer;
    if (!init || !ts.isObjectLiteralExpression(init)) continue;
    for (const prop of init.properties) {
      if (!ts.isPropertyAssignment(prop) || !ts.isObjectLiteralExpression(prop.initializer)) continue;
      const isState = prop.initializer.properties.some(
        (p) => ts.isPropertyAssignment(p) && p.name.getText() === 'state' && p.initializer.kind === ts.SyntaxKind.TrueKeyword,
      );
      if (isState) names.add(prop.name.getText());
    }
  }
  return names;
}

const spiceConsolePlugin = {
  name: 'spice-console-elements',
  analyzePhase({ ts, node, moduleDoc }) {
    if (!ts.isClassDeclaration(node) || !node.name) return;
    const decl = moduleDoc.declarations?.find((d) => d.name === node.name.getText());
    if (!decl) return;
    // 1. `state: true` properties are internal state, not attributes (the Lit plugin lists them as both).
    const state = internalStateNames(ts, node);
    decl.attributes = (decl.attributes ?? []).filter((a) => !state.has(a.fieldName ?? a.name));
    for (const member of decl.members ?? []) if (state.has(member.name)) member.privacy = 'private';
    // 2. Events are the documented ones (`@fires`); a `dispatchEvent(new CustomEvent(name, …))` with a
    //    variable name is picked up as an event called "name".
    decl.events = (decl.events ?? []).filter((e) => e.description);
  },
  packageLinkPhase({ customElementsManifest }) {
    // 3. Tag names and custom-element definitions from the registry calls.
    for (const mod of customElementsManifest.modules) {
      for (const decl of mod.declarations ?? []) {
        const tag = TAGS[decl.name];
        if (decl.kind !== 'class' || !tag) continue;
        decl.tagName = tag;
        decl.customElement = true;
        mod.exports = [...(mod.exports ?? []), { kind: 'custom-element-definition', name: tag, declaration: { name: decl.name, module: mod.path } }];
      }
    }
  },
};

export default {
  globs: ['src/elements/**/*.ts'],
  exclude: ['src/elements/**/*.styles.ts'],
  outdir: 'dist',
  litelement: true,
  dependencies: false,
  packagejson: false,
  plugins: [spiceConsolePlugin],
};
