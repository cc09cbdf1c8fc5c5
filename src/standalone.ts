/**
 * Entry of the self-contained build (dist/standalone/spice-console.standalone.js): everything `spice-console`
 * exports, with lit and comlink inside and the engine worker beside it, and the elements registered, for
 * pages without a bundler: `<script type="module" src=".../spice-console.standalone.js">`.
 */
import './define.js';

export * from './index.js';
