import { readFile } from "node:fs/promises";
import { type SignedReceipt, verifyReceipt } from "../../lambdas/ingestApi/receipts.js";

export interface VerifyReceiptFileOptions {
  /** A receipt as GET /v1/receipts/{eventId} (or the POST answer's `receipt`) returned it. */
  readonly file: string;
  /** The trusted key, hex… */
  readonly publicKey?: string;
  /** …or a saved GET /v1/keys answer holding it. */
  readonly keysFile?: string;
}

export interface VerifyReceiptFileResult {
  readonly valid: boolean;
  readonly receipt?: SignedReceipt;
  /** What failed; empty when valid. */
  readonly problems: readonly string[];
}

/**
 * `tidemark receipt verify FILE --public-key HEX | --keys FILE`: offline, against a key the verifier
 * already trusts — never the key the receipt names itself (anyone can sign with their own key).
 */
export async function verifyReceiptFileCommand(
  options: VerifyReceiptFileOptions,
): Promise<VerifyReceiptFileResult> {
  const publicKey =
    options.publicKey ?? (options.keysFile ? await keyFromKeysFile(options.keysFile) : undefined);
  if (publicKey === undefined) {
    return {
      valid: false,
      problems: ["give the trusted key: --public-key HEX or --keys FILE (a saved GET /v1/keys)"],
    };
  }
  let receipt: SignedReceipt;
  try {
    receipt = JSON.parse(await readFile(options.file, "utf8")) as SignedReceipt;
  } catch (error) {
    return { valid: false, problems: [`cannot read ${options.file}: ${(error as Error).message}`] };
  }
  const problems: string[] = [];
  if (!verifyReceipt(receipt, publicKey))
    problems.push("the signature does not verify under the trusted key");
  if (receipt.publicKey !== undefined && receipt.publicKey.toLowerCase() !== publicKey.toLowerCase()) {
    problems.push(`the receipt names key ${receipt.publicKey}, not the trusted ${publicKey}`);
  }
  return { valid: problems.length === 0, receipt, problems };
}

async function keyFromKeysFile(file: string): Promise<string | undefined> {
  const parsed = JSON.parse(await readFile(file, "utf8")) as {
    keys?: { alg?: string; publicKey?: string }[];
  };
  return parsed.keys?.find((k) => k.alg === "ed25519")?.publicKey;
}
