import { css } from 'lit';

export const styles = css`
  :host {
    display: inline-block;
    font: var(--spice-console-options-font, 13px system-ui, sans-serif);
    color: var(--spice-console-options-color, #222);
  }
  :host([inline]) {
    display: block;
  }
  [hidden] {
    display: none !important;
  }
  button,
  select,
  input {
    font: inherit;
  }
  button {
    cursor: pointer;
  }
  [part='toggle'],
  [part='close'] {
    padding: 3px 10px;
    border-radius: 4px;
    border: 1px solid rgba(0, 0, 0, 0.25);
    background: var(--spice-console-options-background, #f4f4f5);
    color: inherit;
  }
  [part='dialog'] {
    min-width: 320px;
    max-width: min(460px, 92vw);
    padding: 12px 16px;
    border-radius: 8px;
    border: 1px solid rgba(0, 0, 0, 0.2);
    background: var(--spice-console-options-background, #f4f4f5);
    color: inherit;
    box-shadow: 0 6px 24px rgba(0, 0, 0, 0.35);
  }
  [part='dialog']::backdrop {
    background: rgba(0, 0, 0, 0.3);
  }
  [part='title'] {
    margin: 0 0 8px;
    font-size: 1.15em;
  }
  [part='form'] {
    display: grid;
    gap: 10px;
  }
  fieldset {
    margin: 0;
    padding: 6px 10px 8px;
    border: 1px solid rgba(0, 0, 0, 0.15);
    border-radius: 6px;
  }
  fieldset fieldset {
    border: none;
    padding: 4px 0 0;
  }
  fieldset:disabled {
    opacity: 0.6;
  }
  legend {
    padding: 0 4px;
    font-weight: 600;
  }
  fieldset fieldset legend {
    padding: 0;
    font-weight: normal;
  }
  .choices {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
  }
  label {
    display: inline-flex;
    align-items: center;
    gap: 6px;
  }
  .field {
    display: grid;
    grid-template-columns: 9em 1fr;
    align-items: center;
    gap: 8px;
  }
  input:focus-visible,
  select:focus-visible,
  button:focus-visible {
    outline: 2px solid var(--spice-console-options-focus-ring, #2563eb);
    outline-offset: 2px;
  }
  [part='note'],
  [part='kept'] {
    margin: 4px 0 0;
    font-size: 0.9em;
    opacity: 0.85;
  }
  [part='kept'][data-kept='false'] {
    color: var(--spice-console-options-warning-color, #9a3412);
    opacity: 1;
  }
  [part='footer'] {
    display: flex;
    justify-content: flex-end;
    margin-top: 12px;
  }
`;
