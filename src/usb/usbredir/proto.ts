/**
 * usbredir protocol constants, transcribed from usbredirproto.h and usbredirfilter.h of usbredir 0.13.0
 * (Debian libusbredirparser-dev 0.13.0-2, /usr/include). Names follow the header with the `usb_redir_`
 * prefix dropped and the rest in PascalCase, so `usb_redir_cap_64bits_ids` is `UsbredirCap.Ids64bits`...
 * except where a name would start with a digit; the header name is kept in a comment next to each value.
 * test/unit/usb/usbredir-proto.test.ts compares every value with the installed header when it is there.
 */

/** USBREDIR_VERSION of the header these constants come from (0.7.1 in its own notation). */
export const USBREDIR_VERSION = 0x000701;

/** Number of u32 words in a capability array (USB_REDIR_CAPS_SIZE). */
export const USB_REDIR_CAPS_SIZE = 1;

/** Transfer status codes (`usb_redir_success` ...). Any other value means "error". */
export const UsbredirStatus = {
  Success: 0,
  Cancelled: 1,
  Inval: 2,
  Ioerror: 3,
  Stall: 4,
  Timeout: 5,
  Babble: 6,
} as const;
export type UsbredirStatus = (typeof UsbredirStatus)[keyof typeof UsbredirStatus];

/** Endpoint types (`usb_redir_type_*`); the first four equal bmAttributes & 3 of an endpoint descriptor. */
export const UsbredirEpType = {
  Control: 0,
  Iso: 1,
  Bulk: 2,
  Interrupt: 3,
  Invalid: 255,
} as const;
export type UsbredirEpType = (typeof UsbredirEpType)[keyof typeof UsbredirEpType];

/** Device speeds (`usb_redir_speed_*`). */
export const UsbredirSpeed = {
  Low: 0,
  Full: 1,
  High: 2,
  Super: 3,
  Unknown: 255,
} as const;
export type UsbredirSpeed = (typeof UsbredirSpeed)[keyof typeof UsbredirSpeed];

/** Packet types (`usb_redir_hello` ... `usb_redir_buffered_bulk_packet`). */
export const UsbredirType = {
  Hello: 0,
  DeviceConnect: 1,
  DeviceDisconnect: 2,
  Reset: 3,
  InterfaceInfo: 4,
  EpInfo: 5,
  SetConfiguration: 6,
  GetConfiguration: 7,
  ConfigurationStatus: 8,
  SetAltSetting: 9,
  GetAltSetting: 10,
  AltSettingStatus: 11,
  StartIsoStream: 12,
  StopIsoStream: 13,
  IsoStreamStatus: 14,
  StartInterruptReceiving: 15,
  StopInterruptReceiving: 16,
  InterruptReceivingStatus: 17,
  AllocBulkStreams: 18,
  FreeBulkStreams: 19,
  BulkStreamsStatus: 20,
  CancelDataPacket: 21,
  FilterReject: 22,
  FilterFilter: 23,
  DeviceDisconnectAck: 24,
  StartBulkReceiving: 25,
  StopBulkReceiving: 26,
  BulkReceivingStatus: 27,
  /* Data packets */
  ControlPacket: 100,
  BulkPacket: 101,
  IsoPacket: 102,
  InterruptPacket: 103,
  BufferedBulkPacket: 104,
} as const;
export type UsbredirType = (typeof UsbredirType)[keyof typeof UsbredirType];

/** Capability bit indexes in caps word 0 (`usb_redir_cap_*`). */
export const UsbredirCap = {
  /** usb_redir_cap_bulk_streams: USB 3 bulk streams. */
  BulkStreams: 0,
  /** usb_redir_cap_connect_device_version: device_connect carries device_version_bcd. */
  ConnectDeviceVersion: 1,
  /** usb_redir_cap_filter: filter_reject and filter_filter packets. */
  Filter: 2,
  /** usb_redir_cap_device_disconnect_ack. */
  DeviceDisconnectAck: 3,
  /** usb_redir_cap_ep_info_max_packet_size: ep_info carries max_packet_size. */
  EpInfoMaxPacketSize: 4,
  /** usb_redir_cap_64bits_ids: 64-bit ids in the packet header. */
  Ids64bits: 5,
  /** usb_redir_cap_32bits_bulk_length: bulk_packet carries length_high. */
  BulkLength32bits: 6,
  /** usb_redir_cap_bulk_receiving: start/stop_bulk_receiving and buffered_bulk_packet. */
  BulkReceiving: 7,
} as const;
export type UsbredirCap = (typeof UsbredirCap)[keyof typeof UsbredirCap];

/** Flags of usbredirfilter_check (`usbredirfilter_fl_*`). */
export const UsbredirFilterFlag = {
  DefaultAllow: 0x01,
  DontSkipNonBootHid: 0x02,
} as const;
export type UsbredirFilterFlag = (typeof UsbredirFilterFlag)[keyof typeof UsbredirFilterFlag];

/** Upper limit on one bulk transfer that usbredirparser enforces (MAX_BULK_TRANSFER_SIZE, 128 MiB). */
export const USBREDIR_MAX_BULK_TRANSFER_SIZE = 128 * 1024 * 1024;

/** Endpoint address (0x00..0x8f) → index 0..31 into ep_info arrays: OUT eps 0..15, IN eps 16..31 (EP2I). */
export function epToIndex(address: number): number {
  return ((address & 0x80) >> 3) | (address & 0x0f);
}

/** Index 0..31 → endpoint address (I2EP). */
export function indexToEp(index: number): number {
  return ((index & 0x10) << 3) | (index & 0x0f);
}

/** Packet type → its header name ("control_packet"), built once: names are asked for on hot paths too. */
const PACKET_TYPE_NAMES = new Map<number, string>(
  Object.entries(UsbredirType).map(([name, value]) => [value, name.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase())]),
);

/** Name of a packet type for messages and logs ("control_packet", or "type 77" when unknown). */
export function packetTypeName(type: number): string {
  return PACKET_TYPE_NAMES.get(type) ?? `type ${type}`;
}

/** Name of a status code ("stall", or "status 9" when unknown). */
export function statusName(status: number): string {
  for (const [name, value] of Object.entries(UsbredirStatus)) {
    if (value === status) return name.toLowerCase();
  }
  return `status ${status}`;
}
