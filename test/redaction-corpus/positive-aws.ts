/** AWS payloads with planted secrets: IAM, STS, Secrets Manager, SSM, Lambda, ECS, CloudFormation, logs. */
import { fake } from "./fake-secrets.js";
import { jsonCase, textCase, type RedactionCorpusCase } from "./types.js";

const account = "123456789012";
const ciUserArn = `arn:aws:iam::${account}:user/ci/deploy-bot`;
const keyId = fake.awsAccessKeyId("create-access-key");
const secretKey = fake.awsSecretKey("create-access-key");
const tempKeyId = fake.awsTemporaryKeyId("assume-role");
const tempSecret = fake.awsSecretKey("assume-role");
const sessionToken = fake.awsSessionToken("assume-role");
const roleArn = `arn:aws:sts::${account}:assumed-role/app-deployer/ci-session-42`;
const roleId = "AROAEXAMPLEFAKE1234567";
const dbPassword = "FAKE-db-Pa55-EXAMPLE";
const tagToken = fake.highEntropy("tag-token", 36);
const secretString = '{"username":"app_admin","password":"FAKE-sm-Pa55w0rd-EXAMPLE","engine":"postgres"}';
const ssmValue = "FAKE-ssm-value-EXAMPLE-42";
const lambdaDbPassword = "FAKE-lambda-Pw-EXAMPLE";
const lambdaStripe = fake.stripeKey("sk_live", "lambda");
const ecsToken = fake.githubToken("ghp", "ecs");
const ecsPassword = "FAKE-ecs-EXAMPLE-pass";
const cfnPassword = "FAKE-cfn-Master-EXAMPLE1";
const legacyToken = fake.awsLegacySessionToken("legacy");
const presignSignature = fake.hex("presign", 64);
const presignToken = fake.awsSessionToken("presign");

export const awsCases: readonly RedactionCorpusCase[] = [
  jsonCase(
    "aws-create-access-key",
    "iam:CreateAccessKey response",
    {
      AccessKey: { UserName: "deploy-bot", AccessKeyId: keyId, Status: "Active", SecretAccessKey: secretKey, CreateDate: "2025-03-01T10:00:00Z" },
      ResponseMetadata: { RequestId: "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE0" },
    },
    [secretKey],
    [keyId, "deploy-bot", "2025-03-01T10:00:00Z"],
  ),
  jsonCase(
    "aws-sts-assume-role",
    "sts:AssumeRole response",
    {
      Credentials: { AccessKeyId: tempKeyId, SecretAccessKey: tempSecret, SessionToken: sessionToken, Expiration: "2025-03-01T11:00:00Z" },
      AssumedRoleUser: { AssumedRoleId: `${roleId}:ci-session-42`, Arn: roleArn },
      PackedPolicySize: 6,
    },
    [tempSecret, sessionToken],
    [tempKeyId, roleArn, `${roleId}:ci-session-42`, "2025-03-01T11:00:00Z"],
  ),
  jsonCase(
    "aws-gaad-tags-and-description",
    "iam:GetAccountAuthorizationDetails fragment",
    {
      UserDetailList: [
        {
          Path: "/ci/",
          UserName: "deploy-bot",
          UserId: "AIDAEXAMPLEFAKE7654321",
          Arn: ciUserArn,
          CreateDate: "2021-06-01T00:00:00Z",
          GroupList: ["deployers"],
          AttachedManagedPolicies: [{ PolicyName: "DeployAccess", PolicyArn: `arn:aws:iam::${account}:policy/DeployAccess` }],
          Tags: [
            { Key: "owner", Value: "platform-team" },
            { Key: "db_password", Value: dbPassword },
            { Key: "ci-token", Value: tagToken },
          ],
        },
      ],
      RoleDetailList: [
        {
          RoleName: "app-deployer",
          RoleId: roleId,
          Arn: `arn:aws:iam::${account}:role/app-deployer`,
          Description: `Deploy role. Temporary: aws_secret_access_key=${fake.awsSecretKey("gaad-description")}`,
          RoleLastUsed: { LastUsedDate: "2025-02-27T09:13:00Z", Region: "eu-west-1" },
        },
      ],
    },
    [dbPassword, tagToken, fake.awsSecretKey("gaad-description")],
    ["AIDAEXAMPLEFAKE7654321", ciUserArn, roleId, `arn:aws:iam::${account}:role/app-deployer`, `arn:aws:iam::${account}:policy/DeployAccess`, "platform-team"],
  ),
  jsonCase(
    "aws-secrets-manager-get-secret-value",
    "secretsmanager:GetSecretValue response",
    {
      ARN: `arn:aws:secretsmanager:eu-west-1:${account}:secret:prod/app/db-AbCdEf`,
      Name: "prod/app/db",
      VersionId: "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
      SecretString: secretString,
      VersionStages: ["AWSCURRENT"],
      CreatedDate: "2025-01-15T08:00:00Z",
    },
    ["FAKE-sm-Pa55w0rd-EXAMPLE"],
    [`arn:aws:secretsmanager:eu-west-1:${account}:secret:prod/app/db-AbCdEf`, "prod/app/db", "AWSCURRENT"],
  ),
  jsonCase(
    "aws-ssm-secure-string",
    "ssm:GetParameter WithDecryption",
    {
      Parameter: {
        Name: "/prod/payments/webhook",
        Type: "SecureString",
        Value: ssmValue,
        Version: 3,
        ARN: `arn:aws:ssm:eu-west-1:${account}:parameter/prod/payments/webhook`,
        LastModifiedDate: "2025-02-01T00:00:00Z",
      },
    },
    [ssmValue],
    ["/prod/payments/webhook", `arn:aws:ssm:eu-west-1:${account}:parameter/prod/payments/webhook`],
  ),
  jsonCase(
    "aws-lambda-environment",
    "lambda:GetFunctionConfiguration",
    {
      FunctionName: "billing-sync",
      FunctionArn: `arn:aws:lambda:eu-west-1:${account}:function:billing-sync`,
      Role: `arn:aws:iam::${account}:role/billing-sync-role`,
      Environment: { Variables: { DB_HOST: "db.internal.example", DB_PASSWORD: lambdaDbPassword, STRIPE_KEY: lambdaStripe, LOG_LEVEL: "info" } },
      KMSKeyArn: `arn:aws:kms:eu-west-1:${account}:key/mrk-0123456789abcdef0123456789abcdef`,
    },
    [lambdaDbPassword, lambdaStripe],
    [`arn:aws:lambda:eu-west-1:${account}:function:billing-sync`, "db.internal.example", `arn:aws:kms:eu-west-1:${account}:key/mrk-0123456789abcdef0123456789abcdef`],
  ),
  jsonCase(
    "aws-ecs-task-definition-env",
    "ecs:DescribeTaskDefinition",
    {
      taskDefinition: {
        family: "api",
        taskRoleArn: `arn:aws:iam::${account}:role/api-task`,
        containerDefinitions: [
          {
            name: "api",
            image: `${account}.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:${fake.hex("image", 64)}`,
            environment: [
              { name: "GITHUB_TOKEN", value: ecsToken },
              { name: "ADMIN_PASSWORD", value: ecsPassword },
              { name: "REGION", value: "eu-west-1" },
            ],
            secrets: [{ name: "DB_PASSWORD", valueFrom: `arn:aws:secretsmanager:eu-west-1:${account}:secret:prod/db-XyZ123` }],
          },
        ],
      },
    },
    [ecsToken, ecsPassword],
    [`arn:aws:iam::${account}:role/api-task`, `arn:aws:secretsmanager:eu-west-1:${account}:secret:prod/db-XyZ123`, `sha256:${fake.hex("image", 64)}`],
  ),
  jsonCase(
    "aws-cloudformation-parameters",
    "cloudformation:DescribeStacks",
    {
      Stacks: [
        {
          StackName: "rds-prod",
          StackId: `arn:aws:cloudformation:eu-west-1:${account}:stack/rds-prod/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`,
          Parameters: [
            { ParameterKey: "DBInstanceClass", ParameterValue: "db.r6g.large" },
            { ParameterKey: "MasterUserPassword", ParameterValue: cfnPassword },
          ],
          Outputs: [{ OutputKey: "Endpoint", OutputValue: "rds-prod.cluster-abc.eu-west-1.rds.amazonaws.com" }],
        },
      ],
    },
    [cfnPassword],
    [`arn:aws:cloudformation:eu-west-1:${account}:stack/rds-prod/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`, "db.r6g.large", "rds-prod.cluster-abc.eu-west-1.rds.amazonaws.com"],
  ),
  textCase(
    "aws-credentials-file",
    "~/.aws/credentials",
    `[default]\naws_access_key_id = ${fake.awsDocsAccessKeyId}\naws_secret_access_key = ${fake.awsDocsSecretKey}\n\n[ci]\naws_access_key_id=${tempKeyId}\naws_secret_access_key=${fake.awsSecretKey("credentials-file")}\naws_session_token=${legacyToken}\nregion = eu-west-1\n`,
    [fake.awsDocsSecretKey, fake.awsSecretKey("credentials-file"), legacyToken],
    [fake.awsDocsAccessKeyId, tempKeyId, "eu-west-1"],
  ),
  textCase(
    "aws-cli-export-prose",
    "shell history / chat prose",
    `Use these for the hotfix: export AWS_ACCESS_KEY_ID=${keyId} and the key ${fake.awsSecretKey("prose")} (rotate after). Session token ${fake.awsSessionToken("prose")}`,
    [fake.awsSecretKey("prose"), fake.awsSessionToken("prose")],
    [keyId],
  ),
  textCase(
    "aws-presigned-url",
    "s3 presign output",
    `https://example-bucket.s3.eu-west-1.amazonaws.com/reports/q1.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${tempKeyId}%2F20250301%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20250301T100000Z&X-Amz-Expires=3600&X-Amz-Security-Token=${encodeURIComponent(presignToken)}&X-Amz-SignedHeaders=host&X-Amz-Signature=${presignSignature}`,
    [presignSignature, encodeURIComponent(presignToken)],
    ["https://example-bucket.s3.eu-west-1.amazonaws.com/reports/q1.csv", tempKeyId],
  ),
  textCase(
    "aws-sdk-error-message",
    "SDK error text",
    `UnrecognizedClientException: The security token included in the request is invalid. Token: ${fake.awsSessionToken("sdk-error")} RequestId: 0c3f4b2a-7d1e-4e5f-9a8b-EXAMPLE00001`,
    [fake.awsSessionToken("sdk-error")],
    ["0c3f4b2a-7d1e-4e5f-9a8b-EXAMPLE00001"],
  ),
];
