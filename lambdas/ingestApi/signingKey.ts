import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { ConfigError } from "../shared/errors.js";

export const SIGNING_KEY_FILE = "receipt-signing-key.hex";
/** Environment variable (on AWS filled from Secrets Manager) holding the 32-byte key as hex. */
export const SIGNING_KEY_ENV = "INGEST_SIGNING_KEY";

export type LoadSigningKeyParameters =
  /** A secret given by the deployment (hex, 64 chars). */
  | { readonly secretHex: string }
  /** Local runs: the key file in this directory, generated (0600) on first use. */
  | { readonly stateDir: string };

/** The 32-byte Ed25519 secret key receipts and commitments are signed with. */
export async function loadSigningKey(parameters: LoadSigningKeyParameters): Promise<Uint8Array> {
  if ("secretHex" in parameters) return parseKey(parameters.secretHex, SIGNING_KEY_ENV);
  const file = join(parameters.stateDir, SIGNING_KEY_FILE);
  await mkdir(parameters.stateDir, { recursive: true, mode: 0o700 });
  try {
    // `wx`: two processes starting together cannot both create a key; the loser reads the winner's.
    await writeFile(file, `${bytesToHex(ed25519.utils.randomSecretKey())}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return parseKey((await readFile(file, "utf8")).trim(), file);
}

function parseKey(hex: string, where: string): Uint8Array {
  const clean = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{64}$/.test(clean)) throw new ConfigError(where, "expected a 32-byte Ed25519 key as hex");
  return hexToBytes(clean.toLowerCase());
}
