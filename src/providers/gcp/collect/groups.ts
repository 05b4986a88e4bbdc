/**
 * Members of the Google groups that bindings name, read transitively through the Cloud Identity
 * Groups API: each group's direct memberships, then the groups among them, level by level, with
 * cycle protection (a group is read once) and the configured bounds on depth and on groups read.
 * A group that cannot be read, or lies past a bound, is a gap whose scope is the group's member
 * id (`group:<email>`): bindings to it stay in the inventory and answers say its members are unknown.
 */
import { GCP_DIRECTORY_READ_APIS, type GroupReads } from "../reads.js";
import { describeError, gcpErrorFacts, isRetryable } from "../errors.js";
import type { GapRecorder } from "./gaps.js";
import type { RawGroup } from "./raw.js";

export interface GroupLimits {
  maxDepth: number;
  maxGroups: number;
  /** Members read at most of one group; absent: all. */
  maxMembersPerGroup?: number | undefined;
}

/** Member kinds the model has principals for; others (devices, shared drives, browsers) are counted and named. */
const MODELLED_MEMBER_KINDS = new Set(["GROUP", "SERVICE_ACCOUNT", "USER"]);

/**
 * Stop asking once the directory has refused us: every further group would be refused the same way.
 * Decided from the error's structured facts, not its message, which may quote a group's name.
 */
function isPermissionDenied(error: unknown): boolean {
  const facts = gcpErrorFacts(error);
  return facts.httpStatus === 403 || facts.grpcCode === 7 || facts.status === "PERMISSION_DENIED";
}

export async function collectGroups(boundGroups: Iterable<string>, reads: GroupReads, limits: GroupLimits, gaps: GapRecorder, signal?: AbortSignal): Promise<RawGroup[]> {
  const groups: RawGroup[] = [];
  const seen = new Set<string>();
  let refused: string | undefined;
  let started = 0;
  let level = [...new Set(boundGroups)].sort();
  for (const email of level) seen.add(email);

  const unresolved = (email: string, source: string, reason: string, transient = false) => gaps.record(source, `group:${email}`, reason, transient);

  for (let depth = 0; level.length > 0; depth++) {
    const next: string[] = [];
    const readGroup = async (email: string): Promise<void> => {
      if (refused !== undefined) {
        unresolved(email, GCP_DIRECTORY_READ_APIS.lookupGroup.api, `members not read (${refused}); paths through this group are unknown`);
        return;
      }
      // Counted before the reads start, so groups read side by side cannot pass the bound together.
      if (started >= limits.maxGroups) {
        unresolved(email, GCP_DIRECTORY_READ_APIS.listGroupMemberships.api, `members not read: more than ${limits.maxGroups} groups (groupLimits.maxGroups); paths through this group are unknown`);
        return;
      }
      started++;
      let source: string = GCP_DIRECTORY_READ_APIS.lookupGroup.api;
      try {
        const name = await reads.lookupGroup(email);
        source = GCP_DIRECTORY_READ_APIS.listGroupMemberships.api;
        const { memberships, complete } = await reads.listMemberships(name, limits.maxMembersPerGroup);
        groups.push({ email, memberships });
        if (!complete) {
          unresolved(email, source, `members beyond the first ${memberships.length} not read (groupLimits.maxMembersPerGroup); paths through this group are unknown`);
        }
        const unmodelled = memberships.filter((m) => !m.preferredMemberKey?.id || (!MODELLED_MEMBER_KINDS.has(m.type ?? "") && !m.preferredMemberKey.id.endsWith(".gserviceaccount.com")));
        if (unmodelled.length > 0) {
          // Not machine identities, and no binding can name them: the group's other members stay known, so its paths do.
          const kinds = [...new Set(unmodelled.map((m) => m.type ?? "unspecified"))].sort().join(", ");
          gaps.record(source, undefined, `group ${email}: ${unmodelled.length} members of kinds the inventory has no principal for (${kinds}) were left out; what they reach through the group is not answered`);
        }
        for (const membership of memberships) {
          const member = membership.preferredMemberKey?.id;
          if (membership.type !== "GROUP" || !member || seen.has(member)) continue;
          seen.add(member);
          if (depth + 1 > limits.maxDepth) {
            unresolved(member, GCP_DIRECTORY_READ_APIS.listGroupMemberships.api, `members not read: nested more than ${limits.maxDepth} levels below a bound group (groupLimits.maxDepth); paths through this group are unknown`);
          } else {
            next.push(member);
          }
        }
      } catch (error) {
        signal?.throwIfAborted();
        if (isPermissionDenied(error)) refused ??= `the Cloud Identity Groups API refused the reader: ${describeError(error)}`;
        unresolved(email, source, `members not read: ${describeError(error)}; paths through this group are unknown`, isRetryable(error));
      }
    };
    // The first group alone: a reader without the Groups Reader role is then refused once, not once per group.
    const [first, ...rest] = level;
    if (first !== undefined) await readGroup(first);
    await Promise.all(rest.map(readGroup));
    level = next.sort();
  }
  return groups.sort((a, b) => a.email.localeCompare(b.email));
}
