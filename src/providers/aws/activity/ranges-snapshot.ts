/**
 * A small snapshot of AWS's published address ranges (https://ip-ranges.amazonaws.com/ip-ranges.json),
 * shipped so "inside AWS" can be told without any download at run time. Every prefix below appears
 * verbatim as an `ip_prefix` or `ipv6_prefix` of service EC2 in ip-ranges.json as published with
 * createDate 2026-09-08-13-47-05 (syncToken 1788875225), read from a public mirror of the file
 * (the dmgress/aws-ip-ranges repository, ip-ranges.json); none is a made-up supernet. It is a
 * subset: large EC2 blocks of the busiest regions, not every prefix of every region (smaller
 * blocks, Local and Wavelength Zones are left out), and it ages as AWS adds ranges. An address
 * outside it counts as outside AWS; point `activity.rangesFiles.aws` (local files) or the AWS
 * provider's `activity.rangesFile` (live collection) at a current ip-ranges.json for complete
 * coverage: either replaces this list.
 *
 * The file lists EC2's IPv6 space as blocks of /32 and narrower (no /24 or /25 covers a region),
 * so each region's IPv6 entry here is its widest EC2 block, a /33 to /35.
 */
export const AWS_RANGES_SNAPSHOT = {
  compiled: "2026-12-05",
  source: "https://ip-ranges.amazonaws.com/ip-ranges.json, createDate 2026-09-08-13-47-05 (service EC2; subset, verbatim prefixes)",
  prefixes: [
    // us-east-1
    "3.80.0.0/12",
    "3.208.0.0/12",
    "18.204.0.0/14",
    "34.192.0.0/12",
    "34.224.0.0/12",
    "44.192.0.0/11",
    "52.0.0.0/15",
    "54.80.0.0/13",
    "54.144.0.0/14",
    "2600:1f18::/33",
    // us-east-2
    "3.144.0.0/13",
    "2600:1f16::/34",
    // us-west-2
    "34.208.0.0/12",
    "35.80.0.0/12",
    "35.160.0.0/13",
    "44.224.0.0/11",
    "52.24.0.0/14",
    "54.148.0.0/15",
    "2600:1f14::/34",
    // eu-west-1
    "3.248.0.0/13",
    "52.16.0.0/15",
    "54.72.0.0/15",
    "2a05:d018::/35",
    // eu-west-2, eu-central-1, eu-north-1
    "18.130.0.0/16",
    "3.64.0.0/12",
    "2a05:d014::/35",
    "13.48.0.0/15",
    // ap-southeast-2
    "13.236.0.0/14",
    "2406:da1c::/35",
  ],
} as const;
