import { App } from "aws-cdk-lib";
import { stageConfigFromContext } from "../lib/config/stageConfig.js";
import { addTidemarkStacks } from "../lib/stacks/addTidemarkStacks.js";
import { addTidemarkValidations } from "../lib/tidemarkValidations.js";

// `npx cdk synth -c stage=dev|staging|prod [-c alarmEmail=ops@example.com] [-c rpcUrlsSecretName=...] [-c l1StartBlock=N -c l2StartBlock=N]`
const app = new App();
const config = stageConfigFromContext({
  stage: app.node.tryGetContext("stage"),
  alarmEmail: app.node.tryGetContext("alarmEmail"),
  rpcUrlsSecretName: app.node.tryGetContext("rpcUrlsSecretName"),
  l1StartBlock: app.node.tryGetContext("l1StartBlock"),
  l2StartBlock: app.node.tryGetContext("l2StartBlock"),
  anchorSecretName: app.node.tryGetContext("anchorSecretName"),
  anchorRegistry: app.node.tryGetContext("anchorRegistry"),
});
addTidemarkStacks(app, config, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag (AwsSolutions) and cfn-guard (Control Tower rules): any unacknowledged finding fails the synth.
addTidemarkValidations(app);
app.synth();
