/**
 * The custom-elements manifest (dist/custom-elements.json, written by `npm run manifest`, which runs before
 * `npm run test:browser`) against the live elements: every element defineSpiceElements registers is in it
 * under its tag, with every attribute the class observes and every event of its event map (the React
 * wrapper's event props, which the compiler holds to the whole map).
 */
import { defineSpiceElements } from '../../src/register.js';
import { SPICE_CONSOLE_EVENT_PROPS } from '../../src/react/index.js';
import { assert, assertEqual } from './assert.js';

interface ManifestDecl {
  kind: string;
  name: string;
  tagName?: string;
  customElement?: boolean;
  attributes?: { name: string }[];
  events?: { name: string; description?: string }[];
}
interface Manifest {
  schemaVersion: string;
  modules: { path: string; declarations?: ManifestDecl[]; exports?: { kind: string; name: string }[] }[];
}

/** Every element defineSpiceElements registers, found by handing it a recording registry. */
function registeredElements(): Map<string, CustomElementConstructor> {
  const seen = new Map<string, CustomElementConstructor>();
  const recorder = {
    get: (name: string) => seen.get(name),
    define: (name: string, ctor: CustomElementConstructor) => void seen.set(name, ctor),
  } as unknown as CustomElementRegistry;
  defineSpiceElements(recorder);
  return seen;
}

async function manifest(): Promise<Manifest> {
  const res = await fetch('/dist/custom-elements.json', { cache: 'no-store' });
  assert(res.ok, `dist/custom-elements.json: HTTP ${res.status} (run npm run manifest)`);
  return (await res.json()) as Manifest;
}

function elementsOf(m: Manifest): Map<string, ManifestDecl> {
  const byTag = new Map<string, ManifestDecl>();
  for (const mod of m.modules) for (const d of mod.declarations ?? []) if (d.customElement && d.tagName) byTag.set(d.tagName, d);
  return byTag;
}

describe('custom-elements manifest', () => {
  it('should list every registered element under its tag, with a custom-element definition', async () => {
    const m = await manifest();
    const byTag = elementsOf(m);
    const registered = registeredElements();
    assert(registered.size >= 2, 'defineSpiceElements registers the elements');
    for (const [tag, ctor] of registered) {
      const decl = byTag.get(tag);
      assert(decl, `${tag} is in the manifest`);
      assertEqual(decl.name, ctor.name, `${tag} class name`);
      const definitions = m.modules.flatMap((mod) => mod.exports ?? []).filter((e) => e.kind === 'custom-element-definition');
      assert(
        definitions.some((e) => e.name === tag),
        `${tag} has a custom-element-definition export`,
      );
    }
    assertEqual([...byTag.keys()].sort(), [...registered.keys()].sort(), 'no element in the manifest that is not registered');
  });

  it('should list exactly the attributes each element observes', async () => {
    const byTag = elementsOf(await manifest());
    for (const [tag, ctor] of registeredElements()) {
      const observed = [...((ctor as unknown as { observedAttributes: string[] }).observedAttributes ?? [])].sort();
      const listed = (byTag.get(tag)!.attributes ?? []).map((a) => a.name).sort();
      assert(observed.length > 0, `${tag} observes attributes`);
      assertEqual(listed, observed, `${tag} attributes`);
    }
  });

  it('should list every spice-console event with a description', async () => {
    const decl = elementsOf(await manifest()).get('spice-console')!;
    const expected = Object.values(SPICE_CONSOLE_EVENT_PROPS).sort();
    const listed = (decl.events ?? []).map((e) => e.name).sort();
    assertEqual(listed, expected, 'spice-console events');
    for (const e of decl.events ?? []) assert(e.description && e.description.length > 10, `${e.name} is described`);
  });
});
