/**
 * WebCrypto's RSA-OAEP (SHA-1) for the SPICE ticket. `crypto.subtle` exists only in secure contexts
 * (https or localhost); elsewhere the link fails with a clear `unsupported` reason.
 */
import { ProtocolError } from '../protocol/errors.js';
import type { RsaOaepEncrypt } from '../protocol/link.js';

export const webCryptoRsaOaep: RsaOaepEncrypt = async (spki, data) => {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('WebCrypto is not available here: the page must be served over https or from localhost');
  let key: CryptoKey;
  try {
    key = await subtle.importKey('spki', spki as Uint8Array<ArrayBuffer>, { name: 'RSA-OAEP', hash: 'SHA-1' }, false, ['encrypt']);
  } catch {
    throw new ProtocolError('the server sent an unusable ticket public key');
  }
  return subtle.encrypt({ name: 'RSA-OAEP' }, key, data as Uint8Array<ArrayBuffer>);
};
