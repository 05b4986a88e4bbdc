/**
 * Whether a CloudTrail source address is inside AWS: its published ranges (the shipped snapshot,
 * or an ip-ranges.json named in the config), private addresses (calls through a VPC endpoint), or
 * an AWS service calling on the identity's behalf.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { UserFacingError } from "../../../errors.js";
import type { NetworkClass } from "../../../model/activity-log.js";
import { AddressRanges, ipv4NetworkKey, ipv4Number, isPrivateAddress, isPrivateIpv4, networkKeyOf } from "../../../activity/networks.js";
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

/**
 * The network class and, for an IPv4 address, its network key: the address is parsed once (this
 * runs for every CloudTrail record). CloudTrail puts a service's DNS name (lambda.amazonaws.com)
 * or "AWS Internal" where a service called.
 */
export function awsNetwork(sourceAddress: string | undefined, vpcEndpointId: string | undefined, ranges: AddressRanges): { network: NetworkClass; key?: string } {
  if (vpcEndpointId) return { network: "inside", key: INSIDE };
  if (sourceAddress === undefined || sourceAddress.length === 0) return { network: "unknown" };
  const v4 = ipv4Number(sourceAddress);
  if (v4 !== undefined) {
    if (isPrivateIpv4(v4) || ranges.containsIpv4(v4)) return { network: "inside", key: INSIDE };
    return { network: "outside", key: ipv4NetworkKey(v4) };
  }
  if (sourceAddress === "AWS Internal" || sourceAddress.endsWith(".amazonaws.com")) return { network: "service" };
  if (isPrivateAddress(sourceAddress)) return { network: "inside", key: INSIDE };
  if (!/^[0-9a-fA-F:.]+$/.test(sourceAddress)) return { network: "unknown" };
  return { network: ranges.contains(sourceAddress) ? "inside" : "outside" };
}

const INSIDE = networkKeyOf("aws", "inside", undefined);
