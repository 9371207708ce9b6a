import { createDecipheriv, createECDH, hkdfSync, randomBytes } from "node:crypto";

// Test helper: the browser's side of Web Push. A subscription's keys (a P-256 key pair and a
// 16-byte auth secret), and the decryption of an `aes128gcm` push message body with them
// (RFC 8291 key derivation over RFC 8188 content coding), so a local server standing in for the
// push service can read what the monitor sent.

export interface TestPushKeys {
  /** For `PushSubscription.keys`: base64url. */
  p256dh: string;
  auth: string;
  /** Decrypts one push message body (a single record). */
  decrypt(body: Buffer): string;
}

/** Makes a subscription's key pair and auth secret. */
export function createTestPushKeys(): TestPushKeys {
  const ecdh = createECDH("prime256v1");
  const uaPublic = ecdh.generateKeys();
  const authSecret = randomBytes(16);
  return {
    p256dh: uaPublic.toString("base64url"),
    auth: authSecret.toString("base64url"),
    decrypt(body) {
      // RFC 8188 header: salt (16) | record size (4) | key id length (1) | key id (the sender's public key).
      const salt = body.subarray(0, 16);
      const idLength = body.readUInt8(20);
      const asPublic = body.subarray(21, 21 + idLength);
      const record = body.subarray(21 + idLength);
      const shared = ecdh.computeSecret(asPublic);
      // RFC 8291 §3.4: IKM from the ECDH secret, keyed by the auth secret, bound to both public keys.
      const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), uaPublic, asPublic]);
      const ikm = Buffer.from(hkdfSync("sha256", shared, authSecret, keyInfo, 32));
      const cek = Buffer.from(
        hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16),
      );
      const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
      const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
      decipher.setAuthTag(record.subarray(record.length - 16));
      const padded = Buffer.concat([
        decipher.update(record.subarray(0, record.length - 16)),
        decipher.final(),
      ]);
      // The last record ends with the delimiter 0x02, then zero padding.
      let end = padded.length - 1;
      while (end >= 0 && padded[end] === 0) end -= 1;
      if (padded[end] !== 2) throw new Error("no last-record delimiter in the push message");
      return padded.subarray(0, end).toString("utf8");
    },
  };
}
