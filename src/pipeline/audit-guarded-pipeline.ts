/**
 * The call pipeline with one more rule at its edge: a call whose acceptance cannot be written
 * because another process holds the audit database past the busy timeout is refused with a clear
 * tool error. Without this the error escapes the tool handler and the client sees a raw JSON-RPC
 * "-32603 database is locked". The audit store records the refusal once the lock is released.
 */
import { AuditLogBusyError } from "../audit/busy.js";
import { CallPipeline, type ToolCallRequest, type ToolCallResponse } from "./call-pipeline.js";

export class AuditGuardedPipeline extends CallPipeline {
  override async execute(request: ToolCallRequest): Promise<ToolCallResponse> {
    try {
      return await super.execute(request);
    } catch (error) {
      if (error instanceof AuditLogBusyError) return { isError: true, text: error.message, auditId: null };
      throw error;
    }
  }
}
