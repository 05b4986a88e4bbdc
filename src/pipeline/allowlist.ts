/** The admin's tool allowlist: deny wins over allow; a disabled tool is neither listed nor callable. */
import type { WiamConfig } from "../config/schema.js";

export interface ToolAvailability {
  enabled: boolean;
  /** Which setting decided, e.g. `tools.deny: find_*`. */
  reason: string;
}

/** What the allowlist needs to know of a tool (see ToolDefinition.standsFor and explicitAllowOnly). */
export interface AllowlistSubject {
  name: string;
  standsFor?: string | undefined;
  explicitAllowOnly?: boolean | undefined;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

/** The allowlist's answer for one name, as the admin wrote the globs. */
export function toolAvailability(name: string, tools: WiamConfig["tools"]): ToolAvailability {
  const denied = tools.deny.find((pattern) => globToRegExp(pattern).test(name));
  if (denied) return { enabled: false, reason: `tools.deny: ${denied}` };
  const allowed = tools.allow.find((pattern) => globToRegExp(pattern).test(name));
  if (allowed) return { enabled: true, reason: `tools.allow: ${allowed}` };
  return { enabled: false, reason: "not in tools.allow" };
}

/**
 * The allowlist's answer for a tool: its own name must be enabled, and so must the tool it stands
 * for (a resource that is describe_identity under another name is off when describe_identity is).
 * A tool that needs an explicit allow is off until tools.allow names it exactly.
 */
export function toolAvailabilityOf(tool: AllowlistSubject, tools: WiamConfig["tools"]): ToolAvailability {
  const own = toolAvailability(tool.name, tools);
  if (!own.enabled) return own;
  if (tool.explicitAllowOnly && !tools.allow.includes(tool.name)) {
    return { enabled: false, reason: `off by default: add ${tool.name} to tools.allow to enable it` };
  }
  if (tool.standsFor === undefined) return own;
  const base = toolAvailability(tool.standsFor, tools);
  if (!base.enabled) return { enabled: false, reason: `${base.reason} (${tool.name} answers as ${tool.standsFor})` };
  return own;
}
