/**
 * Control transfers of the usbredir host: a control_packet becomes a WebUSB controlTransferIn/Out with the
 * setup packet spelled WebUSB's way, except CLEAR_FEATURE(ENDPOINT_HALT), which must reach the browser's USB
 * stack as clearHalt (a raw request leaves the endpoint halted there; usbredirhost uses libusb_clear_halt the
 * same way). Reserved request types and recipients, which WebUSB cannot express, are answered stall, as a
 * device would.
 */
import { StandardRequest } from '../descriptors.js';
import { type ControlPacketPacket, UsbredirStatus } from '../usbredir/index.js';
import { resultBytes, type UsbControlTransferParametersLike } from '../webusb-types.js';
import type { HostContext } from './context.js';
import { EMPTY, mapStatus } from './device-calls.js';

/**
 * Serves one control_packet. `clearedHalt(endpoint)` is told when a clear-halt for that endpoint goes out,
 * so leftover data read before it can be forgotten.
 */
export function handleControl(ctx: HostContext, p: ControlPacketPacket, clearedHalt: (endpoint: number) => void): void {
  const isIn = (p.endpoint & 0x80) !== 0;
  const reply = (status: number, data: Uint8Array, length: number) => ctx.send({ ...p, status, length: isIn ? data.byteLength : length, data: isIn ? data : EMPTY });
  if (!ctx.attached) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
  if ((p.endpoint & 0x7f) !== 0) return reply(UsbredirStatus.Inval, EMPTY, 0);
  ctx.touched();
  const pending = ctx.pending.track(p.id, p.endpoint, p.length, p.data.byteLength, reply);
  if (!pending) return reply(UsbredirStatus.Ioerror, EMPTY, 0);
  const answer = (status: number, data: Uint8Array = EMPTY, length = data.byteLength) => ctx.pending.answer(pending, status, data, length);

  if (p.requestType === 0x02 && p.request === StandardRequest.ClearFeature && p.value === 0 && p.data.byteLength === 0) {
    const ep = p.index & 0xff;
    clearedHalt(ep);
    ctx
      .io(() => ctx.device.clearHalt(ep & 0x80 ? 'in' : 'out', ep & 0x0f))
      .then(
        () => answer(UsbredirStatus.Success),
        (e) => answer(ctx.failure(e)),
      );
    return;
  }

  const kind = (p.requestType >> 5) & 3;
  const recipient = p.requestType & 0x1f;
  if (kind === 3 || recipient > 3) return answer(UsbredirStatus.Stall);
  const setup: UsbControlTransferParametersLike = {
    requestType: (['standard', 'class', 'vendor'] as const)[kind]!,
    recipient: (['device', 'interface', 'endpoint', 'other'] as const)[recipient]!,
    request: p.request,
    value: p.value,
    index: p.index,
  };
  if (isIn) {
    ctx
      .io(() => ctx.device.controlTransferIn(setup, p.length))
      .then(
        (r) => answer(mapStatus(r.status), resultBytes(r.data).slice(0, p.length)),
        (e) => answer(ctx.failure(e)),
      );
  } else {
    // No data stage: leave the argument out, as WebUSB callers normally do.
    const data = p.data.byteLength ? p.data.slice() : undefined;
    ctx
      .io(() => ctx.device.controlTransferOut(setup, data))
      .then(
        (r) => answer(mapStatus(r.status), EMPTY, r.bytesWritten),
        (e) => answer(ctx.failure(e)),
      );
  }
}
