/** The admin's tool allowlist: deny wins over allow; a disabled tool is neither listed nor callable. */
import type { WiamConfig } from "../config/schema.js";

export interface ToolAvailability {
  enabled: boolean;
  /** Which setting decided, e.g. `tools.deny: find_*`. */
  reason: string;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

export function toolAvailability(name: string, tools: WiamConfig["tools"]): ToolAvailability {
  const denied = tools.deny.find((pattern) => globToRegExp(pattern).test(name));
  if (denied) return { enabled: false, reason: `tools.deny: ${denied}` };
  const allowed = tools.allow.find((pattern) => globToRegExp(pattern).test(name));
  if (allowed) return { enabled: true, reason: `tools.allow: ${allowed}` };
  return { enabled: false, reason: "not in tools.allow" };
}
