/** Normalized events in their JSON form: the snapshot file format (readers hand events over in columns). */
import type { ActivityEvent } from "../model/activity-log.js";
import type { ActivityEventInput } from "./log.js";

export function eventJson(event: ActivityEventInput): ActivityEvent {
  const json: ActivityEvent = {
    id: event.id,
    time: new Date(event.timeMs).toISOString(),
    provider: event.provider,
    scopeId: event.scopeId,
    principalId: event.principalId,
    kind: event.kind,
    action: event.action,
    network: event.network,
    outcome: event.outcome,
  };
  if (event.credentialId !== undefined) json.credentialId = event.credentialId;
  if (event.category !== undefined) json.category = event.category;
  if (event.resource !== undefined) json.resource = event.resource;
  if (event.via !== undefined) json.via = event.via;
  if (event.sourceAddress !== undefined) json.sourceAddress = event.sourceAddress;
  if (event.country !== undefined) json.country = event.country;
  if (event.userAgent !== undefined) json.userAgent = event.userAgent;
  return json;
}


/** An event in its JSON form as collectors hand it over (the inverse of eventJson). */
export function eventInput(event: ActivityEvent): ActivityEventInput {
  return {
    id: event.id,
    timeMs: Date.parse(event.time),
    provider: event.provider,
    scopeId: event.scopeId,
    principalId: event.principalId,
    credentialId: event.credentialId,
    kind: event.kind,
    action: event.action,
    category: event.category,
    resource: event.resource,
    via: event.via,
    sourceAddress: event.sourceAddress,
    network: event.network,
    country: event.country,
    userAgent: event.userAgent,
    outcome: event.outcome,
  };
}
