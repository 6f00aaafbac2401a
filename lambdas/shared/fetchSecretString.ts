import { getSecret } from "@aws-lambda-powertools/parameters/secrets";

/** A Secrets Manager secret's string through Powertools, cached an hour per instance; undefined when it has none. */
export async function fetchSecretString(secretId: string): Promise<string | undefined> {
  const value = await getSecret(secretId, { maxAge: 3600 });
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : new TextDecoder().decode(value as Uint8Array);
}
