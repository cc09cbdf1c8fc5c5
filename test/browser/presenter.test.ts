/**
 * The Presenter (src/engine/presenter.ts) on a real OffscreenCanvas: nothing is shown before MARK, one
 * putImageData per animation frame shows the changed area, and its figures: the first frame's time and, per
 * change, the delay from the arrival stamp it was given to the frame that showed it.
 */
import { Surface } from '../../src/display/surface.js';
import { Presenter } from '../../src/engine/presenter.js';
import { Ropd, SurfaceFmt } from '../../src/protocol/constants.js';
import { assert, assertEqual } from './assert.js';

const nextFrame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

describe('Presenter', () => {
  it('should show frames only after MARK and measure arrival-to-canvas delays', async () => {
    const canvas = new OffscreenCanvas(1, 1);
    const presenter = new Presenter(canvas);
    const surface = new Surface(0, 64, 32, SurfaceFmt.Fmt32Xrgb);
    presenter.setPrimary(surface);
    assertEqual([canvas.width, canvas.height], [64, 32], 'the canvas takes the surface size');

    const paint = (color: number, arrival: number): void => {
      surface.fill({ left: 0, top: 0, right: 64, bottom: 32 }, null, { kind: 'solid', color }, Ropd.OpPut, null);
      presenter.schedule(arrival);
    };
    paint(0xff0000ff, performance.now());
    await nextFrame();
    assertEqual(presenter.stats().frames, 0, 'nothing is shown before MARK');
    assertEqual(presenter.stats().firstFrameAt, null, 'no first frame before MARK');

    const beforeMark = performance.timeOrigin + performance.now();
    presenter.mark();
    await nextFrame();
    let stats = presenter.stats();
    assertEqual(stats.frames, 1, 'MARK shows the surface in the next frame');
    assert(stats.firstFrameAt !== null && stats.firstFrameAt >= beforeMark, 'the first frame is stamped on the epoch clock');
    // the change stamped before MARK waited for it: its delay covers the frame it waited
    assertEqual(stats.latencies.length, 1, 'one change, one delay');
    assertEqual(stats.latencyTotal, 1, 'the running total counts it');

    // two changes with distinct stamps 30 ms apart land in one frame: the older one waited 30 ms longer
    const t = performance.now();
    paint(0xff00ff00, t - 30);
    paint(0xffff0000, t);
    await nextFrame();
    stats = presenter.stats();
    assertEqual(stats.frames, 2, 'both changes share one frame');
    assertEqual(stats.latencyTotal, 3, 'each change gets a delay');
    const [older, newer] = stats.latencies.slice(-2) as [number, number];
    assert(Math.abs(older - newer - 30) < 0.5, `the older change waited 30 ms more (${older} vs ${newer})`);
    assert(newer >= 0 && newer < 1000, `the delay is the time to the frame (${newer} ms)`);

    const pixel = new OffscreenCanvas(1, 1).getContext('2d')!;
    pixel.drawImage(canvas, 5, 5, 1, 1, 0, 0, 1, 1);
    const [r, g, b] = pixel.getImageData(0, 0, 1, 1).data;
    assertEqual([r, g, b], [0, 0, 255], 'the canvas shows the last fill (ABGR word 0xffff0000 is blue)');
  });
});
