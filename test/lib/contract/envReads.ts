import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The handler module of each function, by its POWERTOOLS_SERVICE_NAME (what the constructs bundle). */
export const HANDLER_ENTRIES: Readonly<Record<string, string>> = {
  ingestor: "lambdas/ingestor/handler.ts",
  processor: "lambdas/processor/handler.ts",
  deployHook: "lambdas/deployHook/handler.ts",
  unprovenBatchAge: "lambdas/unprovenBatchAge/handler.ts",
  api: "lambdas/api/handler.ts",
  apiStream: "lambdas/api/streamHandler.ts",
  ingestApi: "lambdas/ingestApi/handler.ts",
  ingestMaintenance: "lambdas/ingestApi/maintenanceHandler.ts",
  apiWebSocketRoutes: "lambdas/api/webSocketHandler.ts",
  apiWebSocket: "lambdas/api/webSocketFanOutHandler.ts",
};

/** The repository's source files a handler bundles (what esbuild follows from the entry), relative paths. */
export async function bundledSources(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [resolve(ROOT, entry)],
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs)
    .map((p) => relative(ROOT, resolve(ROOT, p)))
    .filter((p) => p.startsWith("lambdas/") && p.endsWith(".ts"));
}

/** `export const X = "NAME"` and `export const X = { key: "NAME" | CONST, … }` that name environment variables. */
interface EnvNames {
  readonly strings: Map<string, string>;
  readonly objects: Map<string, Map<string, string>>;
}

const ENV_DECLARATION = /export const (\w+) = (\{[\s\S]*?\n\}|"[A-Z][A-Z0-9_]*")/g;
const isEnvHolder = (file: string, name: string) =>
  file === "lambdas/shared/environment.ts" || /(Env|_ENV)$/.test(name);

/** The names of environment variables declared in `files` (one home per name: practice 9 of STYLE.md). */
export function envNamesIn(files: readonly string[]): EnvNames {
  const strings = new Map<string, string>();
  const objects = new Map<string, Map<string, string>>();
  const bodies: [string, string][] = [];
  for (const file of files) {
    for (const [, name, body] of readFileSync(resolve(ROOT, file), "utf8").matchAll(ENV_DECLARATION)) {
      if (!name || !body || !isEnvHolder(file, name)) continue;
      if (body.startsWith('"')) strings.set(name, body.slice(1, -1));
      else bodies.push([name, body]);
    }
  }
  for (const [name, body] of bodies) {
    const entries = new Map<string, string>();
    for (const [, key, literal, constant] of body.matchAll(
      /^\s*(\w+): (?:"([A-Z][A-Z0-9_]*)"|([A-Z][A-Z0-9_]*)),/gm,
    )) {
      const value = literal ?? strings.get(constant ?? "");
      if (key && value) entries.set(key, value);
    }
    if (entries.size > 0) objects.set(name, entries);
  }
  return { strings, objects };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The environment variables one source text reads, by the declared names or as literals. */
function readsIn(text: string, names: EnvNames): Set<string> {
  // Declarations and imports name a variable without reading it.
  const code = text
    .replace(ENV_DECLARATION, "")
    .replace(/^import[\s\S]*?from .*$/gm, "")
    .replace(/^export \{[^}]*\}.*$/gm, "");
  const reads = new Set<string>();
  for (const [, name] of code.matchAll(/\benv(?:\.|\[")([A-Z][A-Z0-9_]+)\b/g)) if (name) reads.add(name);
  for (const [constant, value] of names.strings) {
    if (new RegExp(`\\b${escapeRegExp(constant)}\\b`).test(code)) reads.add(value);
  }
  for (const [object, entries] of names.objects) {
    for (const [, key] of code.matchAll(new RegExp(`\\b${escapeRegExp(object)}\\.(\\w+)`, "g"))) {
      const value = entries.get(key ?? "");
      if (value) reads.add(value);
    }
    // Passed whole (e.g. to resolveIntegerSettings) or indexed: every name it holds may be read.
    if (new RegExp(`\\b${escapeRegExp(object)}\\b(?!\\.)`).test(code))
      for (const v of entries.values()) reads.add(v);
  }
  return reads;
}

/** Every environment variable a function's handler (and what it bundles) reads. */
export async function envReadsOf(entry: string): Promise<Set<string>> {
  const files = await bundledSources(entry);
  const names = envNamesIn(files);
  const reads = new Set<string>();
  for (const file of files)
    for (const r of readsIn(readFileSync(resolve(ROOT, file), "utf8"), names)) reads.add(r);
  return reads;
}
