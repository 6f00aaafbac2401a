/** How the dashboard writes numbers; the browser test formats API values with these same functions. */

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const formatInteger = (n: number | null | undefined): string => (n == null ? "—" : int.format(n));

export function formatDecimal(n: number | null | undefined, digits = 2): string {
  if (n == null) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** 2.6 s · 4m 03s · 1h 12m */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null) return "—";
  if (seconds < 120) return `${formatDecimal(seconds, seconds < 10 ? 2 : 1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

export const shortAddress = (a: string | null | undefined): string =>
  a == null ? "—" : `${a.slice(0, 6)}…${a.slice(-4)}`;

/** The preconf card's sub-line when no whitelist was ever read: the network has none (or READ_PRECONF=false). */
export const NO_WHITELIST = "no preconf whitelist on this network";

/**
 * A preconf operator: 0x0…0 is the whitelist saying it has no operator to draw for the epoch
 * (_getOperatorForEpoch returns address(0) with no operator or no active candidate; impl/PreconfWhitelist.sol @b9c5bb2).
 */
export const formatOperator = (a: string): string => (/^0x0{40}$/.test(a) ? "none" : shortAddress(a));

/** "12 s ago" for a unix-seconds timestamp. */
export function formatAge(timestamp: number, nowSeconds: number): string {
  const d = Math.max(0, nowSeconds - timestamp);
  if (d < 90) return `${Math.round(d)} s ago`;
  if (d < 5400) return `${Math.round(d / 60)} min ago`;
  if (d < 172_800) return `${Math.round(d / 3600)} h ago`;
  return `${Math.round(d / 86_400)} d ago`;
}

/** Wei (a decimal string, maybe negative) as ETH with 6 decimals: "-0.004012 ETH". */
export function formatWei(wei: string | null | undefined): string {
  if (wei == null || wei === "") return "—";
  return `${formatDecimal(Number(BigInt(wei)) / 1e18, 6)} ETH`;
}
