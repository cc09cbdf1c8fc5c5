import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    background: var(--spice-console-background, #111);
    color: var(--spice-console-color, #ddd);
    font: var(--spice-console-font, 14px system-ui, sans-serif);
    /* Sized like a media element: without a height from the page, the console takes its container's width
       and the aspect of the guest's arranged monitors (4:3 before the first frame). */
    aspect-ratio: var(--spice-console-aspect, 4 / 3);
    overflow: hidden;
    outline: none;
  }
  /* The console has the keyboard: every key goes to the guest, so say so. */
  :host(:focus) {
    outline: 2px solid var(--spice-console-focus-ring, #3b82f6);
    outline-offset: -2px;
  }
  /* The host's box is the screen's room: fit and fill size the guest to it (give the element a height). */
  [part='base'] {
    position: absolute;
    inset: 0;
    display: flex;
    overflow: auto;
  }
  /* margin: auto centres the screen when smaller and keeps it scrollable from its edge when larger. */
  #screen {
    position: relative;
    flex: none;
    margin: auto;
    touch-action: none;
    user-select: none;
    -webkit-user-select: none;
  }
  canvas {
    display: block;
    image-rendering: pixelated;
  }
  [part='hint'] {
    position: absolute;
    top: 8px;
    left: 50%;
    transform: translateX(-50%);
    padding: 4px 10px;
    border-radius: 4px;
    background: rgba(0, 0, 0, 0.65);
    font-size: 0.85em;
    white-space: nowrap;
    pointer-events: none;
  }
  [part='cursor'] {
    position: absolute;
    pointer-events: none;
    image-rendering: pixelated;
  }
  [part='status'] {
    position: absolute;
    inset: auto 0 0 0;
    padding: 6px 10px;
    background: rgba(0, 0, 0, 0.65);
    font-size: 0.9em;
  }
  [part='status'][hidden] {
    display: none;
  }
  /* Page-provided controls (e.g. <spice-usb-menu slot="toolbar">) over the screen's top right corner. */
  [part='toolbar'] {
    position: absolute;
    top: 6px;
    right: 6px;
    display: flex;
    gap: 6px;
    align-items: flex-start;
  }
  [part='toolbar'][hidden] {
    display: none;
  }
  /* The live region: read by screen readers, not shown. */
  [part='announce'] {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  /* Kiosk mode: the disconnected message covers the middle of the screen. */
  [part='status'].kiosk {
    inset: 0;
    display: flex;
    flex-direction: column;
    gap: 16px;
    align-items: center;
    justify-content: center;
    background: rgba(0, 0, 0, 0.8);
    font-size: 1.4em;
    text-align: center;
  }
  [part='status'].kiosk[hidden] {
    display: none;
  }
  [part='kiosk-button'] {
    font: inherit;
    padding: 8px 20px;
    border-radius: 6px;
    border: 1px solid currentColor;
    background: #1e3a5f;
    color: inherit;
    cursor: pointer;
  }
  [part='kiosk-button']:focus-visible {
    outline: 3px solid var(--spice-console-focus-ring, #3b82f6);
  }
  /* Kiosk mode without a user gesture yet: one button in the middle asks for full screen. */
  .kiosk-prompt {
    position: absolute;
    inset: 0;
    display: flex;
    align-items: center;
    justify-content: center;
    background: rgba(0, 0, 0, 0.45);
  }
  .blank #screen {
    visibility: hidden;
  }
`;
