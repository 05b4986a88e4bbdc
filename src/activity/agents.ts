/**
 * User agents reduced to a few kinds of client, for summaries: the agent text itself is
 * sensitive telemetry (hideable per scope) and untrusted cloud text.
 */
const AGENT_KINDS: readonly (readonly [kind: string, pattern: RegExp])[] = [
  // A DNS name as the agent: the provider's own service calling (CloudTrail writes lambda.amazonaws.com).
  ["provider service", /^[a-z0-9-]+(\.[a-z0-9-]+)+\.(com|net)$|^AWS Internal|^Azure-Resource-Manager/i],
  ["infrastructure as code", /terraform|pulumi|cloudformation|crossplane|cdktf/i],
  ["command line", /aws-cli|gcloud|google-cloud-sdk|azure-cli|\bazcli\b|powershell/i],
  ["browser console", /mozilla\/|console\.(aws\.amazon|cloud\.google)\.com|portal\.azure/i],
  ["SDK", /aws-sdk|boto|botocore|google-api|gl-(python|go|node)|grpc|azsdk|azure-sdk|msal/i],
  ["generic HTTP client", /curl|wget|python-requests|go-http-client|okhttp|axios|node-fetch/i],
];

export function userAgentKind(agent: string | undefined): string {
  if (agent === undefined || agent.length === 0) return "unknown client";
  for (const [kind, pattern] of AGENT_KINDS) if (pattern.test(agent)) return kind;
  return "other client";
}
