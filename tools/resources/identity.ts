/** One identity as a resource (wiam://identity/{principal}): describe_identity's answer, reviewed the same way. */
import { describeIdentityTool } from "../describe-identity.js";
import { defineTool } from "../define-tool.js";

export const identityResourceTool = defineTool({
  ...describeIdentityTool,
  name: "resource_identity",
  surface: "resource",
  standsFor: describeIdentityTool.name,
  title: "Identity",
  description: "One identity, as describe_identity shows it (read through the wiam://identity/{principal} resource template).",
});
