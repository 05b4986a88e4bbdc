/**
 * Networks of source addresses, compared without any network lookup. An identity is compared
 * with itself by network, never by single address: autoscaled workloads rotate addresses, so
 * every address inside the provider's own network is one network, and an outside address
 * counts by its /24 (IPv4) or /48 (IPv6) prefix.
 */
import type { NetworkClass } from "../model/activity-log.js";

/** The IPv4 address as an unsigned 32-bit number, or undefined when it is not one (parsed by hand: called per event). */
export function ipv4Number(address: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < address.length; i++) {
    const code = address.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      octet = octet * 10 + (code - 48);
      digits++;
      if (digits > 3 || octet > 255) return undefined;
    } else if (code === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

/** The /24 network of an IPv4 address given as a number. */
export function ipv4NetworkKey(value: number): string {
  const prefix = Math.floor(value / 256);
  return `${Math.floor(prefix / 65536)}.${Math.floor(prefix / 256) % 256}.${prefix % 256}.0/24`;
}

/** Expands an IPv6 address to its eight 16-bit groups, or undefined when it is not one. */
export function ipv6Groups(address: string): number[] | undefined {
  if (!address.includes(":") || !/^[0-9a-fA-F:.]+$/.test(address)) return undefined;
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const parse = (text: string): number[] | undefined => {
    if (text === "") return [];
    const groups: number[] = [];
    for (const part of text.split(/:/)) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      groups.push(Number.parseInt(part, 16));
    }
    return groups;
  };
  const head = parse(halves[0] ?? "");
  const tail = halves.length === 2 ? parse(halves[1] ?? "") : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Private, loopback and link-local addresses: only reachable from inside some network. */
export function isPrivateIpv4(v4: number): boolean {
  const a = Math.floor(v4 / 16777216);
  const b = Math.floor(v4 / 65536) % 256;
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

export function isPrivateAddress(address: string): boolean {
  const v4 = ipv4Number(address);
  if (v4 !== undefined) return isPrivateIpv4(v4);
  const v6 = ipv6Groups(address);
  if (!v6) return false;
  const first = v6[0] ?? 0;
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || v6.every((group, i) => group === (i === 7 ? 1 : 0));
}

/**
 * The network an event counts in: the provider's own network as one, a calling service by its
 * name, an outside address by its prefix.
 */
export function networkKeyOf(provider: string, networkClass: NetworkClass, sourceAddress: string | undefined): string {
  if (networkClass === "inside") return `${provider} network`;
  if (sourceAddress === undefined || sourceAddress.length === 0) return "unknown network";
  if (networkClass === "service") return sourceAddress;
  const v4 = ipv4Number(sourceAddress);
  if (v4 !== undefined) return ipv4NetworkKey(v4);
  const v6 = ipv6Groups(sourceAddress);
  if (v6) return `${v6.slice(0, 3).map((group) => group.toString(16)).join(":")}::/48`;
  return sourceAddress;
}

/**
 * Two networks are far apart when one is inside the provider and the other outside it, or when
 * both are outside and differ in their /16 (IPv4) or /32 (IPv6): the same NAT pool or office
 * moves within its /16, a stolen key used elsewhere does not.
 */
export function distantNetworks(a: string, aClass: NetworkClass, b: string, bClass: NetworkClass): boolean {
  if (a === b) return false;
  if (aClass === "service" || bClass === "service" || aClass === "unknown" || bClass === "unknown") return false;
  if (aClass !== bClass) return true;
  if (aClass === "inside") return false;
  return broadPrefix(a) !== broadPrefix(b);
}

function broadPrefix(key: string): string {
  if (key.endsWith("/24")) return key.split(".").slice(0, 2).join(".");
  if (key.endsWith("::/48")) return key.split(/:/).slice(0, 2).join(":");
  return key;
}

/** A CIDR list matched by longest-first linear scan over sorted numeric ranges (IPv4) or prefixes (IPv6). */
export class AddressRanges {
  private readonly v4Starts: number[] = [];
  private readonly v4Ends: number[] = [];
  private readonly v6: { groups: number[]; bits: number }[] = [];

  /** The CIDRs as given (a worker thread rebuilds the same ranges from them). */
  readonly cidrs: readonly string[];

  constructor(cidrs: readonly string[]) {
    this.cidrs = [...cidrs];
    const v4: [number, number][] = [];
    for (const cidr of cidrs) {
      const [address, bitsText] = cidr.split("/");
      if (address === undefined || bitsText === undefined) continue;
      const bits = Number(bitsText);
      const start = ipv4Number(address);
      if (start !== undefined && bits >= 0 && bits <= 32) {
        const size = 2 ** (32 - bits);
        const base = start - (start % size);
        v4.push([base, base + size - 1]);
        continue;
      }
      const groups = ipv6Groups(address);
      if (groups && bits >= 0 && bits <= 128) this.v6.push({ groups, bits });
    }
    v4.sort((x, y) => x[0] - y[0]);
    // Merged, so one binary search answers.
    for (const [start, end] of v4) {
      const last = this.v4Ends.length - 1;
      if (last >= 0 && start <= (this.v4Ends[last] as number) + 1) this.v4Ends[last] = Math.max(this.v4Ends[last] as number, end);
      else {
        this.v4Starts.push(start);
        this.v4Ends.push(end);
      }
    }
  }

  get size(): number {
    return this.v4Starts.length + this.v6.length;
  }

  contains(address: string): boolean {
    const v4 = ipv4Number(address);
    if (v4 !== undefined) return this.containsIpv4(v4);
    const groups = ipv6Groups(address);
    if (!groups) return false;
    return this.v6.some((range) => prefixMatches(groups, range.groups, range.bits));
  }

  containsIpv4(v4: number): boolean {
    {
      let low = 0;
      let high = this.v4Starts.length - 1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if ((this.v4Starts[middle] as number) > v4) high = middle - 1;
        else if ((this.v4Ends[middle] as number) < v4) low = middle + 1;
        else return true;
      }
      return false;
    }
  }
}

function prefixMatches(address: readonly number[], prefix: readonly number[], bits: number): boolean {
  let left = bits;
  for (let i = 0; i < 8 && left > 0; i++, left -= 16) {
    const take = Math.min(16, left);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if (((address[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}
