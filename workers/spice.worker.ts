/**
 * The worker entry: builds the engine and exposes it to the page with comlink. Everything that touches
 * the network, the protocol or pixels runs behind this line.
 */
import { expose } from 'comlink';
import { Engine } from '../src/engine/engine.js';

expose(new Engine());
