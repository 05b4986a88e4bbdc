/**
 * Review output redacts audit records by provenance: the fields that hold data from outside
 * (intent, arguments, the tool name a client sent, client and caller names, approval notes, error text, the stored response)
 * go through the redactor as values; what the server computed (ids, hashes, counts, cloud request
 * ids, signatures) is printed as stored. The log is redacted when written, so this only matters for
 * a log written by an older version or edited by hand, and, markers being opaque, changes nothing
 * in a log already redacted.
 */
import type { Redactor } from "../../redaction/types.js";
import type { AuditRecord } from "./types.js";

export function recordRedaction(redactor: Redactor): (record: AuditRecord) => AuditRecord {
  const value = <T>(data: T): T => redactor.redact(data).value;
  const text = (data: string | null): string | null => (data === null ? null : redactor.redactText(data).value);
  return (record) => {
    const completion = record.completion;
    const body = completion?.responseBody;
    return {
      ...record,
      // A refused call records the tool name the client sent, whatever it was.
      tool: redactor.redactText(record.tool).value,
      clientName: text(record.clientName),
      clientVersion: text(record.clientVersion),
      caller: redactor.redactText(record.caller).value,
      sourceAddress: text(record.sourceAddress ?? null),
      intent: text(record.intent),
      arguments: value(record.arguments),
      approver: text(record.approver),
      approval: record.approval ? { ...record.approval, note: text(record.approval.note) } : (record.approval ?? null),
      completion:
        completion === null
          ? null
          : {
              ...completion,
              error: text(completion.error),
              ...(completion.reviewApproval
                ? { reviewApproval: { ...completion.reviewApproval, approver: text(completion.reviewApproval.approver), note: text(completion.reviewApproval.note) } }
                : {}),
              credentialScope: text(completion.credentialScope),
              responseBody:
                body?.mode === "summary"
                  ? { ...body, preview: redactor.redactText(body.preview).value }
                  : body?.mode === "full"
                    ? { mode: "full", body: value(body.body) }
                    : completion.responseBody,
            },
    };
  };
}
