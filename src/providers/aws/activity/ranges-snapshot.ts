/**
 * A small snapshot of AWS's published address ranges (https://ip-ranges.amazonaws.com/ip-ranges.json),
 * shipped so "inside AWS" can be told without any download at run time. Condensed: the large EC2
 * blocks of the busiest regions, not every prefix. An address outside these is "outside" only if
 * the full file says so: point `activity.rangesFiles.aws` at a current ip-ranges.json for complete
 * coverage (the config override replaces this list).
 */
export const AWS_RANGES_SNAPSHOT = {
  compiled: "2026-12-05",
  source: "ip-ranges.json, service EC2 (condensed)",
  prefixes: [
    "3.80.0.0/12",
    "18.204.0.0/14",
    "34.192.0.0/12",
    "52.0.0.0/15",
    "54.80.0.0/13",
    "54.144.0.0/14",
    "3.248.0.0/13",
    "52.16.0.0/15",
    "54.72.0.0/15",
    "18.130.0.0/16",
    "13.48.0.0/15",
    "35.160.0.0/13",
    "44.224.0.0/11",
    "52.24.0.0/14",
    "54.148.0.0/15",
    "13.236.0.0/14",
    "2600:1f00::/24",
    "2a05:d000::/25",
  ],
} as const;
