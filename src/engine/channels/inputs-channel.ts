/**
 * InputsChannel: the session's keyboard and mouse (channel type 3). The page sends plain `InputEvent`s;
 * this channel decides what goes on the wire: KEY_DOWN/KEY_UP with packed scan codes, one KEY_SCANCODE
 * per `sendKeys` combo (the guest gets it whole, so a network stall cannot auto-repeat a held key),
 * KEY_MODIFIERS to bring the guest's lock keys in line with the page's, MOUSE_POSITION (client mode) or
 * MOUSE_MOTION (server mode) held back by the motion-ack throttle, and MOUSE_PRESS/RELEASE. It remembers
 * which keys and buttons it pressed, so `releaseAll` (focus lost, page hidden) leaves nothing stuck in the
 * guest. The guest's lock state (INIT, KEY_MODIFIERS) goes back to the page as `keyboard-locks` events.
 */
import type { InputEvent, KeyboardLocks, PointerButton } from '../../api/input.js';
import { InputsCap, InputsMsg, InputsMsgc, MouseButton, parseInputsInit, parseKeyModifiers, writeKeyModifiers, type InputsMessage } from '../../protocol/inputs.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { KeyboardState, LockSync, atomicStepsMessage, isScancode, keyMessage, keySequence } from '../../input/keys.js';
import { MotionThrottle, pointerMessage, type PointerMessage } from '../../input/motion.js';
import { ChannelType } from '../../protocol/constants.js';
import { Channel } from '../channel.js';
import { motionAcked, motionSent } from '../session-stats.js';
import type { ChannelContext } from '../channel-context.js';

const BUTTONS: Record<PointerButton, MouseButton> = {
  left: MouseButton.Left,
  middle: MouseButton.Middle,
  right: MouseButton.Right,
  side: MouseButton.Side,
  extra: MouseButton.Extra,
};

export class InputsChannel extends Channel {
  private readonly keyboard = new KeyboardState();
  private readonly lockSync = new LockSync();
  private readonly pointer = new MotionThrottle();

  constructor(ctx: ChannelContext, id: number) {
    super(ctx, ChannelType.Inputs, id);
  }

  protected channelCaps(): number[] {
    return [InputsCap.KeyScancode];
  }

  protected handleMessage(type: number, body: Uint8Array): void {
    switch (type) {
      case InputsMsg.Init:
        return this.guestLocks(this.lockSync.fromGuest(parseInputsInit(new Reader(body)).modifiers));
      case InputsMsg.KeyModifiers:
        return this.guestLocks(this.lockSync.fromGuest(parseKeyModifiers(new Reader(body)).modifiers));
      case InputsMsg.MouseMotionAck:
        motionAcked(this.pointer.ackBunch);
        return this.sendPointer(this.pointer.ack());
      default:
        return this.logUnknown(type, body);
    }
  }

  /** Sends a batch of page input in order. Ignored until linked; malformed entries are skipped. */
  input(batch: readonly InputEvent[]): void {
    if (!this.linked) return;
    for (const event of batch) {
      switch (event?.type) {
        case 'key':
          this.key(event.scancode, event.down);
          break;
        case 'locks': {
          const modifiers = this.lockSync.fromLocal(event.locks);
          if (modifiers !== null) this.send(InputsMsgc.KeyModifiers, writeKeyModifiers(new Writer(2), modifiers).finish());
          break;
        }
        case 'position':
          if (Number.isInteger(event.displayId) && event.displayId >= 0 && event.displayId <= 255) {
            this.sendPointer(this.pointer.position(event.x, event.y, event.displayId));
          }
          break;
        case 'motion':
          this.sendPointer(this.pointer.motion(event.dx, event.dy));
          break;
        case 'button': {
          const button = BUTTONS[event.button];
          if (button === undefined) break;
          this.sendPointer(event.down ? this.pointer.press(button) : this.pointer.release(button));
          break;
        }
        case 'wheel':
          this.sendPointer(this.pointer.wheel(event.notches));
          break;
        default:
          break;
      }
    }
  }

  /**
   * Presses the keys (KeyboardEvent.code names) in order and releases them in reverse, e.g.
   * ['ControlLeft', 'AltLeft', 'Delete']. Throws RangeError for a code without a scan code, before sending.
   */
  sendKeys(codes: readonly string[]): void {
    const steps = keySequence(codes);
    if (!this.linked || steps.length === 0) return;
    // The combo leaves its keys released in the guest, even one the user is holding: so do our books.
    for (const step of steps) if (step.type === 'up') this.keyboard.release(step.scancode);
    const atomic = this.hasServerCap(InputsCap.KeyScancode) ? atomicStepsMessage(steps) : null;
    if (atomic) this.sendMessage(atomic);
    else for (const step of steps) this.sendMessage(keyMessage(step.scancode, step.type === 'down'));
  }

  /** Releases every key and button this channel holds down in the guest. */
  releaseAll(): void {
    if (!this.linked) return;
    for (const step of this.keyboard.releaseAll()) this.sendMessage(keyMessage(step.scancode, false));
    this.sendPointer(this.pointer.releaseAll());
  }

  /** Scan codes held down, in press order (diagnostics and tests). */
  heldKeys(): number[] {
    return this.keyboard.pressed();
  }

  protected override onClosed(): void {
    this.keyboard.releaseAll();
    this.pointer.reset();
  }

  /** The guest's lock keys, from INIT and every KEY_MODIFIERS, go to the page. */
  private guestLocks(locks: KeyboardLocks): void {
    this.ctx.emit({ type: 'keyboard-locks', locks });
  }

  private key(scancode: number, down: boolean): void {
    if (!isScancode(scancode)) return; // the page sent something else: nothing to do
    if (down)
      this.keyboard.press(scancode); // an auto-repeat is sent again: guests rely on typematic repeat
    else if (!this.keyboard.release(scancode)) return; // never pressed here (e.g. pressed before focus)
    this.sendMessage(keyMessage(scancode, down));
  }

  private sendPointer(messages: PointerMessage[]): void {
    for (const m of messages) {
      if (m.type === 'motion' || m.type === 'position') motionSent();
      this.sendMessage(pointerMessage(m));
    }
  }

  private sendMessage(message: InputsMessage): void {
    this.send(message.type, message.body);
  }
}
