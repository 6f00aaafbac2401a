import { createHash, createHmac } from "node:crypto";

/**
 * AWS Signature Version 4 over node:crypto: the one signer of the light request path (SQS, S3) and of
 * the local SQS server's check of what it receives. Spec: "Create a signed AWS API request" (IAM user
 * guide), checked against AWS's published test suite (test/lambdas/shared/awsSigV4.test.ts).
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working; absent for long-term keys. */
  readonly expiration?: Date;
}

export interface SigningScope {
  readonly region: string;
  /** The signing name: `sqs`, `s3`. */
  readonly service: string;
}

export interface RequestToSign {
  readonly method: string;
  /** The path as sent (already percent-encoded where needed), e.g. `/` or `/bucket/key.json`. */
  readonly path: string;
  /** Query parameters, decoded. */
  readonly query?: Readonly<Record<string, string>>;
  /** Header names in any case; every one given is signed (host included). */
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
}

export const ALGORITHM = "AWS4-HMAC-SHA256";

export const sha256Hex = (data: string | Uint8Array): string =>
  createHash("sha256").update(data).digest("hex");

/** `20150830T123600Z` from a date. */
export const amzDate = (date: Date): string =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/** RFC 3986 unreserved characters stay; everything else is %XX (encodeURIComponent leaves !'()* alone). */
const uriEscape = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Every service but S3 signs the path escaped once more, segment by segment. */
function canonicalPath(path: string, service: string): string {
  if (service === "s3") return path;
  return path
    .split("/")
    .map((segment) => uriEscape(segment))
    .join("/");
}

function canonicalQuery(query: Readonly<Record<string, string>> = {}): string {
  return Object.entries(query)
    .map(([k, v]) => [uriEscape(k), uriEscape(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** The canonical request, and the header names it signs (`host;x-amz-date`). */
export function canonicalRequest(
  request: RequestToSign,
  service: string,
): { readonly text: string; readonly signedHeaders: string } {
  const headers = Object.entries(request.headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, " ")] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const signedHeaders = headers.map(([name]) => name).join(";");
  const text = [
    request.method.toUpperCase(),
    canonicalPath(request.path, service),
    canonicalQuery(request.query),
    ...headers.map(([name, value]) => `${name}:${value}`),
    "",
    signedHeaders,
    request.payloadHash,
  ].join("\n");
  return { text, signedHeaders };
}

/** The signing key of one day, region and service: four HMACs, kept for the day (one entry per secret). */
const signingKeys = new Map<string, { readonly day: string; readonly key: Buffer }>();

function signingKey(secret: string, day: string, scope: SigningScope): Buffer {
  const id = `${secret}\n${scope.region}\n${scope.service}`;
  const cached = signingKeys.get(id);
  if (cached?.day === day) return cached.key;
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), scope.region), scope.service), "aws4_request");
  if (signingKeys.size > 64) signingKeys.clear();
  signingKeys.set(id, { day, key });
  return key;
}

/**
 * The signature of a request whose headers already carry `x-amz-date` (`date`); returns what goes in
 * the Authorization header. The verifier calls it with the secret it knows and compares.
 */
export function signature(
  request: RequestToSign,
  credentials: Pick<AwsCredentials, "accessKeyId" | "secretAccessKey">,
  scope: SigningScope,
  date: string,
): { readonly authorization: string; readonly signature: string; readonly canonical: string } {
  const day = date.slice(0, 8);
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const canonical = canonicalRequest(request, scope.service);
  const stringToSign = [ALGORITHM, date, credentialScope, sha256Hex(canonical.text)].join("\n");
  const sig = createHmac("sha256", signingKey(credentials.secretAccessKey, day, scope))
    .update(stringToSign)
    .digest("hex");
  return {
    signature: sig,
    canonical: canonical.text,
    authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${canonical.signedHeaders}, Signature=${sig}`,
  };
}

/**
 * Sign a request: returns its headers with `x-amz-date`, `x-amz-security-token` (temporary
 * credentials) and `authorization` added. Every header given is signed.
 */
export function signRequest(
  request: RequestToSign,
  credentials: AwsCredentials,
  scope: SigningScope,
  now: Date = new Date(),
): Record<string, string> {
  const date = amzDate(now);
  const headers: Record<string, string> = { ...request.headers, "x-amz-date": date };
  if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
  headers.authorization = signature({ ...request, headers }, credentials, scope, date).authorization;
  return headers;
}

/** The parts of an Authorization header, or undefined when it is not a SigV4 one. */
export function parseAuthorization(header: string | undefined):
  | {
      readonly accessKeyId: string;
      readonly day: string;
      readonly region: string;
      readonly service: string;
      readonly signedHeaders: readonly string[];
      readonly signature: string;
    }
  | undefined {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      header ?? "",
    );
  if (!match) return undefined;
  const [, accessKeyId, day, region, service, signed, sig] = match as unknown as string[];
  return {
    accessKeyId: accessKeyId as string,
    day: day as string,
    region: region as string,
    service: service as string,
    signedHeaders: (signed as string).split(";"),
    signature: sig as string,
  };
}
