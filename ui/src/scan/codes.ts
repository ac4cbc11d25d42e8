// Ticket codes read on the device, as the server signs them (crates/booking/src/codes.rs):
// base64url of version 1, event id (16 bytes), ticket id (16), move counter
// (big-endian u32) and an Ed25519 signature (64) of those 37 bytes.

export interface ScannedCode {
  eventId: string;
  ticketId: string;
  counter: number;
  payload: Uint8Array<ArrayBuffer>;
  signature: Uint8Array<ArrayBuffer>;
}

const TOKEN_BYTES = 101;

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function uuid(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The code's parts, or null when it is not a code at all. */
export function readCode(text: string): ScannedCode | null {
  const bytes = fromBase64Url(text.trim());
  if (!bytes || bytes.length !== TOKEN_BYTES || bytes[0] !== 1) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    eventId: uuid(bytes.subarray(1, 17)),
    ticketId: uuid(bytes.subarray(17, 33)),
    counter: view.getUint32(33),
    payload: bytes.slice(0, 37),
    signature: bytes.slice(37),
  };
}

/**
 * Whether the event's key signed the code: true or false, or null where this
 * browser has no Ed25519 in WebCrypto (the list's counter still decides then).
 */
export async function signedBy(publicKey: string, code: ScannedCode): Promise<boolean | null> {
  const raw = fromBase64Url(publicKey);
  if (!raw || !crypto.subtle) return null;
  try {
    const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, code.signature, code.payload);
  } catch {
    return null;
  }
}
