/** French strings of `<spice-console>` (ids from src/l10n/strings.ts). */
import { str } from '@lit/localize';

export const templates = {
  'status.not-connected': 'Non connecté',
  'status.connecting': str`Connexion à ${0}…`,
  'status.connected': str`Connecté à ${0}`,
  'status.connected-unnamed': 'Connecté',
  'status.disconnected': 'Déconnecté',
  'status.disconnected-because': str`Déconnecté : ${0}`,
  'status.reconnecting-in': str`Connexion perdue. Nouvel essai dans ${0} s (essai ${1} sur ${2})…`,
  'status.reconnecting-in-unlimited': str`Connexion perdue. Nouvel essai dans ${0} s (essai ${1})…`,
  'status.reconnecting-now': str`Reconnexion (essai ${0})…`,
  'status.gave-up': str`Reconnexion impossible : ${0}`,
  'kiosk.reconnect': 'Reconnecter',
  'kiosk.fullscreen': 'Plein écran',
  'console.label': 'Console distante',
};
