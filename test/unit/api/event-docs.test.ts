/**
 * The element's events are written once (src/api/events.ts); its @fires JSDoc and the README events table
 * are generated from there and must not drift.
 */
import { describe, expect, it } from 'vitest';
import { generated, readEvents, renderReadme } from '../../../scripts/gen-event-docs.mjs';

describe('event docs', () => {
  it('should have the @fires JSDoc and the README events table as generated from src/api/events.ts', () => {
    for (const [path, current, next] of generated()) expect(current, `${path} is stale: run npm run gen:docs`).toBe(next);
  });

  it('should read every event with its description and the shape of its detail', () => {
    const events = readEvents();
    expect(events.map((e) => e.name)).toContain('spice-connected');
    expect(events.find((e) => e.name === 'spice-resize')!.detail).toBe('{ displayId, width, height }');
    expect(events.find((e) => e.name === 'spice-channels')!.detail).toBe('{ channels: [{ type, typeId, id, state, error? }] }');
    for (const e of events) expect(e.description.length, e.name).toBeGreaterThan(10);
  });

  it('should put a new event into the README table', () => {
    const readme = '# x\n<!-- events:begin -->\nold\n<!-- events:end -->\nrest\n';
    const out = renderReadme(readme, [{ name: 'spice-new', description: 'Something | happened.', detail: '{ a, b? }' }]);
    expect(out).toContain('| `spice-new` | Something \\| happened. `detail`: `{ a, b? }`. |');
    expect(out).not.toContain('old');
    expect(out.endsWith('<!-- events:end -->\nrest\n')).toBe(true);
  });
});
