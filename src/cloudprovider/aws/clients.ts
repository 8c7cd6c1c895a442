/**
 * The SDK clients the provider uses, built with the SDK's own retries off (maxAttempts 1): retries
 * and their waits go through retry.ts on the injected Clock instead.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { PricingClient } from '@aws-sdk/client-pricing';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface AwsConnection {
  readonly region: string;
  /** An endpoint for every service (a local API server such as moto); default the AWS endpoints. */
  readonly endpoint?: string;
  /** Static credentials; default the SDK's provider chain (environment, profile, IMDS, ...). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/** The Pricing API answers in us-east-1 (and two other regions); its prices cover every region. */
export const PRICING_API_REGION = 'us-east-1';

function common(c: AwsConnection, region: string): { region: string; maxAttempts: number; endpoint?: string; credentials?: AwsConnection['credentials'] } {
  return {
    region,
    maxAttempts: 1,
    ...(c.endpoint === undefined ? {} : { endpoint: c.endpoint }),
    ...(c.credentials === undefined ? {} : { credentials: c.credentials }),
  };
}

export const ec2Client = (c: AwsConnection): EC2Client => new EC2Client(common(c, c.region));
export const pricingClient = (c: AwsConnection): PricingClient => new PricingClient(common(c, PRICING_API_REGION));
export const sqsClient = (c: AwsConnection): SQSClient => new SQSClient(common(c, c.region));
export const ssmClient = (c: AwsConnection): SSMClient => new SSMClient(common(c, c.region));
/** IAM is global; the connection's region only picks the partition (and the signing region). */
export const iamClient = (c: AwsConnection): IAMClient => new IAMClient(common(c, c.region));
