/**
 * The interfaces the host holds: claiming every interface of the current configuration (with the reason a
 * browser refuses, for the classes WebUSB keeps from web pages) and releasing them again.
 */
import { type ConfigurationDescriptor, currentAltSetting } from '../descriptors.js';
import type { UsbDeviceLike } from '../webusb-types.js';
import { errorMessage, hex, isDeviceLoss } from './device-calls.js';

/** Interface classes browsers refuse to let pages claim (WebUSB blocklist of protected classes). */
const PROTECTED_CLASSES: Record<number, string> = {
  0x01: 'audio',
  0x03: 'HID',
  0x08: 'mass storage',
  0x0b: 'smart card',
  0x0e: 'video',
  0x10: 'audio/video',
  0xe0: 'wireless controller',
};

/** Why claiming failed: the device is gone (`lost`) or an interface cannot be had. */
export type ClaimRefusal = { lost: true; error: unknown; reason: string } | { lost: false; reason: string };

export class ClaimedInterfaces {
  private readonly claimed = new Set<number>();

  constructor(private readonly device: UsbDeviceLike) {}

  /** Claims every interface of `config` (in its alt settings `alts`); the refusal when one cannot be. */
  async claimAll(config: ConfigurationDescriptor | undefined, alts: ReadonlyMap<number, number>): Promise<ClaimRefusal | undefined> {
    for (const group of config?.interfaces ?? []) {
      const n = group.bInterfaceNumber;
      if (this.claimed.has(n)) continue;
      try {
        await this.device.claimInterface(n);
        this.claimed.add(n);
      } catch (e) {
        if (isDeviceLoss(this.device, e)) return { lost: true, error: e, reason: 'the device was disconnected' };
        const cls = currentAltSetting(group, alts)?.bInterfaceClass ?? 0;
        const prot = PROTECTED_CLASSES[cls];
        return {
          lost: false,
          reason: `cannot claim interface ${n} (class ${hex(cls)}): ${errorMessage(e)}` + (prot ? ` (browsers do not let web pages use ${prot} interfaces)` : ''),
        };
      }
    }
    return undefined;
  }

  async releaseAll(): Promise<void> {
    for (const n of [...this.claimed]) {
      this.claimed.delete(n);
      try {
        await this.device.releaseInterface(n);
      } catch {
        // Released or gone either way.
      }
    }
  }
}
