/**
 * Published AWS prices that `tidemark cost` multiplies the bench's request counts by: US East
 * (N. Virginia), on-demand, before free tiers (stages share one account, so a free tier is not theirs).
 * Each price names the AWS pricing page it comes from and the page it was checked against when read.
 */

/** The region every price below is for. */
export const PRICE_REGION = "us-east-1";
/** When the prices were read and checked (UTC date). */
export const PRICES_READ_ON = "2026-12-02";

export interface UnitPrice {
  /** US dollars per `per` units. */
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
  /** The AWS pricing page. */
  readonly source: string;
  /** The page the figure was checked against on PRICES_READ_ON. */
  readonly checkedAgainst: string;
}

export const AWS_PRICES = {
  /** FIFO: send, receive, delete and change-visibility each bill one request per 64 KB chunk. */
  sqsFifoRequest: {
    usd: 0.5,
    per: 1_000_000,
    unit: "SQS FIFO requests (per 64 KB chunk)",
    source: "https://aws.amazon.com/sqs/pricing/",
    checkedAgainst: "https://cloudburn.io/blog/amazon-sqs-pricing (us-east-1, March 2026)",
  },
  /** After the November 2024 on-demand price cut (−50 %). */
  dynamoDbWriteUnit: {
    usd: 0.625,
    per: 1_000_000,
    unit: "DynamoDB on-demand write request units",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    checkedAgainst:
      "https://airbyte.com/data-engineering-resources/dynamodb-pricing (after the Nov 2024 cut)",
  },
  dynamoDbReadUnit: {
    usd: 0.125,
    per: 1_000_000,
    unit: "DynamoDB on-demand read request units",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    checkedAgainst:
      "https://airbyte.com/data-engineering-resources/dynamodb-pricing (after the Nov 2024 cut)",
  },
  lambdaRequest: {
    usd: 0.2,
    per: 1_000_000,
    unit: "Lambda requests",
    source: "https://aws.amazon.com/lambda/pricing/",
    checkedAgainst: "https://cloudchipr.com/blog/aws-lambda-pricing (us-east-1)",
  },
  /** First tier (6 billion GB-s a month on x86, 7.5 billion on Arm). */
  lambdaGbSecondX86: {
    usd: 0.0000166667,
    per: 1,
    unit: "Lambda GB-seconds (x86_64)",
    source: "https://aws.amazon.com/lambda/pricing/",
    checkedAgainst: "https://cloudchipr.com/blog/aws-lambda-pricing (us-east-1)",
  },
  lambdaGbSecondArm: {
    usd: 0.0000133334,
    per: 1,
    unit: "Lambda GB-seconds (arm64)",
    source: "https://aws.amazon.com/lambda/pricing/",
    checkedAgainst: "https://cloudchipr.com/blog/aws-lambda-pricing (us-east-1)",
  },
  cloudWatchCustomMetric: {
    usd: 0.3,
    per: 1,
    unit: "CloudWatch custom metric-months (first 10,000)",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    checkedAgainst: "https://aws.amazon.com/cloudwatch/pricing/ (as quoted in the issue brief; not re-found)",
  },
  cloudWatchAlarm: {
    usd: 0.1,
    per: 1,
    unit: "CloudWatch standard-resolution alarm-months",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    checkedAgainst: "https://aws.amazon.com/cloudwatch/pricing/ (as quoted in the issue brief; not re-found)",
  },
  cloudWatchDashboard: {
    usd: 3,
    per: 1,
    unit: "CloudWatch dashboard-months",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    checkedAgainst: "https://aws.amazon.com/cloudwatch/pricing/ (as quoted in the issue brief; not re-found)",
  },
} as const satisfies Record<string, UnitPrice>;

export type PriceName = keyof typeof AWS_PRICES;
