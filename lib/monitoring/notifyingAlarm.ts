import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";

/** An alarm that notifies `topic` when it fires and again when it clears, as every Tidemark alarm does. */
export function notifyingAlarm(
  scope: Construct,
  id: string,
  topic: sns.ITopic,
  props: cloudwatch.AlarmProps,
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, props);
  const action = new actions.SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}

/** `{prefix}-{id in kebab case}`: a construct id such as `ApiLatencyP95` as an alarm name. */
export const kebabAlarmName = (prefix: string, id: string): string =>
  `${prefix}-${id.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()}`;
