/**
 * Whether a CloudTrail source address is inside AWS: its published ranges (the shipped snapshot,
 * or an ip-ranges.json named in the config), private addresses (calls through a VPC endpoint), or
 * an AWS service calling on the identity's behalf.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { UserFacingError } from "../../../errors.js";
import type { NetworkClass } from "../../../model/activity-log.js";
import { AddressRanges, isPrivateAddress } from "../../../activity/networks.js";
import { AWS_RANGES_SNAPSHOT } from "./ranges-snapshot.js";

const ipRangesFileSchema = z.object({
  createDate: z.string().optional(),
  prefixes: z.array(z.object({ ip_prefix: z.string() })),
  ipv6_prefixes: z.array(z.object({ ipv6_prefix: z.string() })).optional(),
});

export function loadAwsRanges(path: string | undefined): AddressRanges {
  if (path === undefined) return new AddressRanges(AWS_RANGES_SNAPSHOT.prefixes);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch {
    throw new UserFacingError("config_invalid", `activity.rangesFiles.aws: cannot read ${path} as JSON`, "Download ip-ranges.json from ip-ranges.amazonaws.com.");
  }
  const parsed = ipRangesFileSchema.safeParse(data);
  if (!parsed.success) {
    throw new UserFacingError("config_invalid", `activity.rangesFiles.aws: ${path} is not in the ip-ranges.json format (prefixes[].ip_prefix)`);
  }
  return new AddressRanges([...parsed.data.prefixes.map((p) => p.ip_prefix), ...(parsed.data.ipv6_prefixes ?? []).map((p) => p.ipv6_prefix)]);
}

/** CloudTrail puts a service's DNS name (lambda.amazonaws.com) or "AWS Internal" where a service called. */
export function awsNetworkClass(sourceAddress: string | undefined, vpcEndpointId: string | undefined, ranges: AddressRanges): NetworkClass {
  if (vpcEndpointId) return "inside";
  if (sourceAddress === undefined || sourceAddress.length === 0) return "unknown";
  if (sourceAddress === "AWS Internal" || /\.amazonaws\.com$/.test(sourceAddress)) return "service";
  if (isPrivateAddress(sourceAddress)) return "inside";
  if (!/^[0-9a-fA-F:.]+$/.test(sourceAddress)) return "unknown";
  return ranges.contains(sourceAddress) ? "inside" : "outside";
}
