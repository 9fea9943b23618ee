import { createHmac, randomBytes } from "node:crypto";

export const TOKEN_TTL_MS = 15 * 60 * 1000;

/** A single-use sign-in token; only its HMAC is stored, with an expiry 15 minutes out. */
export async function issueToken(email: string): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  const digest = createHmac("sha256", process.env.MAGIC_LINK_SECRET!).update(token).digest("hex");
  await saveToken({ email, digest, expiresAt: new Date(Date.now() + TOKEN_TTL_MS) });
  return token;
}
