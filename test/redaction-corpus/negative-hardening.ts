/**
 * Over-reach found in issue #17: names that only sound secret (pagination tokens, the subject of a
 * web identity token), values next to a secret that a pattern ran into, public certificates and key
 * ids. Nothing here is a secret; every identifier must survive.
 */
import { fake } from "./fake-secrets.js";
import { jsonCase, textCase, type RedactionCorpusCase } from "./types.js";

const nextToken = "AAMA-EFRSURBSGhpZXhhbXBsZUZBS0VwYWdpbmF0aW9uVG9rZW4xMjM0NTY3ODkw";
const pageToken = "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3YUVYQU1QTEUQ";
const skipToken = "eyJjb250aW51YXRpb25Ub2tlbiI6IkVYQU1QTEUifQ";
const certificateBody = Buffer.concat([
  Buffer.from([0x30, 0x82, 0x03, 0x10, 0x30, 0x82, 0x02, 0xf8, 0xa0, 0x03, 0x02, 0x01, 0x02]),
  Buffer.from("EXAMPLE.PUBLIC.CA.CERTIFICATE.FAKE"),
  Buffer.alloc(200, 0x41),
]).toString("base64");
const caPem = `-----BEGIN CERTIFICATE-----\n${certificateBody.match(/.{1,64}/g)?.join("\n") ?? certificateBody}\n-----END CERTIFICATE-----\n`;
const kmsKeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";

export const hardeningNegativeCases: readonly RedactionCorpusCase[] = [
  textCase(
    "key-file-paths",
    "wiam doctor output in a temporary data directory",
    "OK      redaction.key: /tmp/tmp.Xb3k9QzT7w/redaction.key not created yet\nOK      audit-signing.key: /home/ci/.local/state/wiam-Q7xk2Lm9/audit-signing.key (0600)",
    [],
    ["/tmp/tmp.Xb3k9QzT7w/redaction.key", "/home/ci/.local/state/wiam-Q7xk2Lm9/audit-signing.key"],
  ),
  jsonCase(
    "pagination-tokens",
    "aws iam list-roles, gcloud and Azure list responses",
    {
      Roles: [{ RoleName: "ci-deploy", Arn: "arn:aws:iam::123456789012:role/ci-deploy" }],
      IsTruncated: true,
      NextToken: nextToken,
      nextPageToken: pageToken,
      nextLink: `https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$skipToken=${skipToken}`,
    },
    [],
    [nextToken, pageToken, skipToken, "arn:aws:iam::123456789012:role/ci-deploy"],
  ),
  textCase(
    "pagination-token-in-cli-log",
    "aws cli debug log",
    `Paginating: next_token=${nextToken} page_size=50\nRequest continues with pageToken: ${pageToken}`,
    [],
    [nextToken, pageToken, "page_size=50"],
  ),
  jsonCase(
    "web-identity-subject",
    "aws sts assume-role-with-web-identity response (credentials already redacted upstream)",
    {
      SubjectFromWebIdentityToken: "system:serviceaccount:payments:api",
      Audience: "sts.amazonaws.com",
      Provider: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0FAKE",
      AssumedRoleUser: { Arn: "arn:aws:sts::123456789012:assumed-role/api/botocore-session-1" },
      WebIdentityTokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    },
    [],
    ["system:serviceaccount:payments:api", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token", "sts.amazonaws.com"],
  ),
  textCase(
    "headers-after-credentials",
    "HTTP trace with headers on one line",
    "Authorization: Bearer [REDACTED] Host: api.example.com User-Agent: aws-cli/2.15.0\npassword=[hidden] host=db.example.internal user=svc_app",
    [],
    ["Host: api.example.com", "User-Agent: aws-cli/2.15.0", "host=db.example.internal", "user=svc_app"],
  ),
  jsonCase(
    "public-ca-certificate",
    "kubectl get secret -o json (kubernetes.io/tls, the CA part) and an API's CA bundle",
    {
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: { name: "ingress-ca", namespace: "edge" },
      data: { "ca.crt": Buffer.from(caPem).toString("base64") },
      caBundle: caPem,
      clientCertificate: certificateBody,
    },
    [],
    [Buffer.from(caPem).toString("base64"), caPem.split("\n")[1] ?? "", certificateBody, "ingress-ca"],
  ),
  jsonCase(
    "key-ids",
    "KMS, Key Vault and service-account key listings",
    {
      KeyId: kmsKeyId,
      KeyArn: `arn:aws:kms:eu-west-1:123456789012:key/${kmsKeyId}`,
      signingKeyId: fake.hex("signing-key-id", 40),
      kid: "https://kv-example.vault.azure.net/keys/signing/0123456789abcdef0123456789abcdef",
      privateKeyId: fake.hex("sa-key-id", 40),
      keyFingerprint: `SHA256:${Buffer.from(fake.hex("ssh-fp", 32), "hex").toString("base64").replace(/=+$/, "")}`,
    },
    [],
    [kmsKeyId, fake.hex("signing-key-id", 40), fake.hex("sa-key-id", 40)],
  ),
];
