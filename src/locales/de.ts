/** German strings of `<spice-console>` (ids from src/l10n/strings.ts). */
import { str } from '@lit/localize';

export const templates = {
  'status.not-connected': 'Nicht verbunden',
  'status.connecting': str`Verbinde mit ${0}…`,
  'status.connected': str`Verbunden mit ${0}`,
  'status.connected-unnamed': 'Verbunden',
  'status.disconnected': 'Getrennt',
  'status.disconnected-because': str`Getrennt: ${0}`,
  'status.reconnecting-in': str`Verbindung verloren. Neuer Versuch in ${0} s (Versuch ${1} von ${2})…`,
  'status.reconnecting-in-unlimited': str`Verbindung verloren. Neuer Versuch in ${0} s (Versuch ${1})…`,
  'status.reconnecting-now': str`Verbinde erneut (Versuch ${0})…`,
  'status.gave-up': str`Keine Verbindung möglich: ${0}`,
  'kiosk.reconnect': 'Neu verbinden',
  'kiosk.fullscreen': 'Vollbild',
  'console.label': 'Fernkonsole',
};
