import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-block;
    position: relative;
    font: var(--spice-usb-menu-font, 13px system-ui, sans-serif);
    color: var(--spice-usb-menu-color, #222);
  }
  [hidden] {
    display: none !important;
  }
  button {
    font: inherit;
    cursor: pointer;
  }
  button:disabled {
    cursor: default;
  }
  [part='toggle'] {
    padding: 3px 10px;
    border-radius: 4px;
    border: 1px solid rgba(0, 0, 0, 0.25);
    background: var(--spice-usb-menu-background, #f4f4f5);
    color: inherit;
  }
  [part='toggle'][data-unavailable] {
    opacity: 0.6;
  }
  [part='panel'] {
    position: absolute;
    right: 0;
    top: calc(100% + 4px);
    z-index: 10;
    min-width: 300px;
    max-width: 440px;
    padding: 8px;
    border-radius: 6px;
    border: 1px solid rgba(0, 0, 0, 0.2);
    background: var(--spice-usb-menu-background, #f4f4f5);
    box-shadow: 0 4px 16px rgba(0, 0, 0, 0.3);
  }
  [part='list'] {
    list-style: none;
    margin: 0 0 8px;
    padding: 0;
  }
  [part='device'] {
    display: grid;
    grid-template-columns: 1fr auto;
    gap: 2px 8px;
    padding: 4px 0;
    border-bottom: 1px solid rgba(0, 0, 0, 0.08);
  }
  [part='device-state'] {
    grid-column: 1;
    font-size: 0.9em;
    opacity: 0.8;
  }
  [part='device'][data-state='refused'] [part='device-state'],
  [part='error'] {
    color: var(--spice-usb-menu-error-color, #b91c1c);
  }
  [part='device-action'] {
    grid-column: 2;
    grid-row: 1 / span 2;
    align-self: center;
  }
  [part='reason'],
  [part='empty'],
  [part='error'] {
    margin: 0 0 8px;
  }
  [part='notice'] {
    margin: 0 0 8px;
    padding: 8px;
    border-radius: 6px;
    background: var(--spice-usb-menu-notice-background, #fef3c7);
    color: var(--spice-usb-menu-notice-color, #78350f);
  }
  [part='notice'][data-floating] {
    position: absolute;
    right: 0;
    top: calc(100% + 4px);
    z-index: 11;
    width: 300px;
    margin: 0;
    box-shadow: 0 4px 16px rgba(0, 0, 0, 0.3);
  }
  [part='dismiss'] {
    display: block;
    margin-top: 6px;
    margin-left: auto;
  }
`;
