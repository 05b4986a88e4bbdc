/**
 * A small snapshot of AWS's address ranges (https://ip-ranges.amazonaws.com/ip-ranges.json),
 * shipped so "inside AWS" can be told without any download at run time: large blocks of the
 * busiest regions, not every prefix. An address outside these counts as outside AWS; point
 * `activity.rangesFiles.aws` (local files) or the AWS provider's `activity.rangesFile` (live
 * collection) at a current ip-ranges.json for complete coverage: either replaces this list.
 *
 * Not verified against a complete published ip-ranges.json: the copies of the file reachable
 * while this was written were too large to read whole. What was found, entry by entry (public
 * copies and excerpts of the file, and lists that cite it; none authoritative):
 * - seen as ip-ranges.json entries (excerpts or fixtures copied from the file): 3.80.0.0/12
 *   (us-east-1 EC2), 34.192.0.0/12 (us-east-1 EC2, a 2016 copy), 52.0.0.0/15 (us-east-1 EC2 and
 *   AMAZON), 35.160.0.0/13 and 54.144.0.0/14 (listed prefixes of a copy), 3.248.0.0/13 (eu-west-1
 *   EC2, a fixture);
 * - cited as AWS ranges by third-party lists (one names ip-ranges.json as its source): 18.204.0.0/14,
 *   54.80.0.0/13 (us-east-1), 44.224.0.0/11, 54.148.0.0/15 (us-west-2), 2600:1f00::/24;
 * - not checked: 52.16.0.0/15, 54.72.0.0/15, 18.130.0.0/16, 13.48.0.0/15, 52.24.0.0/14,
 *   13.236.0.0/14, 2a05:d000::/25.
 * Check the list against the current file before a release (every prefix must appear in it).
 */
export const AWS_RANGES_SNAPSHOT = {
  compiled: "2026-12-05",
  source: "ip-ranges.json, service EC2 (condensed; see the comment for what was verified)",
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
