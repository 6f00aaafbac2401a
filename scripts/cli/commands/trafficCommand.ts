import {
  type AliasTraffic,
  getTraffic,
  rollbackTraffic,
  shiftTraffic,
  type TrafficTarget,
} from "../../ops/liveTraffic.js";
import {
  actionOf,
  choiceOption,
  EXIT,
  emit,
  numberOption,
  parseCommand,
  printUsage,
  stringOption,
  TARGET_USAGE,
  UsageError,
} from "../cliSupport.js";
import { resolveTarget, type Target } from "../resolveTarget.js";
import type { Command } from "./command.js";

const USAGE = `Usage: tidemark traffic status [--function ingestor|processor] --stage <name>
       tidemark traffic shift --function ingestor|processor --to-version <n> [--weight <0..1>] --stage <name>
       tidemark traffic rollback --function ingestor|processor [--to-version <n>] --stage <name>

status    the live alias's versions and weights, and the CodeDeploy deployment shifting it
shift     move the alias by hand (refused while CodeDeploy is shifting it): --weight of the traffic to
          --to-version, the rest to the current version; --weight 1 (default) moves everything
rollback  a deployment in progress: stop it with automatic rollback (CodeDeploy moves the alias back);
          otherwise point the alias at --to-version (or drop a manual canary's extra version)

Deployed stages only: locally there are no aliases (the local stack runs the handlers directly).

${TARGET_USAGE}`;

const FUNCTIONS = ["ingestor", "processor"] as const;

export const trafficCommand: Command = {
  name: "traffic",
  summary: "the live aliases: versions, weights, deployment in progress, shift and rollback",
  usage: USAGE,
  async run(argv, io) {
    const parsed = parseCommand(
      argv,
      { function: { type: "string" }, "to-version": { type: "string" }, weight: { type: "string" } },
      1,
    );
    const { values } = parsed;
    if (values.help) return printUsage(io, USAGE);
    const action = actionOf("traffic", parsed.positionals[0], ["status", "shift", "rollback"] as const);
    const fn = choiceOption(values, "function", FUNCTIONS, action !== "status");
    const version = stringOption(values, "to-version");
    if (version !== undefined && !/^\d+$/.test(version))
      throw new UsageError(`--to-version "${version}" is not a version number`);
    const weight = numberOption(values, "weight", 0, 1);
    if (action === "shift" && version === undefined) throw new UsageError("traffic shift needs --to-version");
    if (action !== "shift" && weight !== undefined) throw new UsageError("--weight belongs to traffic shift");
    // Checked before any target is resolved: without --stage there is nothing to look for locally.
    if (stringOption(values, "stage") === undefined) {
      throw new UsageError(
        "traffic needs --stage <name>: it works on a deployed stage's live aliases; the local stack has none",
      );
    }
    const target = resolveTarget(parsed, io);
    const json = values.json === true;
    if (action === "status") {
      const all = await Promise.all((fn ? [fn] : FUNCTIONS).map((f) => getTraffic(trafficTarget(target, f))));
      emit(io, json, { target: target.label, aliases: all }, all.map(renderTraffic).join("\n\n"));
      return EXIT.ok;
    }
    const t = trafficTarget(target, fn as (typeof FUNCTIONS)[number]);
    if (action === "shift") {
      const after = await shiftTraffic(t, version as string, weight ?? 1);
      emit(io, json, after, `shifted.\n${renderTraffic(after)}`);
      return EXIT.ok;
    }
    const outcome = await rollbackTraffic(t, version);
    emit(
      io,
      json,
      outcome,
      `rolled back (${outcome.how}): ${outcome.detail}\n${renderTraffic(outcome.traffic)}`,
    );
    return EXIT.ok;
  },
};

function trafficTarget(target: Target, fn: "ingestor" | "processor"): TrafficTarget {
  const name = fn === "ingestor" ? "Ingestor" : "Processor";
  return {
    lambda: target.lambda(),
    codedeploy: target.codedeploy(),
    functionName: target.require(`${name}FunctionName`, "traffic"),
    aliasName: target.names.LiveAliasName ?? "live",
    application: target.require("DeploymentApplicationName", "traffic"),
    deploymentGroup: target.require(`${name}DeploymentGroupName`, "traffic"),
  };
}

export function renderTraffic(t: AliasTraffic): string {
  const extra = Object.entries(t.additional);
  const share = 1 - extra.reduce((s, [, w]) => s + w, 0);
  const lines = [
    `${t.function}:${t.alias}`,
    `  version ${t.primaryVersion}: ${Math.round(share * 100)}%`,
    ...extra.map(([v, w]) => `  version ${v}: ${Math.round(w * 100)}%`),
    t.deployment
      ? `  deployment ${t.deployment.id} ${t.deployment.status}: ${t.deployment.description}`
      : "  no deployment in progress",
  ];
  return lines.join("\n");
}
