/**
 * An IAM user whose access keys are all inactive and that has no console password cannot act
 * today: AWS refuses requests signed with an inactive key
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html, "Update
 * access keys": an inactive key cannot be used for API calls), and without a login profile the
 * user cannot sign in to the console
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_admin-change-user.html).
 * Its own paths therefore end there. Someone who may create a key or a password for it
 * (iam:CreateAccessKey, iam:CreateLoginProfile) still reaches what it can do: those routes stay.
 *
 * Decided only on what was read: at least one access key collected (so its keys were listed),
 * none active, no console password, and no failed login-profile read for its account. A user
 * whose credentials were not read is never taken for inactive.
 */
import type { Principal } from "../../../model/inventory.js";
import type { Inventory } from "../../../model/inventory-index.js";
import type { BlockedBy } from "../../../analysis/entitlements/types.js";
import { isAwsUserArn } from "../ids.js";

/** Why an IAM user cannot act today; undefined when it can, or when the data cannot tell. */
export function inactiveUserBlock(inventory: Inventory, principal: Principal): BlockedBy | undefined {
  if (principal.provider !== "aws" || !isAwsUserArn(principal.id)) return undefined;
  const credentials = inventory.credentialsOf(principal.id);
  const keys = credentials.filter((c) => c.kind === "access_key");
  if (keys.length === 0 || keys.some((k) => k.status === "active")) return undefined;
  if (credentials.some((c) => c.kind === "password" && c.status === "active")) return undefined;
  const passwordUnread = inventory.gaps.some(
    (gap) => gap.provider === "aws" && gap.source === "iam:GetLoginProfile" && (gap.scopeId === undefined || gap.scopeId === principal.scopeId),
  );
  if (passwordUnread) return undefined;
  return {
    kind: "disabled_principal",
    id: principal.id,
    description: `${principal.id} has no active access key and no console password, so it cannot call AWS today (its ${keys.length} access key${keys.length === 1 ? " is" : "s are"} inactive)`,
  };
}

/** What a takeover hop says when its target cannot act until the takeover gives it a credential. */
export function revivedByTakeover(inventory: Inventory, principal: Principal): string | undefined {
  return inactiveUserBlock(inventory, principal)
    ? `${principal.id} has no active access key and no console password today: this route works by creating one`
    : undefined;
}
