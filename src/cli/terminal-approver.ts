/**
 * Approval at a terminal for `wiam call`: the analyst running the command is the person at the
 * client. Only when both stdin and stderr are terminals; piped or scripted runs cannot approve.
 */
import { createInterface } from "node:readline/promises";
import type { ApprovalAnswer, Approver } from "../governance/governor.js";
import { approvalMessage } from "../server/elicitation-approver.js";

export function terminalApprover(user: string): Approver | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (request, signal): Promise<ApprovalAnswer> => {
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      process.stderr.write(`${approvalMessage(request)}\n`);
      const answer = await prompt.question("Approve? [y/N] ", { signal: abort });
      return { outcome: /^y(es)?$/i.test(answer.trim()) ? "approved" : "declined", approver: `${user} at the terminal`, note: null };
    } catch {
      return { outcome: timeout.aborted ? "timeout" : "cancelled", approver: null, note: null };
    } finally {
      prompt.close();
    }
  };
}
