/**
 * Provider error bodies echo the request URL, and many providers carry the API key in its path
 * (`/v2/<key>`) or query (`?apikey=`). Anything logged or stored from a provider goes through this.
 */
const URL_PATTERN = /\b(https?|wss?):\/\/([^/\s"'<>?#]+)[^\s"'<>]*/gi;
const KEY_VALUE_PATTERN =
  /\b((?:api[-_]?key|access[-_]?token|token|secret|password|auth(?:orization)?|key)\s*["']?\s*[=:]\s*["']?)([^\s"'&,;}]+)/gi;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** The text with every URL cut to its origin and every `key=value` style secret replaced. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_PATTERN, (_match, scheme: string, host: string) => {
      // user:password@ in the authority is a secret too.
      const origin = host.includes("@") ? `[redacted]@${host.slice(host.lastIndexOf("@") + 1)}` : host;
      return `${scheme}://${origin}/[redacted]`;
    })
    .replace(KEY_VALUE_PATTERN, (_match, name: string) => `${name}[redacted]`)
    .replace(BEARER_PATTERN, (_match, scheme: string) => `${scheme} [redacted]`);
}
