import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    background: var(--spice-console-background, #111);
    color: var(--spice-console-color, #ddd);
    font: var(--spice-console-font, 14px system-ui, sans-serif);
    min-height: 120px;
    overflow: hidden;
  }
  [part='base'] {
    position: relative;
    width: 100%;
    height: 100%;
    display: flex;
    align-items: center;
    justify-content: center;
  }
  canvas {
    display: block;
    max-width: 100%;
    max-height: 100%;
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
`;
