/**
 * The usbredir host over WebUSB: `UsbHost` (usb-host.ts) and the parts it is built from. Importers take
 * what they need from here.
 */
export { DEFAULT_USB_HOST_VERSION, USB_HOST_CAPS, type UsbHostEvent, type UsbHostOptions, type UsbHostState, type UsbredirSink } from './options.js';
export { UsbHost } from './usb-host.js';
export { descriptorsFromWebUsb, readDescriptors } from './device-descriptors.js';
