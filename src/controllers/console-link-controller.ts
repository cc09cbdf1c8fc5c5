/**
 * ConsoleLinkController: how a companion element (`<spice-usb-menu>`, `<spice-console-options>`) finds the
 * console it works for — the element whose id its `for` names, else the `<spice-console>` around it — and
 * follows one event of that console. The event is listened for at the companion's root node, where it bubbles
 * (composed) out of the console's tree, so a console added to the page later is found when it first speaks.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface ConsoleLinkConfig<T extends HTMLElement> {
  /** The console event the companion follows, e.g. `spice-usb`. */
  event: string;
  /** Whether `el` is a console this companion can work with. */
  accepts(el: Element | null): el is T;
  /** The console was found again (or lost: null). */
  found(target: T | null): void;
  /** The followed event came from the linked console. */
  changed(e: CustomEvent): void;
}

type Companion = ReactiveControllerHost & HTMLElement & { for: string };

export class ConsoleLinkController<T extends HTMLElement> implements ReactiveController {
  /** The console, once found. */
  target: T | null = null;
  private listening: EventTarget | null = null;

  constructor(
    private readonly host: Companion,
    private readonly config: ConsoleLinkConfig<T>,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const root = this.host.getRootNode();
    this.listening = root;
    root.addEventListener(this.config.event, this.onEvent);
    this.resolve();
  }

  hostDisconnected(): void {
    this.listening?.removeEventListener(this.config.event, this.onEvent);
    this.listening = null;
    this.target = null;
  }

  /** Finds the console (by `for`, else the enclosing one). Call it when `for` changes. */
  resolve(): void {
    let found: Element | null;
    if (this.host.for) {
      const root = this.host.getRootNode() as Document | ShadowRoot;
      found = typeof root.getElementById === 'function' ? root.getElementById(this.host.for) : null;
    } else {
      found = this.host.closest('spice-console');
    }
    this.target = this.config.accepts(found) ? found : null;
    this.config.found(this.target);
  }

  private readonly onEvent = (e: Event): void => {
    const origin = e.composedPath()[0] as Element | undefined;
    if (!this.target && this.config.accepts(origin ?? null)) this.resolve();
    if (origin === this.target) this.config.changed(e as CustomEvent);
  };
}
