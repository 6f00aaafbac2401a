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

/**
 * A maker of `{prefix}-{kebab id}` alarms that fire at or above their threshold in 3 of 5 periods
 * (missing data not breaching), notifying `topic`: the serving side's alarms.
 */
export const threeOfFiveAlarms =
  (scope: Construct, topic: sns.ITopic, prefix: string) =>
  (id: string, metric: cloudwatch.IMetric, threshold: number, description: string): cloudwatch.Alarm =>
    notifyingAlarm(scope, id, topic, {
      alarmName: kebabAlarmName(prefix, id),
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
