/** Which Node.js lines are supported, what the server says on others, and that package.json agrees. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nodeSupportNotice, quietSdkNodeWarning, SUPPORTED_NODE_LINES } from "../src/util/node-support.js";

describe("Node.js support", () => {
  it("says nothing on 22 and 24, names the end of life on 20, and the tested lines on anything else", () => {
    expect(nodeSupportNotice("22.23.3")).toBeNull();
    expect(nodeSupportNotice("v24.1.0")).toBeNull();
    expect(nodeSupportNotice("20.20.2")).toBe(
      "running on Node.js 20.20.2: Node.js 20 reached its end of life in April 2026; AWS SDK releases after the first week of January 2027 need Node.js 22 or newer. Use Node.js 22 or 24",
    );
    expect(nodeSupportNotice("25.0.0")).toBe("running on Node.js 25.0.0, which is not tested; supported lines: 20, 22, 24");
  });

  it("lists the same lines in package.json engines", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(SUPPORTED_NODE_LINES.map((line) => `${line}.x`).join(" || "));
  });

  it("silences the AWS SDK's own warning unless the administrator set the variable", () => {
    const env: NodeJS.ProcessEnv = {};
    quietSdkNodeWarning(env);
    expect(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe("true");
    const chosen: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "false" };
    quietSdkNodeWarning(chosen);
    expect(chosen.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe("false");
  });
});
