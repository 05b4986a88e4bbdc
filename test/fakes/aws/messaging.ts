/**
 * SQS, SNS and Lambda in the AWS fake, as far as resource-policy collection reads them: queue
 * URLs and attributes (AWS JSON 1.0, X-Amz-Target AmazonSQS.*), topics and their attributes (Query
 * protocol, XML with an attribute map) and functions with their policies (REST JSON under
 * /2015-03-31/functions). Listings page by 2 so small estates still page; nothing else exists.
 */
import { FAKE_RESOURCE_REGION, type FakeAccount, type PolicyDocumentJson } from "./estate.js";
import { escapeXml } from "./xml.js";

export interface FakeQueue {
  name: string;
  policy?: PolicyDocumentJson;
}

export interface FakeTopic {
  name: string;
  policy?: PolicyDocumentJson;
}

export interface FakeFunction {
  name: string;
  /** Absent: GetPolicy answers ResourceNotFoundException, as for a function nobody was granted. */
  policy?: PolicyDocumentJson;
}

export const SNS_NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/";

export class MessagingError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const fakeQueueArn = (accountId: string, name: string) => `arn:aws:sqs:${FAKE_RESOURCE_REGION}:${accountId}:${name}`;
export const fakeTopicArn = (accountId: string, name: string) => `arn:aws:sns:${FAKE_RESOURCE_REGION}:${accountId}:${name}`;
export const fakeFunctionArn = (accountId: string, name: string) => `arn:aws:lambda:${FAKE_RESOURCE_REGION}:${accountId}:function:${name}`;
/** The SDK sends a queue's requests to its URL's host, so the fake hands out URLs on itself. */
const queueUrl = (origin: string, accountId: string, name: string) => `${origin}/${accountId}/${name}`;

function page<T>(items: readonly T[], token: string | undefined): { items: T[]; next: string | undefined } {
  const start = token ? Number(token.replace("page-", "")) : 0;
  const end = start + 2;
  return { items: items.slice(start, end), next: end < items.length ? `page-${end}` : undefined };
}

export function sqsAction(action: string, params: Record<string, string>, account: FakeAccount, origin: string): Record<string, unknown> {
  const queues = account.queues ?? [];
  switch (action) {
    case "ListQueues": {
      const listed = page(queues, params.NextToken);
      return { QueueUrls: listed.items.map((q) => queueUrl(origin, account.id, q.name)), ...(listed.next ? { NextToken: listed.next } : {}) };
    }
    case "GetQueueAttributes": {
      const queue = queues.find((q) => queueUrl(origin, account.id, q.name) === params.QueueUrl);
      if (!queue) throw new MessagingError(400, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.");
      const names = JSON.parse(params.AttributeNames ?? "[]") as string[];
      const attributes: Record<string, string> = {};
      if (names.includes("QueueArn") || names.includes("All")) attributes.QueueArn = fakeQueueArn(account.id, queue.name);
      if ((names.includes("Policy") || names.includes("All")) && queue.policy) attributes.Policy = JSON.stringify(queue.policy);
      return { Attributes: attributes };
    }
    default:
      throw new MessagingError(400, "UnsupportedOperation", `unsupported SQS action ${action}`);
  }
}

/** SNS answers in XML; GetTopicAttributes' map is a list of entry/key/value. */
export function snsAction(action: string, params: Record<string, string>, account: FakeAccount, requestId: string): string {
  const topics = account.topics ?? [];
  const wrap = (body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${SNS_NAMESPACE}"><${action}Result>${body}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  switch (action) {
    case "ListTopics": {
      const listed = page(topics, params.NextToken);
      const members = listed.items.map((t) => `<member><TopicArn>${escapeXml(fakeTopicArn(account.id, t.name))}</TopicArn></member>`).join("");
      return wrap(`<Topics>${members}</Topics>${listed.next ? `<NextToken>${listed.next}</NextToken>` : ""}`);
    }
    case "GetTopicAttributes": {
      const topic = topics.find((t) => fakeTopicArn(account.id, t.name) === params.TopicArn);
      if (!topic) throw new MessagingError(404, "NotFound", "Topic does not exist");
      const entries: Array<[string, string]> = [["TopicArn", fakeTopicArn(account.id, topic.name)], ["Owner", account.id]];
      if (topic.policy) entries.push(["Policy", JSON.stringify(topic.policy)]);
      return wrap(`<Attributes>${entries.map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></entry>`).join("")}</Attributes>`);
    }
    default:
      throw new MessagingError(400, "InvalidAction", `unsupported SNS action ${action}`);
  }
}

/** The Lambda operation a REST request names; undefined when the path is not Lambda's. */
export function lambdaOperation(method: string, url: string): { action: string; params: Record<string, string> } | undefined {
  const parsed = new URL(url, "http://fake.invalid");
  const match = /^\/2015-03-31\/functions\/?(?:([^/]+)\/policy\/?)?$/.exec(parsed.pathname);
  if (method !== "GET" || !match) return undefined;
  const params: Record<string, string> = Object.fromEntries(parsed.searchParams.entries());
  if (match[1] === undefined) return { action: "ListFunctions", params };
  return { action: "GetPolicy", params: { ...params, FunctionName: decodeURIComponent(match[1]) } };
}

export function lambdaAction(action: string, params: Record<string, string>, account: FakeAccount): Record<string, unknown> {
  const functions = account.functions ?? [];
  switch (action) {
    case "ListFunctions": {
      const listed = page(functions, params.Marker);
      return { Functions: listed.items.map((f) => ({ FunctionName: f.name, FunctionArn: fakeFunctionArn(account.id, f.name) })), ...(listed.next ? { NextMarker: listed.next } : {}) };
    }
    case "GetPolicy": {
      const fn = functions.find((f) => f.name === params.FunctionName || fakeFunctionArn(account.id, f.name) === params.FunctionName);
      if (!fn?.policy) throw new MessagingError(404, "ResourceNotFoundException", fn ? "The resource you requested does not exist." : "Function not found");
      return { Policy: JSON.stringify(fn.policy), RevisionId: "00000000-0000-4000-8000-000000000001" };
    }
    default:
      throw new MessagingError(400, "UnsupportedOperation", `unsupported Lambda action ${action}`);
  }
}
