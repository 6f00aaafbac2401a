import type { Json, TemplateResource } from "../synthStage.js";

/** One action on one resource that a function's role allows, with the partition keys it is fenced to. */
export interface Grant {
  readonly caller: string;
  readonly action: string;
  /** The resource with template references replaced by their names (`StateTable/index/unproven`); `*` globs. */
  readonly resource: string;
  /** `dynamodb:LeadingKeys` patterns the statement requires every key to match; absent, any key. */
  readonly leadingKeys?: readonly string[];
}

/** Logical id (in either stack) → the name the recorder uses for that resource. */
export type LogicalNames = Readonly<Record<string, string>>;

/**
 * A policy resource written as text: references to the named resources become their names, other
 * references `<logicalId>` (no recorded call can name them, so a grant on one is never used).
 */
export function resourceText(value: Json, names: LogicalNames): string {
  if (typeof value === "string") return value;
  const named = (logicalId: string) => names[logicalId] ?? `<${logicalId}>`;
  if (value["Fn::Join"]) return (value["Fn::Join"][1] as Json[]).map((v) => resourceText(v, names)).join("");
  if (value["Fn::GetAtt"]) {
    const [id, attribute] = value["Fn::GetAtt"] as [string, string];
    return attribute === "Arn" ? named(id) : `${named(id)}.${attribute}`;
  }
  if (value.Ref) return value.Ref.startsWith("AWS::") ? value.Ref : named(value.Ref);
  const output = value["Fn::GetStackOutput"]?.OutputName as string | undefined;
  if (output) {
    // The exporting stack names its output after the reference: `PublishOutputFnGetAtt<logicalId>Arn<hash>`.
    const id = Object.keys(names).find((logicalId) => output.includes(logicalId));
    if (!id) return `<${output}>`;
    const attribute = output.slice(output.indexOf(id) + id.length).replace(/[0-9A-F]{8}$/, "");
    return attribute === "Arn" || attribute === "" ? named(id) : `${named(id)}.${attribute}`;
  }
  return JSON.stringify(value);
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The service name each function runs as (its POWERTOOLS_SERVICE_NAME) → the logical id of its role. */
export function functionRoles(resources: Record<string, TemplateResource>): Record<string, string> {
  const roles: Record<string, string> = {};
  for (const r of Object.values(resources)) {
    if (r.Type !== "AWS::Lambda::Function") continue;
    const service = r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    const role = r.Properties.Role?.["Fn::GetAtt"]?.[0];
    if (typeof service === "string" && typeof role === "string") roles[service] = role;
  }
  return roles;
}

/**
 * Every (action, resource) the role of `caller` allows, one grant per pair, from the identity policies
 * attached to it in the template. A statement with Deny, NotAction or NotResource is refused: the
 * comparison would be wrong, so it must be extended first.
 */
export function grantsOf(
  resources: Record<string, TemplateResource>,
  caller: string,
  roleId: string,
  names: LogicalNames,
): Grant[] {
  const statements: Json[] = [];
  for (const r of Object.values(resources)) {
    const attached =
      r.Type === "AWS::IAM::Policy" && list(r.Properties.Roles).some((x: Json) => x.Ref === roleId);
    if (attached) statements.push(...list(r.Properties.PolicyDocument.Statement));
  }
  const role = resources[roleId];
  for (const p of list(role?.Properties.Policies))
    statements.push(...list((p as Json).PolicyDocument.Statement));
  if (list(role?.Properties.ManagedPolicyArns).length > 0)
    throw new Error(`role ${roleId} of ${caller} has managed policies: read them into the comparison first`);
  const grants: Grant[] = [];
  for (const s of statements) {
    if (s.Effect !== "Allow" || s.NotAction || s.NotResource)
      throw new Error(`role ${roleId} of ${caller}: statement not compared: ${JSON.stringify(s)}`);
    const leadingKeys = s.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] as
      | string[]
      | undefined;
    for (const action of list<string>(s.Action))
      for (const resource of list<Json>(s.Resource))
        grants.push({
          caller,
          action,
          resource: resourceText(resource, names),
          ...(leadingKeys ? { leadingKeys: list(leadingKeys) } : {}),
        });
  }
  return grants;
}

/** IAM's glob: `*` any run of characters, `?` one (actions compare without case, resources with). */
export const globMatches = (pattern: string, value: string, ignoreCase = false): boolean =>
  new RegExp(
    `^${pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
    ignoreCase ? "i" : "",
  ).test(value);
