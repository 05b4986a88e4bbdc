/**
 * A small snapshot of Google Cloud's published external address ranges (cloud.json, the blocks
 * Compute Engine and GKE egress come from), shipped so "inside Google Cloud" can be told without a
 * download. Condensed: the large blocks, not every prefix of every region.
 */
export const GCP_RANGES_SNAPSHOT = {
  compiled: "2026-12-05",
  source: "https://www.gstatic.com/ipranges/cloud.json (condensed)",
  prefixes: [
    "34.64.0.0/10",
    "35.184.0.0/13",
    "35.192.0.0/12",
    "35.208.0.0/12",
    "35.224.0.0/12",
    "35.240.0.0/13",
    "104.154.0.0/15",
    "104.196.0.0/14",
    "107.178.192.0/18",
    "130.211.0.0/16",
    "146.148.0.0/17",
    "23.236.48.0/20",
    "23.251.128.0/19",
  ],
} as const;
