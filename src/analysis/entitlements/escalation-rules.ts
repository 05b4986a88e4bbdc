/**
 * Privilege-escalation techniques as rule objects, registered per provider (as PMapper keeps one
 * edge checker per technique). A rule answers any of four questions; the provider's evaluator runs
 * its list for each, so adding a technique is one entry plus its test:
 * - forward: whom can this subject take over or run as (`edgesFrom`);
 * - reverse: who can take over this principal (`edgesTo`);
 * - self: what can this subject grant itself (`selfEscalations`);
 * - holders: for reverse queries, who might grant itself the access asked about (`selfEscalationHolders`).
 */
import type { AccessRequest, Finding, PivotEdge, Subject } from "./internal.js";

/** Collects edges; `push` answers false once the search must stop (budget spent or cap reached). */
export interface EdgeSink {
  push(edge: PivotEdge | undefined): boolean;
}

export interface EscalationRule<Env> {
  /** Stable id, e.g. `aws.pass-role-to-compute`. */
  readonly id: string;
  /** What the technique is, in one sentence (documentation and tests). */
  readonly technique: string;
  edgesFrom?(subject: Subject, env: Env, sink: EdgeSink): void;
  edgesTo?(target: Subject, env: Env, sink: EdgeSink, skip?: (callerId: string) => boolean): void;
  selfEscalations?(subject: Subject, request: AccessRequest, env: Env): Finding[];
  selfEscalationHolders?(request: AccessRequest, env: Env): Subject[];
}

/** Runs one question over a provider's rules in order, stopping when the sink says so. */
export function edgesByRules<Env>(
  rules: readonly EscalationRule<Env>[],
  run: (rule: EscalationRule<Env>, sink: EdgeSink) => void,
  keepGoing: (edges: readonly PivotEdge[]) => boolean,
): { edges: PivotEdge[]; stopped: boolean } {
  const edges: PivotEdge[] = [];
  let stopped = false;
  const sink: EdgeSink = {
    push(edge) {
      if (edge) edges.push(edge);
      if (!keepGoing(edges)) stopped = true;
      return !stopped;
    },
  };
  for (const rule of rules) {
    run(rule, sink);
    if (stopped) break;
  }
  return { edges, stopped };
}
